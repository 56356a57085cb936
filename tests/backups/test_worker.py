"""Snapshots on a real Celery worker against Redis: the daily fan-out produces one
complete snapshot per account, a second run makes none, and a worker killed
half-way leaves no complete snapshot; the reaper fails it and removes its files."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone

from backups.models import Snapshot, SnapshotIds
from backups.snapshots import iter_records, queue_daily_snapshot, verify_snapshot
from backups.storage import snapshot_storage
from backups.tasks import run_snapshot, schedule_daily_snapshots
from crm.registry import entity
from tests.factories import AccountFactory, make
from tests.worker import wait_for, wait_for_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_r6_daily_fan_out_on_a_real_worker_snapshots_every_account_once(
    celery_worker, acme, globex
):
    make(acme, "contact", name="Mario")
    make(globex, "company", title="Globex Inc")
    free = AccountFactory(name="Tiny", plan="free")
    end_of_day = datetime.now(UTC).replace(hour=23, minute=59).isoformat()

    sent = schedule_daily_snapshots.delay(now=end_of_day)
    wait_for_task(celery_worker, sent.id, "the fan-out")
    wait_for(
        lambda: Snapshot.objects.filter(status="complete").count() == 3,
        "three complete snapshots",
    )

    snapshots = {s.account_id: s for s in Snapshot.objects.all()}
    assert set(snapshots) == {acme.pk, globex.pk, free.pk}  # R6: every plan
    for snapshot in snapshots.values():
        verify_snapshot(snapshot)
        assert snapshot.day == timezone.now().astimezone(UTC).date()
    assert [r["name"] for r in iter_records(snapshots[acme.pk], "contact")] == ["Mario"]
    assert [r["title"] for r in iter_records(snapshots[globex.pk], "company")] == ["Globex Inc"]

    # A second fan-out, and a second delivery of a snapshot task, make no second snapshot.
    again = schedule_daily_snapshots.delay(now=end_of_day)
    duplicate = run_snapshot.delay(snapshots[acme.pk].pk)
    assert "succeeded" in wait_for_task(celery_worker, again.id, "fan-out 2")
    line = wait_for_task(celery_worker, duplicate.id, "the duplicate")
    assert "'skipped'" in line
    assert Snapshot.objects.count() == 3


def test_a_killed_worker_leaves_no_complete_snapshot_and_the_reaper_cleans_up(
    celery_worker, filled
):
    storage = snapshot_storage()
    queued = queue_daily_snapshot(filled, timezone.now().astimezone(UTC).date())
    folder = f"snapshots/{filled.pk}/{queued.pk}/"
    lead_table = entity("lead").table

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {lead_table} IN ACCESS EXCLUSIVE MODE")
        run_snapshot.delay(queued.pk)

        def waiting_backend():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_locks WHERE relation = %s::regclass AND NOT granted",
                    [lead_table],
                )
                row = cursor.fetchone()
            return row[0] if row else None

        pid = wait_for(waiting_backend, "the snapshot to reach the leads")
        # Half-way: some files are stored, no manifest.
        assert storage.exists(folder + "company.csv.gz")
        assert not storage.exists(folder + "manifest.json")
        celery_worker.kill()

    def backend_gone():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone()[0] == 0

    wait_for(backend_gone, "the dead worker's database session to end")
    queued.refresh_from_db()
    assert queued.status == "running"  # nobody finished it, nobody completed it
    assert not Snapshot.objects.filter(status="complete").exists()

    celery_worker.start()  # the reaper runs at worker start

    wait_for(lambda: Snapshot.objects.get(pk=queued.pk).status == "failed", "the reaper")
    queued.refresh_from_db()
    assert queued.error == "The worker stopped before it finished."
    assert not storage.exists(folder + "company.csv.gz")
    assert not SnapshotIds.objects.filter(snapshot=queued).exists()
    assert not Snapshot.objects.filter(status="complete").exists()
