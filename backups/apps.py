from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "backups"
    verbose_name = "Backups and restores"

    def ready(self):
        # The restore engine's tasks (the snapshot tasks are in tasks.py).
        from . import restore_tasks  # noqa: F401
