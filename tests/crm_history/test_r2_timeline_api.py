"""R2: the timeline on the API: filters, newest first, keyset pages of 50, the
fields of an event, the record's link while it exists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accounts.actors import Source
from crm import services
from crm_history.models import Event
from tests.crm_history.conftest import EVENTS_URL, add_event
from tests.factories import actor_for, make

API_FIELDS = {
    "id",
    "action",
    "entity_type",
    "entity_id",
    "title",
    "actor",
    "occurred_at",
    "changes",
    "data",
    "record_url",
}


def _ids(body) -> list[int]:
    return [row["id"] for row in body["results"]]


def test_r2_filtering_on_delete_alone_lists_every_deletion_with_its_actor_and_time(
    acme, alice, bob, api, events_of
):
    kept = make(acme, "company", actor=actor_for(alice), title="Kept Srl")
    contacts = [make(acme, "contact", actor=actor_for(bob), name=f"N{i}") for i in range(3)]
    lead = make(acme, "lead", actor=actor_for(alice))
    services.record_update(
        account=acme,
        entity_type="company",
        record_id=kept.pk,
        values={"title": "Kept Spa"},
        actor=actor_for(alice),
    )
    services.records_bulk_delete(
        account=acme,
        entity_type="contact",
        ids=[c.pk for c in contacts],
        actor=actor_for(bob, Source.API),
    )
    services.record_delete(
        account=acme, entity_type="lead", record_id=lead.pk, actor=actor_for(alice)
    )

    body = events_of(api(alice), action="delete")

    deletions = Event.objects.filter(account=acme, action="delete")
    assert sorted(_ids(body)) == sorted(deletions.values_list("id", flat=True))
    assert len(body["results"]) == 4
    by_entity = {(r["entity_type"], r["entity_id"]): r for r in body["results"]}
    for contact in contacts:
        row = by_entity[("contact", contact.pk)]
        assert row["actor"] == "bob"
        assert row["occurred_at"].endswith("Z")
        assert row["data"]["name"] == contact.name
    assert by_entity[("lead", lead.pk)]["actor"] == "alice"


def test_r2_events_carry_exactly_the_documented_fields(acme, alice, api, events_of):
    company = make(acme, "company", actor=actor_for(alice), title="Acme Srl")
    services.record_update(
        account=acme,
        entity_type="company",
        record_id=company.pk,
        values={"title": "Acme Spa"},
        actor=actor_for(alice),
    )

    body = events_of(api(alice))

    assert set(body) == {"results", "next", "previous"}
    update, create = body["results"]
    assert set(update) == API_FIELDS
    assert update["action"] == "update"
    assert update["entity_type"] == "company"
    assert update["entity_id"] == company.pk
    assert update["title"] == "Acme Spa"
    assert update["actor"] == "alice"
    assert update["changes"] == {"title": ["Acme Srl", "Acme Spa"]}
    assert update["data"] is None
    assert update["record_url"] == f"http://testserver/crm/companies/{company.pk}/"
    assert create["action"] == "create"
    assert create["data"]["title"] == "Acme Srl"
    assert create["changes"] is None


def test_r2_occurred_at_is_utc_with_z_even_on_a_session_call(acme, alice, page):
    at = datetime(2026, 11, 25, 13, 30, 5, tzinfo=UTC)
    add_event(acme, at=at)

    response = page(alice).get(EVENTS_URL)  # the session activates Europe/Rome

    assert response.status_code == 200
    assert response.json()["results"][0]["occurred_at"] == "2026-11-25T13:30:05.000000Z"


def test_r2_a_deleted_record_has_no_link_but_keeps_what_it_was(acme, alice, api, events_of):
    contact = make(acme, "contact", actor=actor_for(alice), name="Anna", email="a@example.com")
    services.record_delete(
        account=acme, entity_type="contact", record_id=contact.pk, actor=actor_for(alice)
    )

    rows = events_of(api(alice))["results"]

    assert [r["action"] for r in rows] == ["delete", "create"]
    assert all(r["record_url"] is None for r in rows)
    assert rows[0]["data"]["email"] == "a@example.com"
    assert rows[0]["title"] == "Anna Rossi"


def test_r2_each_filter_narrows_the_timeline(acme, alice, bob, api, events_of):
    base = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    e1 = add_event(
        acme,
        at=base,
        action="create",
        entity_type="company",
        title="Globo Srl",
        actor=actor_for(alice),
    )
    e2 = add_event(
        acme,
        at=base + timedelta(days=1),
        action="update",
        entity_type="contact",
        title="Mario Rossi",
        actor=actor_for(bob),
        changes={"name": ["M", "Mario"]},
    )
    e3 = add_event(
        acme,
        at=base + timedelta(days=2),
        action="delete",
        entity_type="contact",
        title="Luigi Verdi",
        actor=actor_for(bob),
    )
    e4 = add_event(
        acme,
        at=base + timedelta(days=3),
        action="restore",
        entity_type="deal",
        title="Big deal",
        actor=actor_for(alice),
    )
    client = api(alice)

    assert _ids(events_of(client)) == [e4.pk, e3.pk, e2.pk, e1.pk]
    assert _ids(events_of(client, action="update")) == [e2.pk]
    assert _ids(events_of(client, action="restore")) == [e4.pk]
    assert _ids(events_of(client, entity_type="contact")) == [e3.pk, e2.pk]
    assert _ids(events_of(client, actor="bob")) == [e3.pk, e2.pk]
    assert _ids(events_of(client, actor="bo")) == []  # a username, exactly
    assert _ids(events_of(client, q="rossi")) == [e2.pk]
    assert _ids(events_of(client, occurred_after="2026-11-21")) == [e4.pk, e3.pk, e2.pk]
    assert _ids(events_of(client, occurred_before="2026-11-21")) == [e2.pk, e1.pk]
    assert _ids(events_of(client, occurred_after="2026-11-21", occurred_before="2026-11-22")) == [
        e3.pk,
        e2.pk,
    ]
    assert _ids(
        events_of(client, action="delete", entity_type="contact", actor="bob", q="verdi")
    ) == [e3.pk]
    assert _ids(events_of(client, action="", entity_type="", actor="", q="")) == [
        e4.pk,
        e3.pk,
        e2.pk,
        e1.pk,
    ]


def test_r2_a_time_without_offset_is_read_in_the_accounts_time_zone(acme, alice, api, events_of):
    # 13:30 UTC is 14:30 in Rome (CET, +01:00).
    event = add_event(acme, at=datetime(2026, 11, 25, 13, 30, tzinfo=UTC))
    client = api(alice)

    assert _ids(events_of(client, occurred_after="2026-11-25T14:00")) == [event.pk]
    assert _ids(events_of(client, occurred_after="2026-11-25 14:45")) == []
    assert _ids(events_of(client, occurred_before="2026-11-25T14:31")) == [event.pk]
    assert _ids(events_of(client, occurred_before="2026-11-25T14:30")) == []  # before: strict
    # An explicit offset is taken as written.
    assert _ids(events_of(client, occurred_after="2026-11-25T13:45+00:00")) == []
    assert _ids(events_of(client, occurred_after="2026-11-25T13:15Z")) == [event.pk]


def test_r2_a_date_is_a_whole_day_in_the_accounts_time_zone(acme, alice, api, events_of):
    # 23:30 UTC on the 24th is 00:30 on the 25th in Rome.
    event = add_event(acme, at=datetime(2026, 11, 24, 23, 30, tzinfo=UTC))
    client = api(alice)

    assert _ids(events_of(client, occurred_after="2026-11-25")) == [event.pk]
    assert _ids(events_of(client, occurred_before="2026-11-24")) == []
    assert _ids(events_of(client, occurred_before="2026-11-25")) == [event.pk]
    assert _ids(events_of(client, occurred_after="2026-11-25", occurred_before="2026-11-25")) == [
        event.pk
    ]


def test_r2_keyset_pages_of_50_walk_a_bulk_delete_with_one_timestamp_without_gaps(
    acme, alice, api, events_of
):
    contacts = [make(acme, "contact", name=f"C{i}") for i in range(120)]
    services.records_bulk_delete(
        account=acme, entity_type="contact", ids=[c.pk for c in contacts], actor=actor_for(alice)
    )
    client = api(alice)

    seen, pages, url = [], 0, None
    first = events_of(client, action="delete")
    body = first
    while True:
        pages += 1
        assert len(body["results"]) <= 50
        seen.extend(_ids(body))
        url = body["next"]
        if url is None:
            break
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()

    expected = list(
        Event.objects.filter(account=acme, action="delete")
        .order_by("-occurred_at", "-id")
        .values_list("id", flat=True)
    )
    assert pages == 3
    assert seen == expected
    assert len(set(seen)) == 120
    # The previous link of the last page goes back to exactly the page before it.
    back = client.get(body["previous"]).json()
    assert _ids(back) == expected[50:100]
    assert first["previous"] is None


def test_r2_page_size_is_50_by_default_and_at_most_200(acme, alice, api, events_of):
    base = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(60):
        add_event(acme, at=base + timedelta(minutes=i), entity_id=i + 1)
    client = api(alice)

    assert len(events_of(client)["results"]) == 50
    assert len(events_of(client, page_size=60)["results"]) == 60
    response = client.get(EVENTS_URL, {"page_size": 201})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_r2_every_member_sees_the_timeline_anonymous_and_helpdesk_do_not(
    acme, alice, bob, helen, api
):
    add_event(acme, at=datetime(2026, 11, 1, tzinfo=UTC))

    assert api(bob).get(EVENTS_URL).status_code == 200
    anonymous = api(None).get(EVENTS_URL)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    staff = api(helen).get(EVENTS_URL)
    assert staff.status_code == 403
    assert staff.json()["code"] == "permission_denied"


def test_r2_the_timeline_is_read_only(acme, alice, api):
    event = add_event(acme, at=datetime(2026, 11, 1, tzinfo=UTC))
    client = api(alice)

    assert client.post(EVENTS_URL, {}).status_code == 405
    assert client.delete(f"{EVENTS_URL}{event.pk}/").status_code == 404
    assert Event.objects.filter(pk=event.pk).exists()
