"""Restoring from the bin: records come back whole, with their ids and links,
all or nothing, each with a restore event in the History."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg2
import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.actors import Source
from accounts.guard import account_lock_key
from crm import recycle_bin, services
from crm.models import Company, Contact, Deal
from crm.records import to_record
from crm.registry import entity
from crm_history.models import Event
from crm_history.recorder import new_operation
from recovery_portal.errors import Conflict, Invalid, NotFound, RestoreInProgress
from tests.factories import actor_for, make, member

from .conftest import delete, fingerprint, made_and_deleted


def _bin_actor(user):
    return actor_for(user, Source.RECYCLE_BIN)


def _restore(account, user, events, **kwargs):
    membership = user.membership
    return recycle_bin.restore_from_bin(
        account=account,
        viewer_membership=membership,
        event_ids=[e.pk for e in events],
        actor=_bin_actor(user),
        **kwargs,
    )


def test_restored_record_equals_the_deleted_one_field_for_field(acme, alice):
    make(acme, "custom_field", actor=actor_for(alice), code="UF_CRM_SIZE", label="Size")
    company = make(acme, "company", actor=actor_for(alice), title="Rossi SpA")
    contact = make(
        acme,
        "contact",
        actor=actor_for(alice),
        honorific="HNR_EN_1",
        name="Mario",
        second_name="G.",
        last_name="Rossi",
        post="CEO",
        company_id=company.pk,
        phone="+39 06 1234",
        phone_mobile="+39 333 1234",
        email="mario@rossi.it",
        email_home="mario@home.it",
        type_id="PARTNER",
        source_id="WEB",
        assigned_by_id=alice.pk,
        comments="Met at the fair;\nprefers e-mail.",
        custom_fields={"UF_CRM_SIZE": "XL"},
    )
    before = to_record(entity("contact"), Contact.objects.get(pk=contact.pk))
    event = delete(acme, contact, by=alice)
    assert not Contact.objects.filter(pk=contact.pk).exists()

    result = _restore(acme, alice, [event])

    restored = Contact.objects.get(pk=contact.pk)
    assert restored.account_id == acme.pk
    assert to_record(entity("contact"), restored) == event.data == before
    assert restored.company_id == company.pk
    assert restored.custom_fields == {"UF_CRM_SIZE": "XL"}
    assert result.counts() == {"contact": 1}
    assert result.unlinked == []


def test_a_deal_comes_back_with_its_deleted_company_parent_first(acme, alice):
    company = make(acme, "company", actor=actor_for(alice), title="Verdi Srl")
    contact = make(acme, "contact", actor=actor_for(alice), last_name="Verdi")
    deal = make(
        acme,
        "deal",
        actor=actor_for(alice),
        title="Fleet renewal",
        company_id=company.pk,
        contact_id=contact.pk,
        opportunity="12500.50",
        begindate=date(2026, 1, 2),
        closed=True,
        probability=80,
    )
    deal_event = delete(acme, deal, by=alice)
    company_event = delete(acme, company, by=alice)

    result = _restore(acme, alice, [deal_event], include_parents=True)

    assert [(r.entity_type, r.id) for r in result.records] == [
        ("company", company.pk),
        ("deal", deal.pk),
    ]
    restored = Deal.objects.get(pk=deal.pk)
    assert restored.company_id == company.pk
    assert restored.contact_id == contact.pk
    assert restored.opportunity == Decimal("12500.50")
    assert to_record(entity("deal"), restored) == deal_event.data
    assert to_record(entity("company"), Company.objects.get(pk=company.pk)) == company_event.data
    assert result.unlinked == []


def test_a_link_to_a_record_that_does_not_exist_now_is_dropped_and_reported(acme, alice):
    company = make(acme, "company", actor=actor_for(alice), title="Gone Srl")
    contact = make(acme, "contact", actor=actor_for(alice), company_id=company.pk)
    contact_event = delete(acme, contact, by=alice)
    delete(acme, company, by=alice)  # in the bin, but not asked for

    result = _restore(acme, alice, [contact_event], include_parents=False)

    assert Contact.objects.get(pk=contact.pk).company_id is None
    assert not Company.objects.filter(pk=company.pk).exists()
    assert [
        (u.entity_type, u.id, u.field, u.target_type, u.target_id) for u in result.unlinked
    ] == [("contact", contact.pk, "company_id", "company", company.pk)]
    restore_event = Event.objects.get(operation=result.operation)
    assert restore_event.data["company_id"] is None


def test_an_id_taken_now_refuses_the_whole_request_and_changes_nothing(
    acme, alice, globex, charlie
):
    kept = made_and_deleted(acme, "contact", by=alice, last_name="Bianchi")
    taken = made_and_deleted(acme, "contact", by=alice, last_name="Neri")
    # Another account's record now holds the id (created with an explicit id).
    make(globex, "contact", actor=actor_for(charlie), id=taken.entity_id, last_name="Other")
    before = fingerprint()

    with pytest.raises(Conflict) as refused:
        _restore(acme, alice, [kept, taken])

    assert (
        "Contact “Mario Neri”" in refused.value.detail
        and f"#{taken.entity_id}" in refused.value.detail
    )
    assert "Nothing was restored" in refused.value.detail
    assert fingerprint() == before
    assert not Contact.objects.filter(pk=kept.entity_id).exists()


def test_restore_records_refuses_a_taken_id_naming_the_record(acme, alice):
    existing = make(acme, "company", actor=actor_for(alice), title="Here Srl")
    record = to_record(entity("company"), existing)
    before = fingerprint()

    with pytest.raises(Conflict) as refused:
        recycle_bin.restore_records(
            account=acme, entity_type_records={"company": [record]}, actor=_bin_actor(alice)
        )

    assert f"Company “Here Srl” (#{existing.pk})" in refused.value.detail
    assert fingerprint() == before


def test_each_restored_record_writes_a_restore_event_in_the_same_operation(acme, alice):
    company = make(acme, "company", actor=actor_for(alice), title="Blu Srl")
    contacts = [
        make(acme, "contact", actor=actor_for(alice), last_name=f"Blu {i}", company_id=company.pk)
        for i in range(3)
    ]
    deleted = services.records_bulk_delete(
        account=acme,
        entity_type="contact",
        ids=[c.pk for c in contacts],
        actor=actor_for(alice),
    )
    events = list(Event.objects.filter(operation=deleted.operation, action="delete"))

    result = _restore(acme, alice, events)

    restores = list(Event.objects.filter(account=acme, action="restore").order_by("entity_id"))
    assert [e.entity_id for e in restores] == sorted(c.pk for c in contacts)
    assert {e.operation for e in restores} == {result.operation}
    assert result.operation != deleted.operation
    for event in restores:
        assert event.actor_id == alice.pk
        assert event.actor_name == "alice"
        assert event.source == "recycle_bin"
        assert event.entity_type == "contact"
        assert event.data == to_record(entity("contact"), Contact.objects.get(pk=event.entity_id))
        assert event.title.startswith("Mario Blu ")


def test_records_restored_come_back_out_of_the_bin(acme, alice):
    event = made_and_deleted(acme, "lead", by=alice, title="Web lead")
    membership = alice.membership
    assert list(recycle_bin.bin_entries(acme, viewer_membership=membership)) == [event]

    _restore(acme, alice, [event])

    assert list(recycle_bin.bin_entries(acme, viewer_membership=membership)) == []
    with pytest.raises(Conflict) as again:
        _restore(acme, alice, [event])
    assert "is back already" in again.value.detail


def test_another_accounts_events_can_never_be_restored(acme, alice, globex, charlie):
    theirs = made_and_deleted(globex, "contact", by=charlie)
    before = fingerprint()

    with pytest.raises(NotFound):
        _restore(acme, alice, [theirs])

    assert fingerprint() == before


def test_an_employee_cannot_restore_someone_elses_deletion(acme, alice, bob):
    alices = made_and_deleted(acme, "contact", by=alice)
    bobs = made_and_deleted(acme, "contact", by=bob, last_name="Bob's")
    before = fingerprint()

    with pytest.raises(NotFound):
        _restore(acme, bob, [bobs, alices])

    assert fingerprint() == before
    _restore(acme, bob, [bobs])
    assert Contact.objects.filter(pk=bobs.entity_id).exists()


def test_an_event_that_is_not_a_deletion_is_refused_with_the_reason(acme, alice):
    contact = make(acme, "contact", actor=actor_for(alice))
    created = Event.objects.get(entity_id=contact.pk, action="create")

    with pytest.raises(Conflict) as refused:
        _restore(acme, alice, [created])

    assert "not a deletion" in refused.value.detail


def test_products_and_custom_fields_are_not_in_the_bin_r13(acme, alice):
    product = made_and_deleted(acme, "product", by=alice)

    assert list(recycle_bin.bin_entries(acme, viewer_membership=alice.membership)) == []
    with pytest.raises(Conflict) as refused:
        _restore(acme, alice, [product])
    assert "full account rollback" in refused.value.detail


def test_custom_values_of_a_deleted_definition_come_back_hidden(acme, alice):
    definition = make(acme, "custom_field", actor=actor_for(alice), code="UF_CRM_TIER")
    contact = make(acme, "contact", actor=actor_for(alice), custom_fields={"UF_CRM_TIER": "gold"})
    event = delete(acme, contact, by=alice)
    delete(acme, definition, by=alice, entity_type="custom_field")

    _restore(acme, alice, [event])

    # The value is kept (a full rollback of the definition shows it again).
    assert Contact.objects.get(pk=contact.pk).custom_fields == {"UF_CRM_TIER": "gold"}


def test_the_sequence_moves_past_restored_ids(acme, alice):
    record = to_record(entity("company"), make(acme, "company", actor=actor_for(alice)))
    services.record_delete(
        account=acme, entity_type="company", record_id=record["id"], actor=actor_for(alice)
    )
    far = dict(record, id=record["id"] + 1000)

    recycle_bin.restore_records(
        account=acme, entity_type_records=[("company", [far])], actor=_bin_actor(alice)
    )
    created = make(acme, "company", actor=actor_for(alice), title="Next")

    assert created.pk > far["id"]


def test_an_unreadable_record_is_refused_before_anything_is_written(acme, alice):
    before = fingerprint()
    with pytest.raises(Invalid):
        recycle_bin.restore_records(
            account=acme,
            entity_type_records={"contact": [{"id": 999_999, "created_at": "yesterday"}]},
            actor=_bin_actor(alice),
        )
    assert fingerprint() == before


def test_the_set_based_and_portable_paths_write_the_same_rows_and_events(acme, alice):
    company = make(acme, "company", actor=actor_for(alice), title="Twin Srl", revenue="10.5")
    contact = make(acme, "contact", actor=actor_for(alice), company_id=company.pk)
    records = [
        (entity("company"), to_record(entity("company"), company)),
        (entity("contact"), to_record(entity("contact"), contact)),
    ]
    for et, record in reversed(records):
        services.record_delete(
            account=acme, entity_type=et.entity_type, record_id=record["id"], actor=actor_for(alice)
        )
    now = timezone.now()

    class Rollback(Exception):
        pass

    def written(insert) -> dict:
        out = {}
        with pytest.raises(Rollback), transaction.atomic():
            for et, record in records:
                rows = [recycle_bin.canonical_record(et, record)]
                insert(acme, et, rows, _bin_actor(alice), new_operation(), now)
                row = et.model.objects.get(pk=record["id"])
                event = Event.objects.get(action="restore", entity_id=row.pk)
                out[et.entity_type] = (to_record(et, row), event.data, event.title)
            raise Rollback
        return out

    set_based = written(recycle_bin._insert_set_based)
    portable = written(recycle_bin._insert_row_by_row)
    assert set_based == portable
    assert set_based["company"][0]["revenue"] == "10.50"
    assert set_based["contact"][0]["company_id"] == company.pk


def test_a_restore_is_refused_while_the_account_is_being_restored_423(
    transactional_db, acme, alice
):
    # Committed writes (transactional_db): the other session's exclusive lock
    # is not held up by this test's own open transaction.
    event = made_and_deleted(acme, "contact", by=alice)
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [account_lock_key(acme.pk)])
        with pytest.raises(RestoreInProgress):
            _restore(acme, alice, [event])
    finally:
        other.close()
    assert not Contact.objects.filter(pk=event.entity_id).exists()


def test_a_new_member_sees_nothing_of_others_but_admins_see_all(acme, alice, bob):
    carol = member(acme, "employee", username="carol")
    made_and_deleted(acme, "contact", by=bob)
    assert list(recycle_bin.bin_entries(acme, viewer_membership=carol.membership)) == []
    assert len(recycle_bin.bin_entries(acme, viewer_membership=alice.membership)) == 1


def test_restore_records_loads_parents_first_whatever_the_order_given(acme, alice):
    company = make(acme, "company", actor=actor_for(alice), title="First Srl")
    contact = make(acme, "contact", actor=actor_for(alice), company_id=company.pk)
    records = [
        ("contact", [to_record(entity("contact"), contact)]),
        ("company", [to_record(entity("company"), company)]),
    ]
    services.record_delete(
        account=acme, entity_type="contact", record_id=contact.pk, actor=actor_for(alice)
    )
    services.record_delete(
        account=acme, entity_type="company", record_id=company.pk, actor=actor_for(alice)
    )

    result = recycle_bin.restore_records(
        account=acme, entity_type_records=records, actor=_bin_actor(alice)
    )

    assert [r.entity_type for r in result.records] == ["company", "contact"]
    restores = Event.objects.filter(operation=result.operation).order_by("id")
    assert [e.entity_type for e in restores] == ["company", "contact"]
    assert Contact.objects.get(pk=contact.pk).company_id == company.pk


def test_records_the_deletion_unlinked_are_linked_again_unless_changed_since(acme, alice):
    company = make(acme, "company", actor=actor_for(alice), title="Hub Srl")
    other = make(acme, "company", actor=actor_for(alice), title="Elsewhere Srl")
    kept = make(acme, "contact", actor=actor_for(alice), last_name="Kept", company_id=company.pk)
    moved = make(acme, "contact", actor=actor_for(alice), last_name="Moved", company_id=company.pk)
    deal = make(acme, "deal", actor=actor_for(alice), title="Hub deal", company_id=company.pk)
    event = delete(acme, company, by=alice)
    assert Contact.objects.get(pk=kept.pk).company_id is None
    # Since the deletion: one contact was given another company, the other a new post.
    services.record_update(
        account=acme,
        entity_type="contact",
        record_id=moved.pk,
        values={"company_id": other.pk},
        actor=actor_for(alice),
    )
    services.record_update(
        account=acme,
        entity_type="contact",
        record_id=kept.pk,
        values={"post": "Buyer"},
        actor=actor_for(alice),
    )

    result = _restore(acme, alice, [event])

    assert Contact.objects.get(pk=kept.pk).company_id == company.pk
    assert Deal.objects.get(pk=deal.pk).company_id == company.pk
    assert Contact.objects.get(pk=moved.pk).company_id == other.pk
    assert sorted((r.entity_type, r.id, r.field, r.target_id) for r in result.relinked) == [
        ("contact", kept.pk, "company_id", company.pk),
        ("deal", deal.pk, "company_id", company.pk),
    ]
    updates = Event.objects.filter(operation=result.operation, action="update")
    assert sorted((e.entity_type, e.entity_id, e.changes["company_id"]) for e in updates) == [
        ("contact", kept.pk, [None, company.pk]),
        ("deal", deal.pk, [None, company.pk]),
    ]
    assert {e.source for e in updates} == {"recycle_bin"}
