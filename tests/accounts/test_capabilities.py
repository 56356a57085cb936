"""The plan table of domain.md, walked row by row (R3, R11, R17)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.capabilities import Capability, plan_allows
from accounts.models import Account, Plan

# plan: (history, restore, report), exactly as in domain.md
PLAN_TABLE = {
    Plan.FREE: (False, False, True),
    Plan.BASIC: (True, False, True),
    Plan.STANDARD: (True, True, True),
    Plan.PROFESSIONAL: (True, True, True),
    Plan.ENTERPRISE: (True, True, True),
}


@pytest.mark.parametrize("plan", list(PLAN_TABLE))
def test_each_plan_allows_exactly_its_row_of_the_table(plan):
    account = Account(name="x", plan=plan)
    history, restore, report = PLAN_TABLE[plan]
    assert plan_allows(account, Capability.HISTORY) is history
    assert plan_allows(account, Capability.RESTORE) is restore
    assert plan_allows(account, Capability.REPORT) is report


def test_r3_the_demo_grants_history_to_a_free_account_for_fifteen_days():
    started = timezone.now() - timedelta(days=3)
    account = Account(name="x", plan=Plan.FREE, demo_started_at=started)
    assert plan_allows(account, Capability.HISTORY)
    assert not plan_allows(account, Capability.HISTORY, now=started + timedelta(days=15))
    assert plan_allows(
        account, Capability.HISTORY, now=started + timedelta(days=15) - timedelta(seconds=1)
    )


@pytest.mark.parametrize("plan", [Plan.FREE, Plan.BASIC])
def test_r17_the_demo_does_not_count_as_a_subscription_for_restores(plan):
    account = Account(name="x", plan=plan, demo_started_at=timezone.now())
    assert not plan_allows(account, Capability.RESTORE)
