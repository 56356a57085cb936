"""Helpers of the History tests: events at chosen times (as `seed_demo` backdates
them) through the History's own recorder, and the timeline's API call."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import transaction

from accounts.actors import Actor, Source
from crm_history.models import Event
from crm_history.recorder import EventDraft, new_operation, record_events

EVENTS_URL = "/api/v1/history/events/"


def add_event(
    account,
    *,
    at: datetime,
    action: str = "delete",
    entity_type: str = "contact",
    entity_id: int = 1,
    title: str = "Mario Rossi",
    actor: Actor | None = None,
    data: dict | None = None,
    changes: dict | None = None,
) -> Event:
    """One event recorded at `at` (the recorder runs inside a transaction, as in the services)."""
    actor = actor or Actor.system(source=Source.COMMAND)
    with transaction.atomic():
        record_events(
            account_id=account.pk,
            actor=actor,
            operation=new_operation(),
            drafts=[
                EventDraft(
                    entity_type=entity_type,
                    entity_id=entity_id,
                    action=action,
                    title=title,
                    data=data
                    if data is not None
                    else ({"id": entity_id} if action != "update" else None),
                    changes=changes,
                )
            ],
            occurred_at=at,
        )
    return Event.objects.filter(account=account).latest("id")


@pytest.fixture
def events_of():
    """events_of(client, **params) → the JSON of one timeline call (asserting 200)."""

    def call(client, **params):
        response = client.get(EVENTS_URL, params)
        assert response.status_code == 200, response.json()
        return response.json()

    return call


def walk_timeline(client, params, *, page_size: int = 200) -> list[int]:
    """Every event id of the timeline for `params`, following the next links."""
    seen = []
    response = client.get(EVENTS_URL, {**params, "page_size": page_size})
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        seen.extend(row["id"] for row in body["results"])
        if body["next"] is None:
            return seen
        response = client.get(body["next"])
