from django.apps import AppConfig


class RestoreRequestsConfig(AppConfig):
    name = "restore_requests"
    verbose_name = "Restore requests"
