"""Employees read and write CRM data, on the API and the pages, for every entity
type: each write answers as api.md says and leaves its History event with the
employee as the actor and the path it came by (R1)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.utils import formats

from crm.registry import entity
from crm_history.models import Event

from .conftest import ENTITY_TYPES, SLUGS, VALID, count, create, form_data, row

pytestmark = pytest.mark.django_db

CHANGES = {
    "company": {"title": "Initech Srl (Milano)"},
    "contact": {"last_name": "Verdi-Rossi"},
    "lead": {"title": "Trade fair enquiry, called back"},
    "deal": {"title": "Pilot project, phase 2"},
    "product": {"name": "Support hours (premium)"},
    "custom_field": {"label": "Budget (EUR)"},
}


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_an_employee_creates_reads_updates_and_deletes_through_the_api(api, bob, entity_type):
    client = api(bob)
    base = f"/api/v1/crm/{SLUGS[entity_type]}/"

    created = client.post(base, VALID[entity_type], format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created["Location"] == f"{base}{pk}/"
    assert client.get(created["Location"]).json() == created.json()
    assert [r["id"] for r in client.get(base).json()["results"]] == [pk]

    patched = client.patch(f"{base}{pk}/", CHANGES[entity_type], format="json")
    assert patched.status_code == 200
    assert patched.json().items() >= CHANGES[entity_type].items()
    put = client.put(f"{base}{pk}/", VALID[entity_type], format="json")
    assert put.status_code == 200

    deleted = client.delete(f"{base}{pk}/")
    assert deleted.status_code == 204
    assert client.get(f"{base}{pk}/").status_code == 404

    events = Event.objects.filter(entity_type=entity_type, entity_id=pk).order_by("id")
    assert [e.action for e in events] == ["create", "update", "update", "delete"]
    assert {(e.actor_id, e.source) for e in events} == {(bob.pk, "api")}
    assert events.last().data["id"] == pk  # the deleted record, kept whole


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_an_employee_creates_edits_and_deletes_on_the_pages(page, acme, bob, entity_type):
    client = page(bob)
    base = f"/crm/{SLUGS[entity_type]}/"
    before = count(entity_type)

    created = client.post(f"{base}new/", form_data(acme, entity_type), follow=True)
    assert created.status_code == 200
    assert count(entity_type) == before + 1
    record = entity(entity_type).model.objects.latest("pk")
    assert created.redirect_chain == [(f"{base}{record.pk}/", 302)]
    assert "was created." in created.content.decode()

    data = form_data(acme, entity_type, **CHANGES[entity_type])
    if entity_type == "custom_field":
        del data["code"], data["entity_type"]  # fixed once it exists: disabled inputs
    edited = client.post(f"{base}{record.pk}/edit/", data, follow=True)
    assert "was saved." in edited.content.decode()
    assert next(iter(CHANGES[entity_type].values())) in edited.content.decode()

    confirm = client.get(f"{base}{record.pk}/delete/")
    assert confirm.status_code == 200
    deleted = client.post(f"{base}{record.pk}/delete/", follow=True)
    assert deleted.redirect_chain == [(base, 302)]
    assert "was deleted." in deleted.content.decode()
    assert row(record) is None

    events = Event.objects.filter(entity_type=entity_type, entity_id=record.pk).order_by("id")
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert {(e.actor_id, e.source) for e in events} == {(bob.pk, "page")}


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_the_delete_page_says_how_the_record_can_come_back(page, acme, alice, entity_type):
    """The recycle bin holds companies, contacts, leads and deals for RECYCLE_BIN_DAYS;
    R13: a deleted product or custom field comes back only with a full rollback."""
    record = create(acme, entity_type, alice, VALID[entity_type])
    html = page(alice).get(f"/crm/{SLUGS[entity_type]}/{record.pk}/delete/").content.decode()
    in_bin = "the Recycle Bin can bring it back for 30 days"
    rollback = "comes back only with a full account rollback"
    if entity_type in ("product", "custom_field"):
        assert rollback in html and in_bin not in html
    else:
        assert in_bin in html and rollback not in html


def test_the_detail_page_shows_the_record_its_links_and_its_history(page, acme, alice, bob):
    company = create(acme, "company", alice, {"title": "Initech Srl"})
    values = {"name": "Anna", "last_name": "Verdi", "company_id": company.pk}
    contact = create(acme, "contact", alice, values)
    content = page(bob).get(f"/crm/companies/{company.pk}/").content.decode()
    assert "<h1>Initech Srl" in content
    assert f'href="/crm/contacts/{contact.pk}/">Anna Verdi</a>' in content
    assert "<strong>Created</strong> by alice" in content


def test_saving_without_a_change_records_nothing(api, acme, alice, bob):
    record = create(acme, "lead", alice, VALID["lead"])
    events = Event.objects.count()
    response = api(bob).patch(f"/api/v1/crm/leads/{record.pk}/", VALID["lead"], format="json")
    assert response.status_code == 200
    assert Event.objects.count() == events


def test_api_times_are_utc_whether_called_with_a_token_or_a_browser_session(
    api, page, acme, alice, bob
):
    record = create(acme, "contact", alice, VALID["contact"])
    utc = record.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    url = f"/api/v1/crm/contacts/{record.pk}/"
    assert api(bob).get(url).json()["created_at"] == utc
    assert page(bob).get(url).json()["created_at"] == utc  # Acme is in Europe/Rome


def test_pages_show_times_in_the_accounts_time_zone(page, acme, alice, bob):
    record = create(acme, "lead", alice, VALID["lead"])
    local = record.created_at.astimezone(ZoneInfo("Europe/Rome"))
    content = page(bob).get(f"/crm/leads/{record.pk}/").content.decode()
    assert formats.date_format(local, "DATETIME_FORMAT") in content  # 2026-11-25 19:03
    assert "Times are shown in Europe/Rome." in content
