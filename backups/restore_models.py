"""The restore run: one execution of a restore option against one snapshot,
with its progress, its safety snapshot (for the undo) and its result."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account

from .options import Option

ACTIVE_STATUSES = ("queued", "running")


class RestoreRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Phase(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        LOCKING = "locking", "Pausing changes to the account"
        VERIFYING = "verifying", "Checking the backup"
        SAFETY = "safety", "Saving the current state (for the undo)"
        LOADING = "loading", "Restoring records"
        EXPORTING = "exporting", "Writing the CSV file"
        DONE = "done", "Done"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="restore_runs")
    snapshot = models.ForeignKey("backups.Snapshot", on_delete=models.PROTECT, related_name="runs")
    option = models.CharField(max_length=20, choices=Option.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.QUEUED)
    rows_done = models.BigIntegerField(default=0)
    rows_total = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    safety_snapshot = models.ForeignKey(
        "backups.Snapshot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undo_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="undone_by"
    )
    operation = models.UUIDField(default=uuid.uuid4, help_text="The History operation id.")
    result = models.JSONField(default=dict, blank=True)
    export_path = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One run per account at a time, guaranteed by the database.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="restore_run_one_active_per_account",
            )
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="restore_run_active")]

    def __str__(self) -> str:
        return f"Restore run #{self.pk} ({self.get_option_display()}, {self.get_status_display()})"

    @property
    def progress(self) -> int:
        """0 to 100, for progress bars."""
        if self.status == self.Status.COMPLETED:
            return 100
        if not self.rows_total:
            return 0
        return max(0, min(99, int(self.rows_done * 100 / self.rows_total)))

    @property
    def is_rollback(self) -> bool:
        return self.option in (Option.CRM_ROLLBACK, Option.FULL_ROLLBACK)
