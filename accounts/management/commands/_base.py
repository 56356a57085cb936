"""Shared by the provisioning commands: turn a refused input into a clear error."""

from django.core.management.base import BaseCommand, CommandError

from recovery_portal.errors import DomainError


class ProvisioningCommand(BaseCommand):
    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(fields or exc.detail) from exc
