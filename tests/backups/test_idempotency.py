"""R6 idempotency: one daily snapshot per account and day, by the database."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from backups.models import Snapshot
from backups.snapshots import (
    queue_daily_snapshot,
    run_queued_snapshot,
    snapshot_contains,
    snapshot_ids,
    take_snapshot,
)
from tests.factories import make

pytestmark = pytest.mark.django_db(transaction=True)


def test_r6_a_second_daily_snapshot_for_the_same_day_takes_none(acme):
    first = take_snapshot(acme)
    second = take_snapshot(acme)

    assert second.pk == first.pk
    assert Snapshot.objects.filter(account=acme).count() == 1


def test_r6_the_database_refuses_a_second_daily_snapshot_row(acme):
    day = date(2026, 11, 20)
    Snapshot.objects.create(account=acme, day=day, status="complete")
    with pytest.raises(IntegrityError), transaction.atomic():
        Snapshot.objects.create(account=acme, day=day, status="running")
    # A failed attempt does not count; safety snapshots are not daily ones.
    Snapshot.objects.filter(account=acme).update(status="failed")
    Snapshot.objects.create(account=acme, day=day, status="running")
    Snapshot.objects.create(account=acme, day=day, kind="safety", status="running")
    assert Snapshot.objects.filter(account=acme, day=day).count() == 3


def test_r6_a_queued_snapshot_runs_once_whatever_the_deliveries(acme, globex):
    make(acme, "contact")
    queued = queue_daily_snapshot(acme, date.today())
    assert queue_daily_snapshot(acme, date.today()) is None  # the claim is the row

    done = run_queued_snapshot(queued.pk)
    again = run_queued_snapshot(queued.pk)

    assert done.status == "complete" and again is None
    assert Snapshot.objects.filter(account=acme).count() == 1
    assert not Snapshot.objects.filter(account=globex).exists()


def test_take_snapshot_runs_a_queued_daily_snapshot_instead_of_adding_one(acme):
    queued = queue_daily_snapshot(acme, date.today())
    taken = take_snapshot(acme, taken_for=date.today())
    assert taken.pk == queued.pk and taken.status == "complete"


def test_safety_snapshots_are_taken_every_time(acme):
    take_snapshot(acme)
    a = take_snapshot(acme, kind="safety")
    b = take_snapshot(acme, kind="safety")
    assert {a.kind, b.kind} == {"safety"} and a.pk != b.pk
    assert Snapshot.objects.filter(account=acme, status="complete").count() == 3


def test_snapshot_contains_says_which_ids_it_holds(acme, globex):
    kept = [make(acme, "contact", name=f"C{i}").pk for i in range(5)]
    other = make(globex, "contact").pk
    snapshot = take_snapshot(acme)
    gone = make(acme, "contact").pk  # created after the snapshot

    assert snapshot_contains(snapshot, "contact", [kept[0], kept[3], gone, other, 10**9]) == {
        kept[0],
        kept[3],
    }
    assert snapshot_contains(snapshot, "company", kept) == set()
    assert snapshot_contains(snapshot, "contact", []) == set()
    assert list(snapshot_ids(snapshot, "contact")) == kept


def test_snapshot_contains_over_many_chunks(acme, settings):
    from backups import snapshots

    settings.SNAPSHOT_USE_COPY = True
    original = snapshots.CHUNK_IDS
    snapshots.CHUNK_IDS = 3  # many small chunks
    try:
        ids = [make(acme, "lead", title=f"L{i}").pk for i in range(10)]
        snapshot = take_snapshot(acme)
    finally:
        snapshots.CHUNK_IDS = original
    assert snapshot.id_chunks.filter(entity_type="lead").count() == 4
    assert snapshot_contains(snapshot, "lead", ids[::3] + [ids[-1] + 1000]) == set(ids[::3])
    assert list(snapshot_ids(snapshot, "lead")) == ids
