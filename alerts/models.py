"""The rules an account sets, the deletion tallies the detector keeps, and the alerts."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Account


class AlertRules(models.Model):
    """Per account: "N records deleted by one actor within M minutes" and "more
    than P% of one entity type's records deleted within an hour"."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="alert_rules")
    burst_enabled = models.BooleanField("actor rule on", default=True)
    burst_count = models.PositiveIntegerField(
        "records", default=100, validators=[MinValueValidator(2), MaxValueValidator(1_000_000)]
    )
    burst_minutes = models.PositiveIntegerField(
        "within minutes", default=10, validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )
    share_enabled = models.BooleanField("share rule on", default=True)
    share_percent = models.PositiveIntegerField(
        "percent of a type", default=20, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    share_min_records = models.PositiveIntegerField(
        "only for types with at least",
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "alert rules"

    def __str__(self) -> str:
        return f"Alert rules of {self.account}"


class DeletionTally(models.Model):
    """One row per operation that deleted records: who, when, how many of a type,
    by which path. The detector sums the rows of a short window (an index range),
    never the History."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    actor_key = models.CharField(max_length=160)  # "user:<id>" or "name:<actor name>"
    actor_id = models.BigIntegerField(null=True)
    actor_name = models.CharField(max_length=150)
    entity_type = models.CharField(max_length=20)
    path = models.CharField(max_length=20)  # page, api, import, admin, bulk action…
    count = models.PositiveIntegerField()
    at = models.DateTimeField()
    operation = models.UUIDField()

    class Meta:
        indexes = [
            # Uses: the actor rule's window sum.
            models.Index(fields=["account", "actor_key", "at"], name="tally_actor_window"),
            # Uses: the share rule's window sum per entity type.
            models.Index(fields=["account", "entity_type", "at"], name="tally_type_window"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} deleted {self.count} {self.entity_type} at {self.at:%H:%M}"


class Alert(models.Model):
    class Kind(models.TextChoices):
        ACTOR = "actor", "Many deletions by one actor"
        SHARE = "share", "A large share of one type deleted"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    # The burst's key: the actor for the actor rule, the entity type for the share rule.
    burst_key = models.CharField(max_length=160)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150)
    actors = models.JSONField(default=list, blank=True)  # every actor of the burst
    counts = models.JSONField(default=dict)  # {entity_type: n}
    paths = models.JSONField(default=dict)  # {path: n}
    started_at = models.DateTimeField()
    last_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undo_operation = models.UUIDField(null=True, blank=True)
    # When the administrators' e-mails were sent (by the worker): set once, so a
    # task delivered twice sends them once.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "state", "-created_at"], name="alert_account_state"),
            models.Index(fields=["account", "kind", "burst_key", "-last_at"], name="alert_burst"),
        ]

    def __str__(self) -> str:
        return f"Alert #{self.pk}: {self.summary}"

    @property
    def total(self) -> int:
        return sum(int(n) for n in self.counts.values())

    @property
    def counted(self) -> list[str]:
        """The alert's counts for people: "60 companies", "1 contact"."""
        return counted(self.counts)

    @property
    def summary(self) -> str:
        parts = ", ".join(self.counted)
        who = (
            self.actor_name if self.kind == self.Kind.ACTOR else ", ".join(self.actors) or "several"
        )
        return f"{who} deleted {parts}"


def counted(counts: dict[str, int]) -> list[str]:
    """{entity_type: n} as "60 companies", "1 contact", with the labels the CRM
    registered with the History (by entity type, in alphabetical order)."""
    from crm_history.registry import entity_links

    def label(entity_type: str, n: int) -> str:
        links = entity_links(entity_type)
        if links is None:
            return entity_type
        return links.label if n == 1 else links.label_plural

    return [f"{n} {label(t, n)}" for t, n in sorted(counts.items())]
