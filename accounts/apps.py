from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and plans"

    def ready(self):
        from django.db.models.signals import post_migrate

        # After every app's migrations, once its permissions exist.
        post_migrate.connect(_sync_helpdesk_group, dispatch_uid="accounts.helpdesk_group")


def _sync_helpdesk_group(**kwargs):
    from .services import helpdesk_group_sync

    helpdesk_group_sync()
