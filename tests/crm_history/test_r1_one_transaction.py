"""R1: a CRM change and its History event are written in one transaction, so a
change never exists without its event. The database itself refuses the event
(a trigger on the events table, for one account): the change is rolled back
with it, and the other account writes on."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection

from crm import services
from crm.models import Company, Contact
from crm_history.models import Event
from tests.factories import actor_for, make

REFUSED = "History refused for this test"


@contextmanager
def events_refused(account, action: str):
    """Every `action` event of `account` fails to insert, in the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE FUNCTION refuse_history_event() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{REFUSED}'; END $$;
            CREATE TRIGGER refuse_history_event BEFORE INSERT ON {Event._meta.db_table}
            FOR EACH ROW WHEN (NEW.account_id = {int(account.pk)} AND NEW.action = '{action}')
            EXECUTE FUNCTION refuse_history_event();
            """
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DROP TRIGGER refuse_history_event ON {Event._meta.db_table};"
                "DROP FUNCTION refuse_history_event();"
            )


def test_r1_a_create_whose_event_fails_leaves_no_record(acme, alice, globex, charlie):
    with events_refused(acme, "create"):
        with pytest.raises(DatabaseError, match=REFUSED):
            make(acme, "company", actor=actor_for(alice), title="Never Srl")
        other = make(globex, "company", actor=actor_for(charlie), title="Globex Srl")

    assert not Company.objects.filter(account=acme).exists()
    assert not Event.objects.filter(account=acme).exists()
    assert Event.objects.filter(account=globex, entity_id=other.pk, action="create").exists()


def test_r1_an_update_whose_event_fails_keeps_the_old_values(acme, alice):
    contact = make(acme, "contact", actor=actor_for(alice), name="Mario", last_name="Rossi")

    with events_refused(acme, "update"), pytest.raises(DatabaseError, match=REFUSED):
        services.record_update(
            account=acme,
            entity_type="contact",
            record_id=contact.pk,
            values={"last_name": "Verdi", "email": "mario@verdi.it"},
            actor=actor_for(alice),
        )

    kept = Contact.objects.get(pk=contact.pk)
    assert (kept.last_name, kept.email, kept.updated_at) == (
        "Rossi",
        contact.email,
        contact.updated_at,
    )
    assert contact.email != "mario@verdi.it"
    assert list(Event.objects.filter(account=acme).values_list("action", flat=True)) == ["create"]


def test_r1_a_bulk_delete_whose_events_fail_deletes_and_unlinks_nothing(acme, alice):
    """The set-based bulk delete (PostgreSQL): the unlinking of the companies'
    contacts is written with its update events, then the delete events are
    refused; every company and every link is still there."""
    companies = [make(acme, "company", actor=actor_for(alice), title=f"Co {i}") for i in range(5)]
    contacts = [
        make(acme, "contact", actor=actor_for(alice), last_name=f"Staff {i}", company_id=co.pk)
        for i, co in enumerate(companies)
    ]
    events_before = Event.objects.filter(account=acme).count()

    with events_refused(acme, "delete"), pytest.raises(DatabaseError, match=REFUSED):
        services.records_bulk_delete(
            account=acme,
            entity_type="company",
            ids=[co.pk for co in companies],
            actor=actor_for(alice),
        )

    assert sorted(Company.objects.filter(account=acme).values_list("pk", flat=True)) == sorted(
        co.pk for co in companies
    )
    assert {c.pk: c.company_id for c in Contact.objects.filter(account=acme)} == {
        c.pk: c.company_id for c in contacts
    }
    assert Event.objects.filter(account=acme).count() == events_before
    assert not Event.objects.filter(account=acme, action__in=["delete", "update"]).exists()
