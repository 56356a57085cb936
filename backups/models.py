"""Backups' tables: the snapshots (R6-R7) and the id lists kept beside them.

The restore engine adds its own models in its own module; this one owns the
snapshot rows only.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account

FORMAT_VERSION = 1


class SnapshotQuerySet(models.QuerySet):
    def available(self, account: Account, *, now=None) -> SnapshotQuerySet:
        """The snapshots a restore may use: complete, and not older than seven days.

        Uses index: snapshot_account_status_taken (account, status, -taken_at).
        """
        # R7: a restore goes back at most one week; older snapshots are never offered.
        return self.filter(
            account=account, status=Snapshot.Status.COMPLETE, taken_at__gte=window_start(now)
        ).order_by("-taken_at", "-id")

    def recent(self, account: Account, *, now=None) -> SnapshotQuerySet:
        """Every snapshot of the last seven days, whatever its status (the Backups page)."""
        start = window_start(now)
        return self.filter(account=account).filter(
            Q(taken_at__gte=start) | Q(taken_at__isnull=True, created_at__gte=start)
        )


def window_start(now=None):
    """The oldest moment a snapshot may have been taken at and still be offered (R7)."""
    return (now or timezone.now()) - timedelta(days=settings.SNAPSHOT_RETENTION_DAYS)


class Snapshot(models.Model):
    """One account's data of every registry module at one consistent moment.

    Its files live in the snapshot storage under `storage_path`; the manifest
    is written last, and only then is the row marked complete.
    """

    class Kind(models.TextChoices):
        DAILY = "daily", "Daily"
        SAFETY = "safety", "Before a restore"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"
        # Past retention, its files deleted; the row is kept only because a restore
        # run or a request names it (their record of what was used).
        EXPIRED = "expired", "Expired"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="snapshots")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DAILY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    # The UTC date a daily snapshot covers: one per account and day (idempotency).
    day = models.DateField()
    # The moment the data is consistent at (the REPEATABLE READ snapshot's start).
    taken_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    row_counts = models.JSONField(default=dict, blank=True)  # {entity_type: rows}
    size_bytes = models.BigIntegerField(default=0)  # compressed files, manifest included
    storage_path = models.CharField(max_length=255, blank=True)  # "snapshots/<acc>/<id>/"
    format_version = models.PositiveSmallIntegerField(default=FORMAT_VERSION)
    schema_version = models.PositiveSmallIntegerField(null=True, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        constraints = [
            # One daily snapshot per account and day; a failed attempt does not count.
            models.UniqueConstraint(
                fields=["account", "day"],
                condition=Q(kind="daily") & ~Q(status="failed"),
                name="snapshot_one_daily_per_day",
            )
        ]
        indexes = [
            models.Index(fields=["account", "status", "-taken_at"], name="snapshot_account_status"),
            models.Index(fields=["status", "taken_at"], name="snapshot_status_taken"),
        ]

    def __str__(self) -> str:
        when = self.taken_at or self.created_at
        return f"Snapshot #{self.pk} of {self.account} ({self.kind}, {when:%Y-%m-%d %H:%M} UTC)"

    @property
    def records(self) -> int:
        return sum(int(v) for v in (self.row_counts or {}).values())

    @property
    def is_available(self) -> bool:
        return (
            self.status == self.Status.COMPLETE
            and self.taken_at is not None
            and self.taken_at >= window_start()
        )


class SnapshotIds(models.Model):
    """The ids one snapshot holds of one entity type, in sorted chunks.

    A chunk is up to CHUNK_IDS consecutive ids of the snapshot (in id order),
    packed as big-endian int64s (PostgreSQL's int8send, concatenated), with its
    first and last id, so `snapshot_contains` reads only the chunks that may hold the ids asked.
    """

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="id_chunks")
    entity_type = models.CharField(max_length=32)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    count = models.PositiveIntegerField()
    packed = models.BinaryField()

    class Meta:
        indexes = [
            # Uses: snapshot_contains (snapshot, entity_type, range of ids).
            models.Index(fields=["snapshot", "entity_type", "first_id"], name="snapshot_ids_range"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.entity_type} ids {self.first_id}-{self.last_id} of snapshot #{self.snapshot_id}"
        )


# The restore engine's model lives in its own module; importing it here
# registers it with the backups app.
from .restore_models import RestoreRun  # noqa: E402, F401
