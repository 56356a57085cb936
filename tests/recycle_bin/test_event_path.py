"""The event path (`restore_events`): records brought back straight from their
History events in SQL write exactly what the records path (`restore_records`,
given the same events' records) writes, and whatever it cannot do exactly goes
through the records path, with the same answer."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.actors import Source
from accounts.guard import ensure_account_writable
from crm import recycle_bin, services
from crm.models import Contact, Deal
from crm.records import to_record
from crm.registry import entity, entity_types
from crm_history.models import Event
from crm_history.recorder import new_operation
from recovery_portal.errors import Conflict, Invalid
from tests.factories import actor_for, make

from .conftest import delete, fingerprint


class Rollback(Exception):
    pass


def _bin_actor(user):
    return actor_for(user, Source.RECYCLE_BIN)


def _state(account, result) -> dict:
    """What a restore wrote: every CRM row of the account, the operation's events,
    and what the result reports. Timestamps the restore itself sets (the
    events' time, a relinked row's `updated_at`) are left out."""
    relinked = {(r.entity_type, r.id) for r in result.relinked}
    rows = {}
    for et in entity_types():
        for obj in et.model.objects.filter(account=account):
            record = to_record(et, obj)
            if (et.entity_type, obj.pk) in relinked:
                record.pop("updated_at")
            rows[(et.entity_type, obj.pk)] = record
    events = sorted(
        (e.entity_type, e.entity_id, e.action, e.title, e.changes, e.data, e.actor_id)
        + (e.actor_name, e.source, e.schema_version)
        for e in Event.objects.filter(account=account, operation=result.operation)
    )
    return {
        "rows": rows,
        "events": events,
        "records": [(r.entity_type, r.id, r.title) for r in result.records],
        "unlinked": sorted(
            (u.entity_type, u.id, u.title, u.field, u.target_type, u.target_id)
            for u in result.unlinked
        ),
        "relinked": sorted(
            (r.entity_type, r.id, r.title, r.field, r.target_type, r.target_id)
            for r in result.relinked
        ),
    }


def _by_event_path(account, user, events, relink) -> dict:
    """`restore_events`' SQL path itself (not the records path standing in for it),
    rolled back afterwards."""
    groups = recycle_bin._ordered_event_groups(events)
    with pytest.raises(Rollback), transaction.atomic():
        ensure_account_writable(account.pk)
        collected = [(et, recycle_bin._collect(account, et, ids)) for et, ids in groups]
        result = recycle_bin._restore_in_sql(
            account,
            collected,
            actor=_bin_actor(user),
            operation=new_operation(),
            relink_operations=relink,
            now=timezone.now(),
        )
        state = _state(account, result)
        raise Rollback
    return state


def _by_records_path(account, user, events, relink) -> dict:
    """`restore_records` given the same events' records, rolled back afterwards."""
    records = {
        entity_type: [e.data for e in Event.objects.filter(pk__in=ids).order_by("entity_id")]
        for entity_type, ids in events.items()
    }
    with pytest.raises(Rollback), transaction.atomic():
        result = recycle_bin.restore_records(
            account=account,
            entity_type_records=records,
            actor=_bin_actor(user),
            relink_operations=relink,
        )
        state = _state(account, result)
        raise Rollback
    return state


