"""What a plan allows: the one function every view, API and service asks.

The table is the one in domain.md ("Plans"). R3: History is for commercial
plans, and the 15-day Professional demo grants it. R17: restores and the CSV
file are for Standard and above; the demo does not count. R11: reports are
open on every plan.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from recovery_portal.errors import PlanUpgradeRequired

from .models import Account, Plan


class Capability(StrEnum):
    HISTORY = "history"
    RESTORE = "restore"
    REPORT = "report"


PLAN_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Plan.FREE: frozenset({Capability.REPORT}),
    Plan.BASIC: frozenset({Capability.HISTORY, Capability.REPORT}),
    Plan.STANDARD: frozenset({Capability.HISTORY, Capability.RESTORE, Capability.REPORT}),
    Plan.PROFESSIONAL: frozenset({Capability.HISTORY, Capability.RESTORE, Capability.REPORT}),
    Plan.ENTERPRISE: frozenset({Capability.HISTORY, Capability.RESTORE, Capability.REPORT}),
}

# R3: what the demo adds to the plan's own capabilities (not restores: R17).
DEMO_CAPABILITIES = frozenset({Capability.HISTORY})

CAPABILITY_DESCRIPTIONS = {
    Capability.HISTORY: "See the CRM History and restore from the recycle bin",
    Capability.RESTORE: "Request a restore from a daily backup, or its CSV file",
    Capability.REPORT: "Report a deletion by an unregistered person to the helpdesk",
}


def demo_ends_at(account: Account) -> datetime | None:
    if account.demo_started_at is None:
        return None
    return account.demo_started_at + timedelta(days=settings.DEMO_DAYS)


def demo_active(account: Account, *, now: datetime | None = None) -> bool:
    ends = demo_ends_at(account)
    return ends is not None and (now or timezone.now()) < ends


def capabilities(account: Account, *, now: datetime | None = None) -> frozenset[Capability]:
    allowed = PLAN_CAPABILITIES[account.plan]
    if demo_active(account, now=now):
        allowed = allowed | DEMO_CAPABILITIES  # R3: the demo grants History
    return allowed


def plan_allows(account: Account, capability: Capability, *, now: datetime | None = None) -> bool:
    """R3, R11, R17: whether the account's plan (and demo) allows `capability` now."""
    return capability in capabilities(account, now=now)


def plans_with(capability: Capability) -> list[str]:
    """The plans whose own table row has `capability`, cheapest first."""
    return [plan.value for plan in Plan if capability in PLAN_CAPABILITIES[plan]]


def upgrade_detail(account: Account, capability: Capability) -> str:
    """What a refusal for `capability` says: the plan lacks it, which plans have it."""
    names = ", ".join(Plan(p).label for p in plans_with(capability))
    return (
        f"Your {Plan(account.plan).label} plan does not include this. It is part of: {names}. "
        "Upgrade under Subscription > Upgrade."
    )


def require_capability(account: Account, capability: Capability) -> None:
    """Raise `plan_upgrade_required` unless the plan allows `capability`."""
    if not plan_allows(account, capability):
        raise PlanUpgradeRequired(upgrade_detail(account, capability))
