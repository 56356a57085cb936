"""Take today's daily snapshot now: of one account, or of every account."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import Account
from backups.snapshots import take_snapshot


class Command(BaseCommand):
    help = (
        "Take today's daily snapshot of every account (or of --account ID). "
        "An account that has today's snapshot already keeps it (no second one)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, help="Only this account id.")

    def handle(self, *args, **options):
        accounts = Account.objects.order_by("pk")
        if options["account"] is not None:
            accounts = accounts.filter(pk=options["account"])
            if not accounts.exists():
                raise CommandError(f"There is no account #{options['account']}.")
        total = accounts.count()
        failures = 0
        for number, account in enumerate(accounts.iterator(), start=1):
            prefix = f"[{number}/{total}] {account.name} (#{account.pk})"

            def progress(entity_type, done, count, prefix=prefix):
                self.stdout.write(f"{prefix}: {entity_type} written ({done}/{count})")

            started = time.monotonic()
            began = timezone.now()
            try:
                snapshot = take_snapshot(account, progress=progress)
            except Exception as exc:  # noqa: BLE001  (reported; the other accounts go on)
                failures += 1
                self.stderr.write(f"{prefix}: failed: {exc}")
                continue
            if snapshot.started_at is None or snapshot.started_at < began:
                self.stdout.write(
                    f"{prefix}: today's snapshot #{snapshot.pk} exists already "
                    f"({snapshot.status}); no second one taken"
                )
                continue
            self.stdout.write(
                f"{prefix}: snapshot #{snapshot.pk} {snapshot.status}, "
                f"{snapshot.records:,} records, {filesizeformat(snapshot.size_bytes)}, "
                f"{time.monotonic() - started:.1f} s"
            )
        if failures:
            raise CommandError(f"{failures} of {total} snapshots failed.")
