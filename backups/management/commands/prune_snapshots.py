"""R7: delete snapshots older than seven days with their files, and say what went."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat

from backups.snapshot_upkeep import prune_snapshots


class Command(BaseCommand):
    help = (
        "Delete snapshots older than seven days with their files. Failed ones never "
        "count, and an account's newest complete snapshot is never removed. Also marks "
        "snapshots left running by a dead worker failed."
    )

    def handle(self, *args, **options):
        result = prune_snapshots()
        for pk in result.reaped:
            self.stdout.write(f"Snapshot #{pk}: left running by a dead worker, marked failed.")
        for s in result.pruned:
            when = s.taken_at or s.created_at
            self.stdout.write(
                f"Pruned snapshot #{s.pk} of {s.account.name} "
                f"({s.status}, {when:%Y-%m-%d %H:%M} UTC)."
            )
        for s in result.kept_newest:
            self.stdout.write(
                f"Kept snapshot #{s.pk} of {s.account.name} ({s.taken_at:%Y-%m-%d %H:%M} UTC): "
                "older than seven days but the account's newest complete one (not offered)."
            )
        self.stdout.write(
            f"Pruned {len(result.pruned)} snapshot{'s' if len(result.pruned) != 1 else ''}, "
            f"freed {filesizeformat(result.freed_bytes)}."
        )