def test_the_event_path_and_the_records_path_write_the_same_rows_and_events(acme, alice):
    by = actor_for(alice)
    make(acme, "custom_field", actor=by, code="UF_CRM_SIZE", label="Size")
    hub = make(acme, "company", actor=by, title="Hub Srl", revenue="10.5", industry="IT")
    gone = make(acme, "company", actor=by, title="Gone Srl")
    mario = make(
        acme,
        "contact",
        actor=by,
        honorific="HNR_EN_1",
        name="Mario",
        second_name="G.",
        last_name="Rossi",
        post="CEO",
        company_id=hub.pk,
        phone="+39 06 1234",
        email="mario@rossi.it",
        type_id="PARTNER",
        source_id="WEB",
        assigned_by_id=alice.pk,
        comments="Met at the fair;\n=prefers e-mail.",
        custom_fields={"UF_CRM_SIZE": "XL"},
    )
    orphan = make(acme, "contact", actor=by, last_name="Orphan", company_id=gone.pk)
    stays = make(acme, "contact", actor=by, last_name="Stays", company_id=hub.pk)
    deal = make(
        acme,
        "deal",
        actor=by,
        title="Fleet renewal",
        company_id=hub.pk,
        contact_id=mario.pk,
        opportunity="12500.5",
        begindate=date(2026, 1, 2),
        closed=True,
        probability=80,
    )
    lead = make(acme, "lead", actor=by, title="Web lead", opportunity="99.99")
    deleted = [
        delete(acme, orphan, by=alice),  # its company is deleted for good below
        delete(acme, gone, by=alice),
        delete(acme, deal, by=alice),
        delete(acme, mario, by=alice),
        delete(acme, lead, by=alice),
        delete(acme, hub, by=alice),  # unlinks "Stays"
    ]
    assert Contact.objects.get(pk=stays.pk).company_id is None
    wanted = [e for e in deleted if (e.entity_type, e.entity_id) != ("company", gone.pk)]
    events: dict[str, list[int]] = {}
    for event in wanted:
        events.setdefault(event.entity_type, []).append(event.pk)
    relink = {e.operation for e in wanted}

    by_events = _by_event_path(acme, alice, events, relink)
    by_records = _by_records_path(acme, alice, events, relink)

    assert by_events == by_records
    assert [r[:2] for r in by_events["records"]] == [
        ("company", hub.pk),
        ("contact", mario.pk),
        ("contact", orphan.pk),
        ("lead", lead.pk),
        ("deal", deal.pk),
    ]
    assert by_events["unlinked"] == [
        ("contact", orphan.pk, "Mario Orphan", "company_id", "company", gone.pk)
    ]
    assert [r[:2] for r in by_events["relinked"]] == [("contact", stays.pk)]
    assert by_events["rows"][("deal", deal.pk)]["opportunity"] == "12500.50"
    assert by_events["rows"][("contact", mario.pk)]["custom_fields"] == {"UF_CRM_SIZE": "XL"}
    assert len([e for e in by_events["events"] if e[2] == "restore"]) == 5


def test_the_bin_restores_through_the_event_path_with_the_same_answer(acme, alice):
    company = make(acme, "company", actor=actor_for(alice), title="Blu Srl")
    contacts = [
        make(acme, "contact", actor=actor_for(alice), last_name=f"Blu {i}", company_id=company.pk)
        for i in range(3)
    ]
    before = {c.pk: to_record(entity("contact"), c) for c in contacts}
    gone = services.records_bulk_delete(
        account=acme, entity_type="contact", ids=list(before), actor=actor_for(alice)
    )
    events = Event.objects.filter(operation=gone.operation, action="delete")

    result = recycle_bin.restore_from_bin(
        account=acme,
        viewer_membership=alice.membership,
        event_ids=[e.pk for e in events],
        actor=_bin_actor(alice),
    )

    assert result.counts() == {"contact": 3}
    assert {c.pk: to_record(entity("contact"), c) for c in Contact.objects.all()} == before
    restores = Event.objects.filter(operation=result.operation, action="restore")
    assert sorted((e.entity_id, e.data == before[e.entity_id]) for e in restores) == [
        (pk, True) for pk in sorted(before)
    ]


def _hand_written_deletion(account, data: dict, *, title="Old record") -> Event:
    """A delete event as an older version could have written it (events are
    append-only: this is the only way to get a record of another shape)."""
    return Event.objects.create(
        account=account,
        operation=uuid.uuid4(),
        entity_type="contact",
        entity_id=data["id"],
        action="delete",
        actor_name="alice",
        source="page",
        occurred_at=timezone.now(),
        title=title,
        data=data,
        schema_version=1,
    )


def _freed_contact_record(account, user, **values) -> dict:
    contact = make(account, "contact", actor=actor_for(user), **values)
    record = to_record(entity("contact"), contact)
    services.record_delete(
        account=account, entity_type="contact", record_id=contact.pk, actor=actor_for(user)
    )
    return record


def test_a_record_of_an_older_shape_comes_back_through_the_records_path(acme, alice):
    record = _freed_contact_record(acme, alice, last_name="Old", type_id="PARTNER")
    del record["type_id"], record["custom_fields"]  # fields an older version did not have
    event = _hand_written_deletion(acme, record)

    with pytest.raises(recycle_bin._UseRecordsPath), transaction.atomic():
        recycle_bin._restore_in_sql(
            acme,
            [(entity("contact"), recycle_bin._collect(acme, entity("contact"), [event.pk]))],
            actor=_bin_actor(alice),
            operation=new_operation(),
            relink_operations=set(),
            now=timezone.now(),
        )
    result = recycle_bin.restore_events(
        account=acme, events={"contact": [event.pk]}, actor=_bin_actor(alice)
    )

    restored = Contact.objects.get(pk=record["id"])
    assert (restored.type_id, restored.custom_fields) == ("CLIENT", {})  # the model's defaults
    restore = Event.objects.get(operation=result.operation)
    assert restore.data == to_record(entity("contact"), restored)
    assert result.counts() == {"contact": 1}


