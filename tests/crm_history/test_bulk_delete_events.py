"""R1 for deletions: a bulk delete of N records writes N delete events, each
carrying the whole record; a delete that unlinks related records records an
update event for each; and PostgreSQL's set-based path writes exactly the
events of the portable row-by-row path for the same rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import transaction

from crm import services
from crm.records import to_record
from crm.registry import entity, entity_types
from crm_history.models import Event
from crm_history.recorder import new_operation
from tests.factories import actor_for, make

EVENT_FIELDS = (
    "account_id",
    "operation",
    "entity_type",
    "entity_id",
    "action",
    "actor_id",
    "actor_name",
    "source",
    "occurred_at",
    "title",
    "changes",
    "data",
    "schema_version",
)


def _rich_account(acme, alice) -> dict[str, list]:
    """Records of every type with every kind of value (decimals, dates, times,
    booleans, nulls, custom field values, links)."""
    actor = actor_for(alice)
    for entity_type, code, kind in [
        ("company", "UF_CRM_SIZE", "double"),
        ("contact", "UF_CRM_BIRTHDAY", "date"),
        ("deal", "UF_CRM_SIGNED", "boolean"),
        ("lead", "UF_CRM_NOTE", "string"),
    ]:
        services.record_create(
            account=acme,
            entity_type="custom_field",
            actor=actor,
            values={
                "entity_type": entity_type,
                "code": code,
                "label": code.title(),
                "field_type": kind,
            },
        )
    companies = [
        make(
            acme,
            "company",
            actor=actor,
            title="Globo Srl",
            industry="IT",
            revenue="1234.50",
            employees="EMPLOYEES_2",
            email="info@globo.example",
            assigned_by_id=alice.pk,
            custom_fields={"UF_CRM_SIZE": "12.5"},
        ),
        make(acme, "company", actor=actor, title='Ünïcode & Co. "quoted"', comments="x\ny"),
    ]
    contacts = [
        make(
            acme,
            "contact",
            actor=actor,
            name="Anna",
            last_name="Bianchi",
            honorific="HNR_EN_2",
            company_id=companies[0].pk,
            custom_fields={"UF_CRM_BIRTHDAY": "1990-02-28"},
        ),
        make(acme, "contact", actor=actor, name="", last_name="", company_id=companies[0].pk),
        make(acme, "contact", actor=actor, name="Luca", last_name="Neri"),
    ]
    deals = [
        make(
            acme,
            "deal",
            actor=actor,
            title="Big deal",
            opportunity="99999.99",
            probability=40,
            begindate=date(2026, 1, 31),
            closedate=date(2026, 12, 31),
            closed=True,
            company_id=companies[0].pk,
            contact_id=contacts[0].pk,
            custom_fields={"UF_CRM_SIGNED": "yes"},
        ),
        make(
            acme,
            "deal",
            actor=actor,
            title="Small deal",
            company_id=companies[1].pk,
            contact_id=contacts[2].pk,
        ),
    ]
    leads = [
        make(
            acme,
            "lead",
            actor=actor,
            title="Website enquiry",
            opportunity="10.00",
            custom_fields={"UF_CRM_NOTE": "=cmd|' /C calc'!A0"},
        ),
        make(acme, "lead", actor=actor, title="Fair", status_id="JUNK"),
    ]
    products = [
        make(acme, "product", actor=actor, name="Licence", price="100.00", active=False),
        make(acme, "product", actor=actor, name="Support", price="0.10", sort=1),
    ]
    return {
        "company": companies,
        "contact": contacts,
        "deal": deals,
        "lead": leads,
        "product": products,
        "custom_field": list(entity("custom_field").model.objects.filter(account=acme)),
    }


def test_r1_a_bulk_delete_of_n_records_writes_n_delete_events_with_the_whole_record(acme, alice):
    contacts = [
        make(
            acme,
            "contact",
            name=f"Name{i}",
            last_name="Rossi",
            email=f"c{i}@example.com",
            post="Buyer",
            phone=f"+39 06 {i:04d}",
        )
        for i in range(25)
    ]
    before = {c.pk: to_record(entity("contact"), c) for c in contacts}

    result = services.records_bulk_delete(
        account=acme, entity_type="contact", ids=[c.pk for c in contacts], actor=actor_for(alice)
    )

    assert result.deleted == 25
    events = Event.objects.filter(account=acme, action="delete")
    assert events.count() == 25
    assert {e.entity_id: e.data for e in events} == before
    assert {e.operation for e in events} == {result.operation}
    assert {(e.actor_name, e.source) for e in events} == {("alice", "page")}
    assert {e.entity_id: e.title for e in events} == {
        c.pk: f"Name{i} Rossi" for i, c in enumerate(contacts)
    }
    assert len({e.occurred_at for e in events}) == 1


def test_r1_deleting_a_company_records_an_update_for_each_contact_and_deal_it_unlinks(acme, alice):
    company = make(acme, "company", title="Globo Srl")
    other = make(acme, "company", title="Other Srl")
    contacts = [make(acme, "contact", name=f"N{i}", company_id=company.pk) for i in range(3)]
    deals = [make(acme, "deal", title=f"D{i}", company_id=company.pk) for i in range(2)]
    untouched = make(acme, "contact", name="Elsewhere", company_id=other.pk)
    since = Event.objects.order_by("-id").first().pk

    result = services.record_delete(
        account=acme, entity_type="company", record_id=company.pk, actor=actor_for(alice)
    )

    events = Event.objects.filter(pk__gt=since)
    assert {e.operation for e in events} == {result.operation}
    updates = {(e.entity_type, e.entity_id): e for e in events.filter(action="update")}
    assert set(updates) == {("contact", c.pk) for c in contacts} | {("deal", d.pk) for d in deals}
    for event in updates.values():
        assert event.changes == {"company_id": [company.pk, None]}
        assert event.actor_name == "alice"
    assert updates[("contact", contacts[0].pk)].title == "N0 Rossi"
    assert updates[("deal", deals[1].pk)].title == "D1"
    assert [(e.entity_type, e.entity_id) for e in events.filter(action="delete")] == [
        ("company", company.pk)
    ]
    assert not entity("contact").model.objects.filter(company_id=company.pk).exists()
    untouched.refresh_from_db()
    assert untouched.company_id == other.pk


def test_r1_deleting_contacts_records_the_deals_they_unlink(acme, alice):
    contact = make(acme, "contact", name="Anna")
    deal = make(acme, "deal", title="Linked", contact_id=contact.pk)

    services.records_bulk_delete(
        account=acme, entity_type="contact", ids=[contact.pk], actor=actor_for(alice)
    )

    update = Event.objects.get(account=acme, entity_type="deal", action="update")
    assert update.entity_id == deal.pk
    assert update.changes == {"contact_id": [contact.pk, None]}


class _RollBack(Exception):
    pass


def _events_of(operation) -> list[dict]:
    rows = Event.objects.filter(operation=operation).values(*EVENT_FIELDS)
    return sorted(rows, key=lambda r: (r["entity_type"], r["entity_id"], r["action"]))


def _rows_of(account) -> dict:
    return {
        et.entity_type: sorted(
            et.model.objects.filter(account=account).values(), key=lambda r: r["id"]
        )
        for et in entity_types()
    }


@pytest.mark.parametrize(
    "entity_type", ["company", "contact", "deal", "lead", "product", "custom_field"]
)
def test_r1_the_set_based_delete_writes_the_same_events_as_the_row_by_row_path(
    acme, alice, entity_type
):
    records = _rich_account(acme, alice)
    et = entity(entity_type)
    ids = [r.pk for r in records[entity_type]]
    actor = actor_for(alice)
    operation = new_operation()
    now = datetime(2026, 11, 25, 14, 3, 7, 123456, tzinfo=UTC)

    results = {}
    for path in ("set_based", "row_by_row"):
        try:
            with transaction.atomic():
                if path == "set_based":
                    deleted = services.records_bulk_delete(
                        account=acme,
                        entity_type=entity_type,
                        ids=ids,
                        actor=actor,
                        operation=operation,
                        now=now,
                    ).deleted
                else:
                    deleted = services._delete_row_by_row(acme, et, ids, actor, operation, now)
                results[path] = (deleted, _events_of(operation), _rows_of(acme))
                raise _RollBack
        except _RollBack:
            pass
        assert not Event.objects.filter(operation=operation).exists()

    set_based, row_by_row = results["set_based"], results["row_by_row"]
    assert set_based[0] == row_by_row[0] == len(ids)
    assert set_based[1] == row_by_row[1]  # every field of every event
    assert set_based[2] == row_by_row[2]  # and the rows left behind
    deletes = [e for e in set_based[1] if e["action"] == "delete"]
    assert len(deletes) == len(ids)
    assert all(e["data"]["id"] == e["entity_id"] for e in deletes)
    if entity_type == "company":
        assert any(e["action"] == "update" for e in set_based[1])
