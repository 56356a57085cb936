from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Mass-deletion alerts"

    def ready(self):
        from crm_history.recorder import on_deletions_recorded

        from .detection import on_deletions

        # The History calls the detector once per operation that deleted records,
        # after it commits.
        on_deletions_recorded(on_deletions)
