"""Our decision (domain.md, after R4): the History is append-only. Nobody can edit
or delete an event: not the model, not a queryset, not raw SQL on PostgreSQL,
not the admin, not the API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction

from crm_history.models import Event
from tests.crm_history.conftest import EVENTS_URL, add_event


@pytest.fixture
def event(acme):
    return add_event(acme, at=datetime(2026, 11, 20, tzinfo=UTC), title="Original")


def _unchanged(event) -> None:
    fresh = Event.objects.get(pk=event.pk)
    assert (fresh.title, fresh.action, fresh.actor_name) == ("Original", "delete", "system")


def test_saving_an_existing_event_is_refused(event):
    event.title = "Forged"
    with pytest.raises(TypeError, match="never edited"):
        event.save()
    _unchanged(event)


def test_deleting_an_event_is_refused(event):
    with pytest.raises(TypeError, match="never deleted"):
        event.delete()
    _unchanged(event)


def test_queryset_update_and_delete_are_refused(event):
    with pytest.raises(TypeError, match="never edited"):
        Event.objects.filter(pk=event.pk).update(title="Forged")
    with pytest.raises(TypeError, match="never edited"), transaction.atomic():
        Event.objects.bulk_update([event], ["title"])
    with pytest.raises(TypeError, match="never deleted"):
        Event.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError, match="never deleted"):
        Event.objects.all().delete()
    _unchanged(event)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE crm_history_event SET title = 'Forged' WHERE id = %s",
        "UPDATE crm_history_event SET actor_name = 'nobody' WHERE id = %s",
        "DELETE FROM crm_history_event WHERE id = %s",
    ],
)
def test_raw_sql_update_and_delete_are_refused_by_postgresql(event, sql):
    assert connection.vendor == "postgresql"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    _unchanged(event)


def test_the_admin_cannot_change_or_delete_an_event(event, page, django_user_model):
    root = django_user_model.objects.create_superuser("root", "r@example.com", "pw-root-123456")
    client = page(root)

    assert client.get(f"/admin/crm_history/event/{event.pk}/change/").status_code == 200  # view
    assert (
        client.post(f"/admin/crm_history/event/{event.pk}/change/", {"title": "Forged"}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/crm_history/event/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    client.post(
        "/admin/crm_history/event/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    _unchanged(event)


def test_the_api_offers_no_way_to_change_an_event(event, alice, api):
    client = api(alice)
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(f"{EVENTS_URL}{event.pk}/", {"title": "Forged"})
        assert response.status_code == 404
        response = getattr(client, method)(EVENTS_URL, {"title": "Forged"})
        assert response.status_code == 405
    _unchanged(event)
