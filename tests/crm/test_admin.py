"""The Django admin (the vendor's operators' tool) for every CRM model: it writes
through the services, so its creates, edits and deletes leave History events
like every other path; helpdesk staff may look, never change CRM data."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

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
