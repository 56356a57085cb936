"""The restore request (the ticket) and its parts: candidates the helpdesk
proposes, the message thread, the audit trail of every transition, the runs
started for it; and the deletion report of R11."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Account
from backups.options import ROLLBACK_OPTIONS, Option  # noqa: F401  (re-exported)


class Status(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    PROPOSED = "proposed", "Backups proposed"
    CONFIRMED = "confirmed", "Confirmed"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    REJECTED = "rejected", "Rejected"


class RestoreRequest(models.Model):
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="restore_requests")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(help_text="When the data was deleted, in UTC.")  # R14
    option = models.CharField("option wished for", max_length=20, choices=Option.choices)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    chosen_snapshot = models.ForeignKey(
        "backups.Snapshot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    chosen_option = models.CharField(max_length=20, choices=Option.choices, blank=True)
    reject_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-filed_at", "-id"]
        indexes = [
            # Uses: the helpdesk queue (open requests, oldest first).
            models.Index(fields=["status", "filed_at"], name="request_queue"),
            # Uses: an administrator's list of the account's requests.
            models.Index(fields=["account", "-filed_at", "-id"], name="request_account"),
        ]

    def __str__(self) -> str:
        return f"Restore request #{self.pk} ({self.account})"


class Candidate(models.Model):
    """A snapshot the helpdesk proposes for a request (R15)."""

    request = models.ForeignKey(RestoreRequest, on_delete=models.CASCADE, related_name="candidates")
    snapshot = models.ForeignKey("backups.Snapshot", on_delete=models.PROTECT, related_name="+")
    recommended = models.BooleanField(default=False)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-snapshot__taken_at"]
        constraints = [
            models.UniqueConstraint(fields=["request", "snapshot"], name="candidate_unique")
        ]

    def __str__(self) -> str:
        return f"Candidate {self.snapshot_id} for request #{self.request_id}"


class Message(models.Model):
    """The thread between the administrator and the helpdesk."""

    request = models.ForeignKey(RestoreRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_name = models.CharField(max_length=150)
    from_helpdesk = models.BooleanField(default=False)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Message by {self.author_name} on request #{self.request_id}"


class Transition(models.Model):
    """The audit trail: every change of state, and every run, with who and when."""

    request = models.ForeignKey(
        RestoreRequest, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"#{self.request_id}: {self.from_status or '—'} → {self.to_status}"


class RequestRun(models.Model):
    """A restore run started for a request: the restore itself, or its undo."""

    class Purpose(models.TextChoices):
        RESTORE = "restore", "Restore"
        UNDO = "undo", "Undo"

    request = models.ForeignKey(RestoreRequest, on_delete=models.CASCADE, related_name="runs")
    run = models.OneToOneField(
        "backups.RestoreRun", on_delete=models.PROTECT, related_name="request_link"
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} run {self.run_id} of request #{self.request_id}"


class DeletionReport(models.Model):
    """R11: a deletion by a person who is not registered in the account, reported
    to the helpdesk (no restore implied). Open on every plan (our decision)."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="deletion_reports")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(help_text="When the data was deleted, in UTC.")
    person = models.CharField(
        "who deleted it", max_length=255, help_text="Name or e-mail of the unregistered person."
    )
    description = models.TextField("what was deleted")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["state", "reported_at"], name="report_queue")]

    def __str__(self) -> str:
        return f"Deletion report #{self.pk} ({self.account})"
