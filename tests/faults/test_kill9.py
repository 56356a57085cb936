"""kill -9: the worker is SIGKILLed at a random moment of a 20,000-record
rollback, round after round. Each time, once a worker is back, the run has
ended (failed, or completed if the kill came after its commit), never left
running; the account is exactly at its state before the run (failed) or
exactly at the snapshot (completed), every CRM table compared row by row by
checksum; other accounts are untouched; no snapshot is left running; the
account takes writes again."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db import connection

from accounts.guard import account_lock_key
from accounts.models import Role
from backups.models import Snapshot
from backups.restore_models import RestoreRun
from backups.restores import _run_lock_key, start_run
from backups.snapshots import snapshot_lock_key, take_snapshot
from crm import services
from crm.registry import entity
from tests.factories import AccountFactory, actor_for, make, member
from tests.faults.support import (
    advisory_held,
    big_account,
    count,
    report,
    seeded,
    wait_until,
)
from tests.restores.support import (
    _raw_connection,
    advisory_locked,
    backend_waiting_on_advisory,
    crm_checksum,
    finished,
    rows_checksum,
    run_events,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CONTACTS = 10_000  # and as many deals: 20,000 records; 5,000 contacts deleted after


def _account_with_a_day_of_work():
    """An account of 20,000 records with a snapshot, then changed: returns the
    account, its admin, the snapshot and the checksum of its rows at the snapshot."""
    account = AccountFactory()
    admin = member(account, Role.ADMIN)
    actor = actor_for(admin)
    make(account, "company", actor, title="Kept company")
    make(account, "product", actor, name="Kept product", price="10.00")
    big_account(account, CONTACTS)
    snapshot = take_snapshot(account)
    at_snapshot = crm_checksum(account.pk)
    contacts = entity("contact").model.objects.filter(account=account).order_by("pk")
    services.records_bulk_delete(
        account=account,
        entity_type="contact",
        ids=list(contacts.values_list("pk", flat=True)[:5000]),  # their deals unlinked
        actor=actor,
    )
    make(account, "company", actor, title="Created after the snapshot")
    deal = entity("deal").model.objects.filter(account=account).order_by("-pk").first()
    services.record_update(
        account=account,
        entity_type="deal",
        record_id=deal.pk,
        values={"title": "Changed after the snapshot"},
        actor=actor,
    )
    return account, admin, snapshot, at_snapshot


def _locks_of(account, run) -> list[int]:
    running = Snapshot.objects.filter(account=account, status="running").values_list(
        "pk", flat=True
    )
    return [account_lock_key(account.pk), _run_lock_key(run.pk)] + [
        snapshot_lock_key(pk) for pk in running
    ]


def _moment(account, run) -> str:
    """Where the run is, as the database shows it (the progress phase lags by up to
    half a second): not started, verifying, taking the safety snapshot, applying
    (the safety snapshot complete, the transaction open), or committed."""
    status = RestoreRun.objects.values_list("status", flat=True).get(pk=run.pk)
    if status != "running":
        return status
    safety = Snapshot.objects.filter(account=account, kind="safety").values_list(
        "status", flat=True
    )
    if not safety:
        return "verifying"
    return "applying" if safety[0] == "complete" else "safety snapshot"


def test_a_worker_killed_at_a_random_moment_of_a_rollback_leaves_one_of_two_states(
    celery_worker, globex, charlie
):
    rounds = count("kill")
    rng, seed = seeded("kill")
    make(globex, "contact", actor_for(charlie), name="Globex person")

    # How long a whole run takes here (not counted): the kills are spread over it.
    account, admin, snapshot, _ = _account_with_a_day_of_work()
    t0 = time.monotonic()
    calibration = finished(
        start_run(account=account, snapshot=snapshot, option="crm_rollback", actor=admin)
    )
    span = time.monotonic() - t0
    assert calibration.status == "completed", calibration.error

    passed = 0
    at_kill: Counter = Counter()
    outcomes: Counter = Counter()
    for number in range(1, rounds + 1):
        account, admin, snapshot, at_snapshot = _account_with_a_day_of_work()
        before = crm_checksum(account.pk)
        others = rows_checksum(other_than=account.pk)
        where = f"round {number}/{rounds} (FAULT_SEED={seed})"

        run = start_run(account=account, snapshot=snapshot, option="crm_rollback", actor=admin)
        time.sleep(rng.uniform(0, span * 1.1))
        moment = _moment(account, run)
        celery_worker.kill()
        at_kill[moment] += 1

        # The dead worker's sessions end (and their locks with them); then a worker is back.
        wait_until(lambda a=account, r=run: not advisory_held(_locks_of(a, r)), "the locks")
        celery_worker.start()
        try:
            run = finished(run)
        except AssertionError:
            state = RestoreRun.objects.values("status", "phase", "error").get(pk=run.pk)
            raise AssertionError(f"{where}: killed at {moment}, the run is left {state}") from None
        outcomes[run.status] += 1

        after = crm_checksum(account.pk)
        if run.status == "completed":
            assert after == at_snapshot, f"{where}: completed but not at the snapshot"
            assert run_events(run).filter(entity_type="restore_run").count() == 1, where
        else:
            assert run.status == "failed", f"{where}: {run.status}"
            assert after == before, f"{where}: failed but the account changed"
            assert not run_events(run).exists(), f"{where}: events of a failed run"
        assert rows_checksum(other_than=account.pk) == others, f"{where}: other accounts"
        wait_until(
            lambda a=account: (
                not Snapshot.objects.filter(account=a, status__in=["queued", "running"]).exists()
            ),
            f"{where}: the dead worker's snapshot to be reaped",
        )
        make(account, "contact", actor_for(admin), name="Back to work")  # writes again
        passed += 1

    report(
        "kill -9 mid-rollback",
        passed,
        rounds,
        records=2 * CONTACTS,
        run_seconds=round(span, 2),
        killed_at=dict(at_kill),
        outcomes=dict(outcomes),
        seed=seed,
    )


def test_a_worker_killed_while_its_rollback_waits_for_the_account_leaves_no_run_behind(
    celery_worker, acme, alice
):
    """The window before the rollback has the account's writes: a write holds the
    account, the worker waits for it, and dies there. Once a worker is back the
    run has ended (it is not left queued for the broker to hand out hours later)."""
    make(acme, "contact", actor_for(alice), name="Before")
    snapshot = take_snapshot(acme)
    make(acme, "contact", actor_for(alice), name="After")
    before = crm_checksum(acme.pk)

    with advisory_locked(account_lock_key(acme.pk)):  # a long write holds the account
        run = start_run(account=acme, snapshot=snapshot, option="crm_rollback", actor=alice)
        wait_until(
            lambda: backend_waiting_on_advisory(account_lock_key(acme.pk)),
            "the worker to wait for the account",
        )
        celery_worker.kill()
    # The dead worker's session gets the account and only then finds its client gone.
    wait_until(lambda: not advisory_held([_run_lock_key(run.pk)]), "the run lock")
    celery_worker.start()

    run = finished(run)
    assert run.status == "failed"
    assert crm_checksum(acme.pk) == before
    assert not run_events(run).exists()
    # The account can have a run again at once, and it applies.
    again = finished(start_run(account=acme, snapshot=snapshot, option="crm_rollback", actor=alice))
    assert again.status == "completed", again.error


def _claim_waiting() -> int | None:
    """The pid of a session waiting for a row lock to claim a restore run."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            [f'UPDATE "{RestoreRun._meta.db_table}"%'],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def test_a_worker_killed_between_taking_a_run_and_claiming_it_leaves_no_run_behind(
    celery_worker, acme, alice
):
    """The machine dies (the worker and its database session) after the worker has
    taken the run's task from the broker and before its claim: the run is still
    queued and its task unacknowledged, which the broker would hand out again only
    after its visibility timeout (hours). A worker that starts gives it its task
    again: the run completes."""
    make(acme, "contact", actor_for(alice), name="Before")
    snapshot = take_snapshot(acme)
    make(acme, "contact", actor_for(alice), name="After")
    at_snapshot_contacts = 1

    holder = _raw_connection()
    try:
        run = start_run(account=acme, snapshot=snapshot, option="crm_rollback", actor=alice)
        with holder.cursor() as cursor:  # the claim's UPDATE waits for this row lock
            cursor.execute(
                f'SELECT 1 FROM "{RestoreRun._meta.db_table}" WHERE id = %s FOR UPDATE',
                [run.pk],
            )
        pid = wait_until(_claim_waiting, "the worker to claim the run")
        celery_worker.kill()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        wait_until(lambda: not advisory_held([_run_lock_key(run.pk)]), "the run lock")
    finally:
        holder.rollback()
        holder.close()
    assert RestoreRun.objects.get(pk=run.pk).status == "queued"

    celery_worker.start()

    run = finished(run)
    assert run.status == "completed", run.error
    assert run.attempts == 1
    contacts = entity("contact").model.objects.filter(account=acme)
    assert list(contacts.values_list("name", flat=True)) == ["Before"]
    assert contacts.count() == at_snapshot_contacts
