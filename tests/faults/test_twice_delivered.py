"""Twice delivered: a restore run's task and a snapshot's task are each sent
twice, round after round; in half the rounds two workers take the two
deliveries at once, in the others the second delivery comes after the first
has finished (as a redelivery after a visibility timeout would). Each is
applied once: the run is completed with one attempt, one safety snapshot, one
summary event in the History and one event per changed record; the snapshot is
one complete row with one set of id chunks and sound files."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import Role
from backups.models import Snapshot, SnapshotIds
from backups.restore_tasks import run_restore
from backups.snapshots import queue_daily_snapshot, snapshot_problems, take_snapshot
from backups.tasks import run_snapshot
from crm import services
from tests.factories import AccountFactory, actor_for, make, member
from tests.faults.support import count, report, wait_until
from tests.restores.support import (
    current_records,
    finished,
    new_run,
    run_events,
    snapshot_records,
    task_finished,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CRM = ["company", "contact", "lead", "deal"]


def _account():
    """An account with a few records, yesterday's snapshot, and changes since."""
    account = AccountFactory()
    admin = member(account, Role.ADMIN)
    actor = actor_for(admin)
    company = make(account, "company", actor, title="Acme Srl")
    contacts = [
        make(account, "contact", actor, name=f"C{i}", company_id=company.pk) for i in range(4)
    ]
    make(account, "deal", actor, title="Deal", company_id=company.pk, contact_id=contacts[0].pk)
    make(account, "lead", actor, title="Lead")
    yesterday = (timezone.now() - timedelta(days=1)).date()
    snapshot = take_snapshot(account, taken_for=yesterday)
    services.records_bulk_delete(
        account=account, entity_type="contact", ids=[c.pk for c in contacts[:2]], actor=actor
    )
    services.record_update(
        account=account,
        entity_type="company",
        record_id=company.pk,
        values={"title": "Acme S.p.A."},
        actor=actor,
    )
    make(account, "lead", actor, title="New lead")
    return account, admin, snapshot


def _done(workers, sent) -> bool:
    return all(any(task_finished(w, s.id) for w in workers) for s in sent)


def test_a_run_and_a_snapshot_delivered_twice_are_each_applied_once(celery_worker, second_worker):
    rounds = count("twice")
    workers = [celery_worker, second_worker]
    modes: Counter = Counter()
    passed = split = 0
    for number in range(1, rounds + 1):
        mode = "two workers at once" if number % 2 else "again after it finished"
        where = f"round {number}/{rounds} ({mode})"
        account, admin, snapshot = _account()
        run = new_run(account, snapshot, "crm_rollback", admin)
        daily = queue_daily_snapshot(account, timezone.now().date())

        if mode == "two workers at once":
            # Back to back: the two idle workers take the two deliveries of each task.
            sent = [run_restore.delay(run.pk), run_restore.delay(run.pk)]
            sent += [run_snapshot.delay(daily.pk), run_snapshot.delay(daily.pk)]
        else:
            sent = [run_restore.delay(run.pk), run_snapshot.delay(daily.pk)]
            wait_until(lambda s=sent: _done(workers, s), f"{where}: the first deliveries")
            sent += [run_restore.delay(run.pk), run_snapshot.delay(daily.pk)]
        wait_until(lambda s=sent: _done(workers, s), f"{where}: every delivery")
        lines = [next(filter(None, (task_finished(w, s.id) for w in workers))) for s in sent]
        assert all("succeeded" in line for line in lines), f"{where}: {lines}"
        if mode == "two workers at once":
            takers = [{i for i, w in enumerate(workers) if task_finished(w, s.id)} for s in sent]
            split += takers[0] != takers[1]  # the run's two deliveries on two workers

        # The run: applied once.
        run = finished(run)
        assert run.status == "completed", f"{where}: {run.error}"
        assert run.attempts == 1, where
        assert Snapshot.objects.filter(account=account, kind="safety").count() == 1, where
        events = run_events(run)
        assert events.filter(entity_type="restore_run").count() == 1, where
        changed = sum(c["back"] + c["lost"] + c["reverted"] for c in run.result["counts"].values())
        # 2 contacts back, their deal and the company reverted, the new lead removed.
        assert changed == 5, where
        assert events.count() == changed + 1, where
        twice = events.values("entity_type", "entity_id").annotate(n=Count("id")).filter(n__gt=1)
        assert not twice.exists(), where
        assert current_records(account.pk, CRM) == snapshot_records(snapshot, CRM), where

        # The snapshot: taken once.
        days = Snapshot.objects.filter(account=account, kind="daily", day=daily.day)
        assert list(days.values_list("pk", "status")) == [(daily.pk, "complete")], where
        daily.refresh_from_db()
        chunks = SnapshotIds.objects.filter(snapshot=daily).values("entity_type")
        counted = {c["entity_type"]: c["n"] for c in chunks.annotate(n=Sum("count"))}
        assert counted == {k: v for k, v in daily.row_counts.items() if v}, where
        assert snapshot_problems(daily) == [], where
        modes[mode] += 1
        passed += 1

    report(
        "delivered twice",
        passed,
        rounds,
        modes=dict(modes),
        run_on_two_workers_at_once=split,
    )
