"""At most one run per account at a time, guaranteed by the database; a run
delivered twice (or executed by two workers at once) applies once."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connections, transaction

from accounts.guard import account_lock_key
from backups.restore_models import RestoreRun
from backups.restore_tasks import run_restore
from backups.restores import cancel_queued_run, execute_run, start_run
from backups.snapshots import take_snapshot
from recovery_portal.errors import Conflict
from tests.restores.support import (
    advisory_locked,
    backend_waiting_on_advisory,
    current_records,
    finished,
    new_run,
    run_events,
    snapshot_records,
    wait_for,
    wait_for_task,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _expected_events(run) -> int:
    counts = run.result["counts"]
    return sum(c["back"] + c["lost"] + c["reverted"] for c in counts.values()) + 1


@pytest.mark.worker
def test_a_second_run_for_the_account_is_refused_with_409_while_one_is_queued(
    celery_worker, changed
):
    w = changed
    # A CRM write holds the account: the first run stays queued meanwhile.
    with advisory_locked(account_lock_key(w.acme.pk)):
        first = start_run(account=w.acme, snapshot=w.snapshot, option="crm_rollback", actor=w.alice)
        wait_for(
            lambda: backend_waiting_on_advisory(account_lock_key(w.acme.pk)),
            "the first run to wait for the account",
        )
        for option in ("crm_rollback", "full_rollback", "csv_export"):
            with pytest.raises(Conflict) as refused:
                start_run(account=w.acme, snapshot=w.snapshot, option=option, actor=w.alice)
            assert refused.value.status == 409
            assert refused.value.code == "conflict"
        # The database itself refuses a second active run, whoever inserts it.
        with pytest.raises(IntegrityError), transaction.atomic():
            new_run(w.acme, w.snapshot, "csv_export", w.alice)
        # Another account is not held up.
        other = new_run(w.globex, take_snapshot(w.globex), "csv_export", w.charlie)
        assert cancel_queued_run(other)

    first = finished(first)
    assert first.status == "completed", first.error
    assert RestoreRun.objects.filter(account=w.acme).count() == 1
    # Once it has ended, the account can have another run.
    second = finished(
        start_run(account=w.acme, snapshot=w.snapshot, option="csv_export", actor=w.alice)
    )
    assert second.status == "completed", second.error


def test_two_runs_started_at_the_same_moment_one_is_refused(changed):
    w = changed
    barrier = threading.Barrier(2)
    outcomes = []

    def start():
        try:
            barrier.wait(10)
            with transaction.atomic():
                run = new_run(w.acme, w.snapshot, "crm_rollback", w.alice)
                outcomes.append(("queued", run.pk))
        except IntegrityError:
            outcomes.append(("refused", None))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(o[0] for o in outcomes) == ["queued", "refused"]
    assert RestoreRun.objects.filter(account=w.acme).count() == 1


@pytest.mark.worker
def test_a_task_delivered_three_times_applies_once(celery_worker, changed):
    w = changed
    run = finished(
        start_run(account=w.acme, snapshot=w.snapshot, option="crm_rollback", actor=w.alice)
    )
    assert run.status == "completed", run.error
    events = run_events(run).count()
    assert events == _expected_events(run)
    state = current_records(w.acme.pk)

    # The broker hands the same task out again (e.g. after a visibility timeout).
    again = [run_restore.delay(run.pk), run_restore.delay(run.pk)]
    for sent in again:
        line = wait_for_task(celery_worker, sent.id, "a duplicate")
        assert "succeeded" in line

    run.refresh_from_db()
    assert run.status == "completed"
    assert run.attempts == 1
    assert run_events(run).count() == events
    assert run_events(run).filter(entity_type="restore_run").count() == 1
    assert current_records(w.acme.pk) == state


def test_two_workers_executing_the_same_run_at_once_apply_it_once(changed):
    w = changed
    run = new_run(w.acme, w.snapshot, "crm_rollback", w.alice)
    barrier = threading.Barrier(2)
    errors = []

    def execute():
        try:
            barrier.wait(10)
            execute_run(run.pk)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=execute) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert errors == []
    run.refresh_from_db()
    assert run.status == "completed", run.error
    assert run.attempts == 1
    assert run_events(run).count() == _expected_events(run)
    assert run_events(run).filter(entity_type="restore_run").count() == 1
    wanted = snapshot_records(w.snapshot, ["company", "contact", "lead", "deal"])
    now = current_records(w.acme.pk, ["company", "contact", "lead", "deal"])
    assert now == wanted


def test_a_cancelled_run_is_never_executed(changed):
    w = changed
    run = new_run(w.acme, w.snapshot, "crm_rollback", w.alice)
    assert cancel_queued_run(run)
    before = current_records(w.acme.pk)

    execute_run(run.pk)

    run.refresh_from_db()
    assert run.status == "cancelled"
    assert current_records(w.acme.pk) == before
    assert not run_events(run).exists()
    assert not cancel_queued_run(run)  # only a queued run can be cancelled
