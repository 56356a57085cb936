"""Helpers of the recycle bin tests: records deleted through the services (so
their delete events are the real ones), and a fingerprint of every CRM table
and the History, to assert that a refused request changed nothing."""

from __future__ import annotations

import pytest
from django.db import connection

from crm import services
from crm.registry import entity_types
from crm_history.models import Event
from tests.factories import actor_for, make

BIN_URL = "/api/v1/recycle-bin/"
RESTORE_URL = "/api/v1/recycle-bin/restore/"


def delete(account, record, *, by, entity_type: str | None = None, now=None) -> Event:
    """Delete `record` as user `by` through the services; its delete event."""
    entity_type = entity_type or type(record).__name__.lower()
    result = services.record_delete(
        account=account,
        entity_type=entity_type,
        record_id=record.pk,
        actor=actor_for(by),
        now=now,
    )
    return Event.objects.get(
        account=account, operation=result.operation, action="delete", entity_id=record.pk
    )


def made_and_deleted(account, entity_type: str, *, by, **values) -> Event:
    record = make(account, entity_type, actor=actor_for(by), **values)
    return delete(account, record, by=by, entity_type=entity_type)


def fingerprint() -> dict:
    """Row count and an md5 of every row, per CRM table, and the History's size."""
    prints = {}
    with connection.cursor() as cursor:
        for et in entity_types():
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) "
                f"FROM {et.table} t"
            )
            prints[et.entity_type] = cursor.fetchone()
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM crm_history_event")
        prints["events"] = cursor.fetchone()
    return prints


@pytest.fixture
def restore_call():
    """restore_call(client, events, **more) → the response of POST restore/."""

    def call(client, events, **more):
        return client.post(RESTORE_URL, {"events": events, **more}, format="json")

    return call
