"""The Django admin (the vendor's operators' tool) for every CRM model: it writes
through the services, so its creates, edits and deletes leave History events
like every other path; helpdesk staff may look, never change CRM data."""

from __future__ import annotations

import psycopg2
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connection

from accounts.guard import account_lock_key
from crm.models import Contact, Lead
from crm_history.models import Event

from .conftest import ENTITY_TYPES, VALID, create

pytestmark = pytest.mark.django_db

ADMIN_PATHS = {
    "company": "crm/company",
    "contact": "crm/contact",
    "lead": "crm/lead",
    "deal": "crm/deal",
    "product": "crm/product",
    "custom_field": "crm/customfield",
}


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_superuser("op", "op@example.com", "op-password-123")


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_every_crm_model_has_an_admin_list_add_and_change_page(
    page, acme, alice, operator, entity_type
):
    record = create(acme, entity_type, alice, VALID[entity_type])
    client = page(operator)
    base = f"/admin/{ADMIN_PATHS[entity_type]}/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}add/").status_code == 200
    assert client.get(f"{base}{record.pk}/change/").status_code == 200


def test_an_admin_create_goes_through_the_services_and_is_recorded(page, acme, operator):
    response = page(operator).post(
        "/admin/crm/lead/add/",
        {
            "account": acme.pk,
            "title": "Phone enquiry",
            "status_id": "NEW",
            "currency_id": "EUR",
            "custom_fields": "{}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    lead = Lead.objects.get(title="Phone enquiry")
    event = Event.objects.get(entity_type="lead", entity_id=lead.pk)
    assert (event.action, event.source, event.actor_name) == ("create", "admin", "op")


def test_the_admins_delete_selected_goes_through_the_services(page, acme, alice, operator):
    contacts = [create(acme, "contact", alice, {"name": f"C{i}"}) for i in range(3)]
    response = page(operator).post(
        "/admin/crm/contact/",
        {
            "action": "delete_selected",
            "_selected_action": [c.pk for c in contacts],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Contact.objects.filter(pk__in=[c.pk for c in contacts]).exists()
    events = Event.objects.filter(entity_type="contact", action="delete")
    assert events.count() == 3
    assert {e.source for e in events} == {"admin"}
    assert len({e.operation for e in events}) == 1


def _hold_the_write_lock_of(account):
    """Another session holding the account's exclusive write lock, as a restore does."""
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [account_lock_key(account.pk)])
    return other


@pytest.mark.django_db(transaction=True)
def test_the_admins_delete_of_two_accounts_records_is_all_or_nothing(
    page, acme, globex, alice, charlie, operator
):
    """Globex is being restored (423): Acme's selected records stay too, the admin
    says why, and no deletion is logged."""
    ours = create(acme, "contact", alice, {"name": "Ours"})
    theirs = create(globex, "contact", charlie, {"name": "Theirs"})
    other = _hold_the_write_lock_of(globex)
    try:
        response = page(operator).post(
            "/admin/crm/contact/",
            {"action": "delete_selected", "_selected_action": [ours.pk, theirs.pk], "post": "yes"},
            follow=True,
        )
    finally:
        other.close()
    assert response.status_code == 200
    assert "A restore is in progress for this account" in response.content.decode()
    assert Contact.objects.filter(pk__in=[ours.pk, theirs.pk]).count() == 2
    assert not Event.objects.filter(action="delete").exists()
    assert not LogEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_admins_delete_of_one_record_during_a_restore_says_why(page, acme, alice, operator):
    contact = create(acme, "contact", alice, {"name": "Anna"})
    other = _hold_the_write_lock_of(acme)
    try:
        response = page(operator).post(
            f"/admin/crm/contact/{contact.pk}/delete/", {"post": "yes"}, follow=True
        )
    finally:
        other.close()
    assert response.status_code == 200
    assert "A restore is in progress for this account" in response.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_an_admin_edit_that_links_to_another_accounts_record_is_refused(
    page, acme, globex, alice, charlie, operator
):
    contact = create(acme, "contact", alice, {"name": "Anna"})
    foreign = create(globex, "company", charlie, {"title": "Globex"})
    response = page(operator).post(
        f"/admin/crm/contact/{contact.pk}/change/",
        {
            "name": "Anna",
            "company": foreign.pk,
            "type_id": "CLIENT",
            "custom_fields": "{}",
        },
        follow=True,
    )
    assert "There is no company" in response.content.decode()
    contact.refresh_from_db()
    assert contact.company_id is None


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_helpdesk_staff_may_not_open_crm_data_in_the_admin(page, acme, alice, helen, entity_type):
    record = create(acme, entity_type, alice, VALID[entity_type])
    client = page(helen)
    base = f"/admin/{ADMIN_PATHS[entity_type]}/"
    assert client.get(base).status_code == 403
    assert client.get(f"{base}{record.pk}/change/").status_code == 403
    assert client.post(f"{base}{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()


def test_helpdesk_staff_may_view_accounts_in_the_admin(page, acme, helen):
    client = page(helen)
    assert client.get("/admin/accounts/account/").status_code == 200
    assert client.get(f"/admin/accounts/account/{acme.pk}/change/").status_code == 200
    response = client.post(f"/admin/accounts/account/{acme.pk}/change/", {"name": "Hacked"})
    assert response.status_code == 403
    acme.refresh_from_db()
    assert acme.name == "Acme"
