"""Tenants, memberships and the record of plan changes."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as django_timezone


class Plan(models.TextChoices):
    FREE = "free", "Free"
    BASIC = "basic", "Basic"
    STANDARD = "standard", "Standard"
    PROFESSIONAL = "professional", "Professional"
    ENTERPRISE = "enterprise", "Enterprise"


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    EMPLOYEE = "employee", "Employee"


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/Rome).")


class Account(models.Model):
    """One company's CRM: every row of CRM data belongs to exactly one account."""

    name = models.CharField(max_length=200, unique=True)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.FREE)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    demo_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the account's one 15-day Professional demo started."
    )
    created_at = models.DateTimeField(default=django_timezone.now)
    # The write guard's flag where PostgreSQL advisory locks are not available
    # (the SQLite demo); on PostgreSQL the lock itself is the guard.
    restore_in_progress = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class PlanChange(models.Model):
    """Every change of plan, and the start of the demo, with who and when."""

    class Kind(models.TextChoices):
        UPGRADE = "upgrade", "Plan changed"
        DEMO = "demo", "Demo started"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="plan_changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_plan = models.CharField(max_length=20, choices=Plan.choices)
    to_plan = models.CharField(max_length=20, choices=Plan.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by_name = models.CharField(max_length=150)
    changed_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.account}: {self.get_kind_display()} ({self.from_plan} → {self.to_plan})"


class Membership(models.Model):
    """A user's place in one account (a user belongs to one account at most)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EMPLOYEE)
    created_at = models.DateTimeField(default=django_timezone.now)
    # Set by an administrator from a mass-deletion alert: this member's deletions
    # (on pages, the API with their token, bulk actions) are refused until lifted.
    deletions_suspended_at = models.DateTimeField(null=True, blank=True)
    deletions_suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        indexes = [models.Index(fields=["account", "role"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()} of {self.account})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN
