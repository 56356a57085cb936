"""A run never stays "running" or "queued" for ever: a redelivered task of a
dead worker's run fails it; the periodic reaper fails runs without a heartbeat
whose lock is free, and runs whose task never came; a rollback that cannot get
the account's writes in time fails with a sentence saying so. None of them
changes the account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.guard import account_lock_key
from backups.restore_models import RestoreRun
from backups.restores import (
    NEVER_RUN,
    WORKER_LOST,
    _run_lock_key,
    execute_run,
    reap_stale_runs,
)
from backups.snapshots import take_snapshot
from tests.factories import AccountFactory
from tests.restores.support import advisory_locked, new_run, rows_checksum, run_events

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_run_delivered_again_after_its_worker_died_is_failed_and_changes_nothing(changed):
    w = changed
    run = new_run(w.acme, w.snapshot, "crm_rollback", w.alice)
    # Its first worker claimed it and died (the run lock went with its connection).
    RestoreRun.objects.filter(pk=run.pk).update(status="running", started_at=timezone.now())
    mine = rows_checksum(account_id=w.acme.pk)

    execute_run(run.pk)

    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", WORKER_LOST)
    assert rows_checksum(account_id=w.acme.pk) == mine


def _running(account, user, *, beat_ago: timedelta) -> RestoreRun:
    run = new_run(account, take_snapshot(account), "crm_rollback", user)
    RestoreRun.objects.filter(pk=run.pk).update(
        status="running", heartbeat_at=timezone.now() - beat_ago
    )
    return run


def test_the_periodic_reaper_fails_runs_without_a_heartbeat_whose_lock_is_free(alice):
    dead = _running(AccountFactory(), alice, beat_ago=timedelta(minutes=5))
    alive = _running(AccountFactory(), alice, beat_ago=timedelta(seconds=3))
    slow = _running(AccountFactory(), alice, beat_ago=timedelta(minutes=5))

    with advisory_locked(_run_lock_key(slow.pk)):  # its worker still holds it
        assert reap_stale_runs() == 1

    assert RestoreRun.objects.get(pk=dead.pk).status == "failed"
    assert RestoreRun.objects.get(pk=dead.pk).error == WORKER_LOST
    assert RestoreRun.objects.get(pk=alive.pk).status == "running"
    assert RestoreRun.objects.get(pk=slow.pk).status == "running"


def test_a_queued_run_whose_task_never_came_is_failed_and_frees_the_account(changed, settings):
    w = changed
    lost = new_run(w.acme, w.snapshot, "crm_rollback", w.alice)
    hours = settings.CELERY_VISIBILITY_TIMEOUT / 3600
    RestoreRun.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(hours=hours, minutes=16)
    )
    waiting = new_run(w.globex, take_snapshot(w.globex), "csv_export", w.charlie)
    mine = rows_checksum(account_id=w.acme.pk)

    assert reap_stale_runs() == 1

    lost.refresh_from_db()
    assert (lost.status, lost.error) == ("failed", NEVER_RUN)
    assert RestoreRun.objects.get(pk=waiting.pk).status == "queued"
    assert rows_checksum(account_id=w.acme.pk) == mine
    # The account can have a run again; a late delivery of the lost one does nothing.
    again = new_run(w.acme, w.snapshot, "csv_export", w.alice)
    execute_run(lost.pk)
    assert RestoreRun.objects.get(pk=lost.pk).status == "failed"
    assert RestoreRun.objects.get(pk=again.pk).status == "queued"


def test_a_rollback_that_cannot_pause_the_account_in_time_fails_saying_so(changed, settings):
    w = changed
    settings.RESTORE_LOCK_TIMEOUT_MS = 300
    run = new_run(w.acme, w.snapshot, "crm_rollback", w.alice)
    mine = rows_checksum(account_id=w.acme.pk)

    with advisory_locked(account_lock_key(w.acme.pk)):  # a long write holds the account
        execute_run(run.pk)

    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error.startswith("Changes to the account were still under way")
    assert "nothing was changed" in run.error
    assert run.safety_snapshot is None
    assert rows_checksum(account_id=w.acme.pk) == mine
    assert not run_events(run).exists()
