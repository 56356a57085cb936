from django.apps import AppConfig


class RestoreRequestsConfig(AppConfig):
    name = "restore_requests"
    verbose_name = "Restore requests"

    def ready(self):
        from backups.restores import on_run_changed

        from .services import run_changed

        # A request follows its restore run: running, completed, failed.
        on_run_changed(run_changed)