@pytest.mark.parametrize(
    "field, value",
    [
        ("created_at", "yesterday"),
        ("created_at", "2026-01-02T03:04:05"),  # no zone: PostgreSQL alone would take it
        ("closed", "true"),  # not a contact field: ignored, as the records path ignores it
    ],
)
def test_a_value_of_another_form_gets_the_records_paths_answer(acme, alice, field, value):
    record = _freed_contact_record(acme, alice, last_name="Odd")
    event = _hand_written_deletion(acme, {**record, field: value})
    before = fingerprint()

    def answer(call):
        try:
            with transaction.atomic():
                result = call()
                state = _state(acme, result)
                state.pop("events")
                raise Rollback
        except Rollback:
            return state
        except Invalid as exc:
            return ("invalid", exc.detail)

    by_events = answer(
        lambda: recycle_bin.restore_events(
            account=acme, events={"contact": [event.pk]}, actor=_bin_actor(alice)
        )
    )
    by_records = answer(
        lambda: recycle_bin.restore_records(
            account=acme, entity_type_records={"contact": [event.data]}, actor=_bin_actor(alice)
        )
    )

    assert by_events == by_records
    if field == "created_at":
        assert by_events == (
            "invalid",
            f"Contact “Mario Odd” (#{record['id']}) cannot come back: created_at: “{value}” "
            "is not a date and time with a zone.",
        )
    assert fingerprint() == before


def test_an_id_taken_now_is_refused_in_the_records_paths_words(acme, alice, globex, charlie):
    kept = _freed_contact_record(acme, alice, last_name="Kept")
    taken = _freed_contact_record(acme, alice, last_name="Taken")
    make(globex, "contact", actor=actor_for(charlie), id=taken["id"], last_name="Other")
    events = [_hand_written_deletion(acme, kept), _hand_written_deletion(acme, taken)]
    before = fingerprint()

    with pytest.raises(recycle_bin.IdsTaken) as by_events:
        recycle_bin.restore_events(
            account=acme, events={"contact": [e.pk for e in events]}, actor=_bin_actor(alice)
        )
    with pytest.raises(recycle_bin.IdsTaken) as by_records:
        recycle_bin.restore_records(
            account=acme,
            entity_type_records={"contact": [kept, taken]},
            actor=_bin_actor(alice),
        )

    assert (
        by_events.value.detail
        == by_records.value.detail
        == (
            f"Nothing was restored. Contact “Mario Taken” (#{taken['id']}) cannot come back: "
            "its id is now used by another record."
        )
    )
    assert fingerprint() == before


def test_the_same_record_twice_is_refused_in_the_records_paths_words(acme, alice):
    record = _freed_contact_record(acme, alice, last_name="Twice")
    events = [_hand_written_deletion(acme, record), _hand_written_deletion(acme, record)]

    with pytest.raises(Invalid) as refused:
        recycle_bin.restore_events(
            account=acme, events={"contact": [e.pk for e in events]}, actor=_bin_actor(alice)
        )

    assert (
        refused.value.detail == f"Contact “Mario Twice” (#{record['id']}) is in the request twice."
    )
    assert not Contact.objects.filter(pk=record["id"]).exists()


def test_an_event_without_a_record_is_refused(acme, alice):
    record = _freed_contact_record(acme, alice, last_name="Empty")
    event = _hand_written_deletion(acme, record, title="Mario Empty")
    hollow = Event.objects.create(
        **{
            f.attname: getattr(event, f.attname)
            for f in Event._meta.concrete_fields
            if f.name not in ("id", "data")
        }
    )

    with pytest.raises(Conflict) as refused:
        recycle_bin.restore_events(
            account=acme, events={"contact": [hollow.pk]}, actor=_bin_actor(alice)
        )

    assert refused.value.detail == (
        f"Nothing was restored: the deletion of Mario Empty (#{record['id']}) "
        "does not hold a record this version can read."
    )


def test_more_records_than_the_limit_are_refused_before_anything_is_written(acme, alice):
    deal = make(acme, "deal", actor=actor_for(alice), title="One")
    other = make(acme, "deal", actor=actor_for(alice), title="Two")
    events = [delete(acme, deal, by=alice), delete(acme, other, by=alice)]

    with pytest.raises(Invalid) as refused:
        recycle_bin.restore_events(
            account=acme,
            events={"deal": [e.pk for e in events]},
            actor=_bin_actor(alice),
            max_records=1,
        )

    assert "at most 1 records; this one has 2" in refused.value.detail
    assert not Deal.objects.filter(pk__in=[deal.pk, other.pk]).exists()
