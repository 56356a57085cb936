"""Verify every complete snapshot's files against its manifest; report each damage."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from backups.models import Snapshot
from backups.snapshots import snapshot_problems


class Command(BaseCommand):
    help = (
        "Check each complete snapshot (or those of --account ID): every file exists, its "
        "SHA-256 and row count match the manifest, and the manifest matches the record. "
        "Exits non-zero if any is damaged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, help="Only this account id.")

    def handle(self, *args, **options):
        snapshots = Snapshot.objects.filter(status=Snapshot.Status.COMPLETE).select_related(
            "account"
        )
        if options["account"] is not None:
            snapshots = snapshots.filter(account_id=options["account"])
        snapshots = snapshots.order_by("account_id", "taken_at", "pk")
        total = snapshots.count()
        damaged = 0
        for number, snapshot in enumerate(snapshots.iterator(), start=1):
            label = (
                f"[{number}/{total}] snapshot #{snapshot.pk} of {snapshot.account.name} "
                f"({snapshot.taken_at:%Y-%m-%d %H:%M} UTC)"
            )
            problems = snapshot_problems(snapshot)
            if problems:
                damaged += 1
                self.stdout.write(f"{label}: DAMAGED")
                for problem in problems:
                    self.stdout.write(f"  - {problem}")
            else:
                self.stdout.write(f"{label}: ok ({snapshot.records:,} records)")
        if damaged:
            raise CommandError(f"{damaged} of {total} snapshots are damaged.")
        self.stdout.write(f"All {total} snapshots verified.")
