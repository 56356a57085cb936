"""A snapshot that fails half-way is marked failed and leaves no files; the
reaper does the same for snapshots whose worker or task is gone."""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from backups.models import Snapshot, SnapshotIds
from backups.snapshot_upkeep import reap_stale_snapshots
from backups.snapshots import snapshot_lock_key, take_snapshot
from backups.storage import snapshot_storage

pytestmark = pytest.mark.django_db(transaction=True)


class Interrupted(Exception):
    pass


def test_a_failure_half_way_marks_the_snapshot_failed_and_removes_its_files(filled):
    seen = []

    def stop_at_contacts(entity_type, done, total):
        seen.append(entity_type)
        if entity_type == "contact":
            assert snapshot_storage().exists(
                Snapshot.objects.get(account=filled).storage_path + "company.csv.gz"
            )
            raise Interrupted("stopped half-way")

    with pytest.raises(Interrupted):
        take_snapshot(filled, progress=stop_at_contacts)

    snapshot = Snapshot.objects.get(account=filled)
    assert seen == ["custom_field", "product", "company", "contact"]
    assert snapshot.status == "failed"
    assert snapshot.error == "Interrupted: stopped half-way"
    assert snapshot.finished_at is not None
    dirs, files = snapshot_storage().listdir(f"snapshots/{filled.pk}/")
    assert (dirs, files) == ([], [])
    assert not SnapshotIds.objects.filter(snapshot=snapshot).exists()
    assert not Snapshot.objects.available(filled).exists()

    # R6: a failed attempt does not stand in the way of today's snapshot.
    again = take_snapshot(filled)
    assert again.status == "complete" and again.pk != snapshot.pk


def test_the_reaper_fails_queued_snapshots_whose_task_was_lost(acme, settings):
    now = timezone.now()
    lost = Snapshot.objects.create(
        account=acme,
        status="queued",
        day=now.date(),
        created_at=now - timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT, minutes=16),
    )
    fresh = Snapshot.objects.create(account=acme, status="queued", kind="safety", day=now.date())

    assert reap_stale_snapshots(now=now) == [lost.pk]
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == "failed" and lost.error == "Its task was never run."
    assert fresh.status == "queued"


def test_the_reaper_leaves_a_live_snapshot_alone(acme):
    """A running row whose owner still holds its lock is not reaped (PostgreSQL)."""
    running = Snapshot.objects.create(account=acme, status="running", day=timezone.now().date())
    params = connection.get_connection_params()
    owner = psycopg2.connect(**params)
    try:
        with owner.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [snapshot_lock_key(running.pk)])
        assert reap_stale_snapshots() == []
        running.refresh_from_db()
        assert running.status == "running"
    finally:
        owner.close()  # the owner dies: its lock goes with its session
    deadline = time.monotonic() + 30
    while (reaped := reap_stale_snapshots()) == [] and time.monotonic() < deadline:
        time.sleep(0.05)  # until the server has ended the owner's session
    assert reaped == [running.pk]
