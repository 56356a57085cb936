"""R6: a snapshot is one consistent moment across all tables. A change committed
to two tables while the snapshot runs is in it entirely or not at all."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from accounts.actors import Actor, Source
from backups.snapshots import iter_records, take_snapshot
from crm import services
from crm.registry import entity
from tests.factories import make

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_until_blocked_on(table: str, timeout: float = 30) -> None:
    """Until another session waits for a lock on `table` (the snapshot, between files)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted",
                [table],
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError(f"Nothing waited on {table}")


def test_r6_a_write_committed_during_the_snapshot_is_not_half_in_it(acme):
    company = make(acme, "company", title="Before")
    deal = make(acme, "deal", title="Before", company_id=company.pk)
    actor = Actor.system(source=Source.COMMAND)
    result = {}

    def snapshot_in_background():
        try:
            result["snapshot"] = take_snapshot(acme)
        finally:
            connections.close_all()

    lead_table = entity("lead").table
    # Hold the snapshot between entity files: it writes companies and contacts,
    # then waits for the leads table, which this transaction locks until it
    # commits; deals come after leads, in statements of their own.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {lead_table} IN ACCESS EXCLUSIVE MODE")
        worker = threading.Thread(target=snapshot_in_background)
        worker.start()
        _wait_until_blocked_on(lead_table)
        # One change to two tables, committed while the snapshot is half-way.
        services.record_update(
            account=acme, entity_type="company", record_id=company.pk,
            values={"title": "After"}, actor=actor,
        )  # fmt: skip
        services.record_update(
            account=acme, entity_type="deal", record_id=deal.pk,
            values={"title": "After"}, actor=actor,
        )  # fmt: skip
        make(acme, "contact", name="Created", last_name="During the snapshot")
        committed_after = timezone.now()
    worker.join(60)
    snapshot = result["snapshot"]

    assert snapshot.status == "complete"
    companies = list(iter_records(snapshot, "company"))
    deals = list(iter_records(snapshot, "deal"))
    # All or nothing: here nothing, since the snapshot's moment came first.
    assert [c["title"] for c in companies] == ["Before"]
    assert [d["title"] for d in deals] == ["Before"]
    assert list(iter_records(snapshot, "contact")) == []
    assert snapshot.taken_at < committed_after
    # The data itself did change.
    assert entity("deal").model.objects.get(pk=deal.pk).title == "After"


def test_a_snapshot_refuses_to_run_inside_a_transaction(acme):
    with transaction.atomic(), pytest.raises(RuntimeError, match="outside any transaction"):
        take_snapshot(acme)
