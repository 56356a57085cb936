"""Services lost under a running request or snapshot.

- Redis (the broker) restarted while a restore request's run is half-way, on a
  Redis server of the test's own configured as production's (append-only file,
  noeviction) with a prefork worker, as docker-compose runs them: the request
  is not lost, its run ends completed or failed cleanly (the account at the
  snapshot or as it was), and the request can go on through the restarted
  broker (an undo, or a retry). Also restarted while a run is still queued:
  the queued task survives and runs.
- The database connection of a running snapshot killed
  (`pg_terminate_backend`): the snapshot is marked failed at once (no files,
  no id chunks), never complete, never offered, never counted for retention:
  pruning keeps the newest complete snapshot, however old.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from backups.models import Snapshot, SnapshotIds
from backups.restore_models import RestoreRun
from backups.restores import _run_lock_key, reap_stale_runs, start_run
from backups.snapshot_upkeep import prune_snapshots
from backups.snapshots import queue_daily_snapshot, take_snapshot
from backups.storage import snapshot_storage
from backups.tasks import run_snapshot
from crm import services as crm_services
from crm.registry import entity
from recovery_portal.errors import Invalid
from restore_requests import services
from restore_requests.models import RestoreRequest
from tests.factories import actor_for, make
from tests.faults.support import advisory_held, big_account, report, wait_until
from tests.restores.support import (
    backend_waiting_on,
    crm_checksum,
    finished,
    run_events,
    table_locked,
    task_finished,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _changed_account(account, admin):
    """Records, a snapshot, then a day's work: returns the snapshot and the
    checksums at the snapshot and now."""
    actor = actor_for(admin)
    big_account(account, 2_000)
    make(account, "company", actor, title="Acme Srl")
    snapshot = take_snapshot(account, taken_for=(timezone.now() - timedelta(days=1)).date())
    at_snapshot = crm_checksum(account.pk)
    contacts = entity("contact").model.objects.filter(account=account).order_by("pk")
    crm_services.records_bulk_delete(
        account=account,
        entity_type="contact",
        ids=list(contacts.values_list("pk", flat=True)[:500]),
        actor=actor,
    )
    make(account, "company", actor, title="Created after the snapshot")
    return snapshot, at_snapshot, crm_checksum(account.pk)


def _confirmed(account, admin, helpdesk, snapshot) -> RestoreRequest:
    request = services.request_file(
        account=account,
        actor=admin,
        deleted_at=timezone.now() - timedelta(hours=1),
        option="crm_rollback",
    )
    services.request_propose(
        request=request, snapshot_ids=[snapshot.pk], message="This one.", actor=helpdesk
    )
    return services.request_confirm(
        request=request,
        snapshot_id=snapshot.pk,
        option="crm_rollback",
        confirm_account_name=account.name,
        actor=admin,
    )


def _run_of(request) -> RestoreRun:
    return request.runs.select_related("run").order_by("pk").last().run


def _settled(request) -> RestoreRequest:
    return wait_until(
        lambda: RestoreRequest.objects.filter(
            pk=request.pk, status__in=["completed", "failed"]
        ).first(),
        f"request #{request.pk} to follow its run",
    )


def test_redis_restarted_while_a_request_runs_loses_no_request(own_redis, acme, alice, helen):
    server, worker = own_redis
    reaped = False
    snapshot, at_snapshot, before = _changed_account(acme, alice)
    deals = entity("deal").table

    # The run is half-way through its transaction (it waits for the deals table)
    # when the broker goes away and comes back.
    with table_locked(deals):
        request = _confirmed(acme, alice, helen, snapshot)
        wait_until(lambda: backend_waiting_on(deals), "the run to be half-way", timeout=60)
        server.restart()
    run = _run_of(request)

    def ended_or_abandoned():
        current = RestoreRun.objects.get(pk=run.pk)
        if current.status in ("completed", "failed"):
            return current
        held = advisory_held([_run_lock_key(run.pk)])
        return current if current.status == "running" and not held else None

    run = wait_until(ended_or_abandoned, "the run to end or be abandoned", timeout=60)
    if run.status == "running":
        # A prefork worker terminates a late-acknowledged task when it loses the
        # broker (worker_cancel_long_running_tasks_on_connection_loss): the run's
        # process is gone, its transaction with it, and the run is left running
        # with its run lock free. Beat's reaper (every minute) fails it once its
        # heartbeat is a minute old; here it runs as it would two minutes later.
        assert reap_stale_runs(now=timezone.now() + timedelta(minutes=2)) == 1
        run = finished(run, timeout=30)
        reaped = True
    request = _settled(request)
    outcome = run.status
    if outcome == "completed":
        assert crm_checksum(acme.pk) == at_snapshot
        assert request.status == "completed"
    else:
        assert outcome == "failed", outcome
        assert crm_checksum(acme.pk) == before
        assert not run_events(run).exists()
        assert request.status == "failed"

    # The request goes on through the restarted broker: an undo of the completed
    # rollback, or a retry of the failed one (proposed again, confirmed again).
    if outcome == "completed":
        again = services.request_undo(request=request, actor=alice)
        assert finished(again).status == "completed"
        assert crm_checksum(acme.pk) == before
    else:
        services.request_propose(
            request=request, snapshot_ids=[snapshot.pk], message="Again.", actor=helen
        )
        request = services.request_confirm(
            request=request,
            snapshot_id=snapshot.pk,
            option="crm_rollback",
            confirm_account_name=acme.name,
            actor=alice,
        )
        assert finished(_run_of(request)).status == "completed"
        assert _settled(request).status == "completed"
        assert crm_checksum(acme.pk) == at_snapshot
    report(
        "redis restarted while a request runs",
        1,
        1,
        run=outcome,
        failed_by="beat's reaper" if reaped else "the worker",
        retried="undo completed" if outcome == "completed" else "proposed again, completed",
    )


def test_redis_restarted_while_a_run_is_queued_keeps_its_task(own_redis, acme, alice, helen):
    """No worker is listening when the request is confirmed; the broker restarts
    with the task queued; a worker comes; the run completes (the append-only file
    kept the task, as production's Redis is configured)."""
    server, worker = own_redis
    snapshot, at_snapshot, _ = _changed_account(acme, alice)
    worker.stop()

    request = _confirmed(acme, alice, helen, snapshot)
    server.restart()
    worker.start()

    assert finished(_run_of(request)).status == "completed"
    assert _settled(request).status == "completed"
    assert crm_checksum(acme.pk) == at_snapshot
    report("redis restarted while a run is queued", 1, 1, run="completed")


def _old_snapshot(account, days: int) -> Snapshot:
    moment = timezone.now() - timedelta(days=days)
    return take_snapshot(account, taken_for=moment.date(), record_as_of=moment)


def test_a_snapshot_whose_database_connection_is_killed_is_failed_and_never_counted(
    celery_worker, acme, alice
):
    actor = actor_for(alice)
    for i in range(20):
        make(acme, "contact", actor, name=f"C{i}")
    oldest, newest_complete = _old_snapshot(acme, 9), _old_snapshot(acme, 8)
    contacts = entity("contact").table
    daily = queue_daily_snapshot(acme, timezone.now().date())

    # The snapshot waits for the contacts table, half-way through its files, when
    # its database session is terminated.
    with table_locked(contacts, "ACCESS EXCLUSIVE"):
        sent = run_snapshot.delay(daily.pk)
        pid = wait_until(lambda: backend_waiting_on(contacts), "the snapshot to be half-way")
        assert Snapshot.objects.get(pk=daily.pk).status == "running"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_until(lambda: task_finished(celery_worker, sent.id), "the snapshot task")

    daily.refresh_from_db()
    assert daily.status == "failed", daily.status  # at once, not at the next reaping
    assert "terminat" in daily.error.lower(), daily.error
    assert daily.taken_at is None and not daily.manifest_sha256
    assert not SnapshotIds.objects.filter(snapshot=daily).exists()
    folders = snapshot_storage().listdir(f"snapshots/{acme.pk}/")[0]
    assert sorted(folders) == sorted([str(oldest.pk), str(newest_complete.pk)])  # no files
    # Never offered, never restored from.
    assert daily not in Snapshot.objects.available(acme)
    with pytest.raises(Invalid):
        start_run(account=acme, snapshot=daily, option="crm_rollback", actor=alice)

    # R7: pruning removes the 9-day-old snapshot but keeps the newest complete one,
    # 8 days old: the failed snapshot after it does not count.
    result = prune_snapshots()
    assert [s.pk for s in result.pruned] == [oldest.pk]
    assert [s.pk for s in result.kept_newest] == [newest_complete.pk]
    assert Snapshot.objects.get(pk=newest_complete.pk).status == "complete"
    assert Snapshot.objects.get(pk=daily.pk).status == "failed"

    # The worker works on (a new database session), and today's snapshot is taken.
    again = queue_daily_snapshot(acme, timezone.now().date())
    assert again is not None
    sent = run_snapshot.delay(again.pk)
    wait_until(lambda: task_finished(celery_worker, sent.id), "the second attempt")
    again.refresh_from_db()
    assert again.status == "complete", again.error
    assert [s.pk for s in prune_snapshots().kept_newest] == []
    report("snapshot connection terminated", 1, 1, snapshot="failed", pruning="kept the newest")
