"""R7: snapshots older than seven days are deleted with their files and never
offered; failed ones never count; an account's newest complete one stays."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from backups.models import Snapshot
from backups.snapshot_upkeep import prune_snapshots
from backups.snapshots import take_snapshot
from backups.storage import snapshot_storage

pytestmark = pytest.mark.django_db(transaction=True)


def _snapshot_at(account, taken_at, **extra) -> Snapshot:
    snapshot = take_snapshot(account, kind="safety")
    Snapshot.objects.filter(pk=snapshot.pk).update(taken_at=taken_at, **extra)
    snapshot.refresh_from_db()
    return snapshot


def _files_exist(snapshot) -> bool:
    return snapshot_storage().exists(snapshot.storage_path + "manifest.json")


def test_r7_at_the_seven_day_boundary(acme):
    now = timezone.now()
    inside = _snapshot_at(acme, now - timedelta(days=7) + timedelta(seconds=1))
    outside = _snapshot_at(acme, now - timedelta(days=7) - timedelta(seconds=1))
    newest = _snapshot_at(acme, now - timedelta(hours=1))

    assert list(Snapshot.objects.available(acme, now=now)) == [newest, inside]
    result = prune_snapshots(now=now)

    assert [s.pk for s in result.pruned] == [outside.pk]
    assert not Snapshot.objects.filter(pk=outside.pk).exists()
    assert not _files_exist(outside)
    assert _files_exist(inside) and _files_exist(newest)
    assert result.freed_bytes == outside.size_bytes


def test_r7_the_newest_complete_snapshot_is_kept_but_not_offered(acme, globex):
    now = timezone.now()
    old = _snapshot_at(acme, now - timedelta(days=9))
    older = _snapshot_at(acme, now - timedelta(days=10))
    # A recent failed attempt does not count as a newer snapshot.
    Snapshot.objects.create(
        account=acme, kind="daily", status="failed", day=now.date(), created_at=now
    )

    result = prune_snapshots(now=now)

    assert [s.pk for s in result.pruned] == [older.pk]
    assert [s.pk for s in result.kept_newest] == [old.pk]
    assert _files_exist(old) and not _files_exist(older)
    assert list(Snapshot.objects.available(acme, now=now)) == []
    assert Snapshot.objects.filter(account=acme, status="failed").count() == 1


def test_r7_old_failed_snapshots_are_pruned(acme):
    now = timezone.now()
    failed = Snapshot.objects.create(
        account=acme, status="failed", day=now.date(), created_at=now - timedelta(days=8)
    )
    prune_snapshots(now=now)
    assert not Snapshot.objects.filter(pk=failed.pk).exists()


def test_prune_snapshots_command_says_what_it_pruned(acme):
    now = timezone.now()
    old = _snapshot_at(acme, now - timedelta(days=8))
    _snapshot_at(acme, now - timedelta(days=1))
    out = io.StringIO()

    call_command("prune_snapshots", stdout=out)

    text = out.getvalue()
    assert f"Pruned snapshot #{old.pk} of Acme (complete," in text
    assert "Pruned 1 snapshot, freed" in text
    assert not Snapshot.objects.filter(pk=old.pk).exists()


def test_r7_a_snapshot_a_restore_used_is_expired_not_deleted_and_pruning_goes_on(acme, alice):
    """A run (and a request's candidate) keep their record of the snapshot they
    used: its files go, the row stays as "expired", never offered; the prune does
    not stop there."""
    from backups.restore_models import RestoreRun

    now = timezone.now()
    used = _snapshot_at(acme, now - timedelta(days=9))
    unused = _snapshot_at(acme, now - timedelta(days=8, hours=12))
    _snapshot_at(acme, now - timedelta(hours=1))
    RestoreRun.objects.create(
        account=acme, snapshot=used, option="csv_export", requested_by=alice, status="completed"
    )

    result = prune_snapshots(now=now)

    assert sorted(s.pk for s in result.pruned) == sorted([used.pk, unused.pk])
    used.refresh_from_db()
    assert used.status == "expired" and not _files_exist(used)
    assert not Snapshot.objects.filter(pk=unused.pk).exists()
    assert used not in Snapshot.objects.available(acme, now=now)
    # A second prune finds nothing more to do with it.
    assert used.pk not in [s.pk for s in prune_snapshots(now=now).pruned]
