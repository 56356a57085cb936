"""R6: every account is snapshotted once a day, on every plan, at a slot of its
own spread over the day; the fan-out queues exactly the accounts that are due."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from accounts.models import Plan
from backups.models import Snapshot
from backups.snapshot_schedule import (
    SLOTS_PER_DAY,
    due_accounts,
    enqueue_due_snapshots,
    slot_index,
)
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_r6_slots_are_spread_over_the_day():
    slots = [slot_index(i) for i in range(1, SLOTS_PER_DAY + 1)]
    assert sorted(slots) == list(range(SLOTS_PER_DAY))  # 96 accounts, 96 different slots
    assert len({slot_index(i) for i in range(1, 11)}) == 10
    assert max(slot_index(i) for i in range(1, 11)) - min(slot_index(i) for i in range(1, 11)) > 48


def test_r6_due_accounts_are_those_whose_slot_passed_on_every_plan(db):
    accounts = [AccountFactory(plan=plan) for plan in Plan.values]
    end_of_day = datetime(2026, 11, 25, 23, 59, tzinfo=UTC)
    start_of_day = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)

    assert set(due_accounts(end_of_day)) == set(accounts)
    assert set(due_accounts(start_of_day)) == {a for a in accounts if slot_index(a.pk) == 0}


@pytest.mark.django_db  # not transactional: the tasks are sent on commit, which never comes
def test_r6_fan_out_queues_each_due_account_once_a_day():
    a, b = AccountFactory(plan=Plan.FREE), AccountFactory(plan=Plan.ENTERPRISE)
    now = datetime(2026, 11, 25, 23, 59, tzinfo=UTC)

    first = enqueue_due_snapshots(now)
    second = enqueue_due_snapshots(now)

    assert {s.account for s in first} == {a, b}
    assert second == []
    assert Snapshot.objects.filter(status="queued", day=now.date()).count() == 2


def test_r6_a_failed_attempt_is_tried_again_up_to_three_times(db):
    account = AccountFactory()
    now = datetime(2026, 11, 25, 23, 59, tzinfo=UTC)
    for attempt in range(3):
        assert list(due_accounts(now)) == [account], attempt
        Snapshot.objects.create(account=account, day=now.date(), status="failed")
    assert list(due_accounts(now)) == []


def test_take_snapshots_command_shows_progress_and_takes_no_second_one(filled):
    out = io.StringIO()
    call_command("take_snapshots", "--account", str(filled.pk), stdout=out)
    text = out.getvalue()
    assert f"[1/1] Acme (#{filled.pk}): contact written (4/6)" in text
    snapshot = Snapshot.objects.get(account=filled)
    assert f"snapshot #{snapshot.pk} complete, {snapshot.records:,} records" in text

    out = io.StringIO()
    call_command("take_snapshots", stdout=out)
    assert f"today's snapshot #{snapshot.pk} exists already" in out.getvalue()
    assert Snapshot.objects.filter(account=filled).count() == 1
