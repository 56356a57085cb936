"""Tenancy on every CRM page: another account's record is the 404 page for the
detail, edit, delete and bulk delete pages, never shown in a list or a search,
never changed or deleted; a form cannot link to another account's record."""

from __future__ import annotations

import re

import pytest

from crm_history.models import Event

from .conftest import ENTITY_TYPES, SLUGS, THEIR_TITLE, count, form_data, row

pytestmark = pytest.mark.django_db


def _select(response, name: str) -> str:
    """The HTML of the form's drop-down `name`."""
    match = re.search(rf'<select name="{name}".*?</select>', response.content.decode(), re.S)
    assert match, f"no drop-down {name}"
    return match.group(0)


def _assert_404_page(response):
    assert response.status_code == 404
    content = response.content.decode()
    assert "<h1>Not found</h1>" in content
    assert "belongs to another account" in content


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_the_list_and_its_search_never_show_another_accounts_record(
    page, bob, ours, theirs, entity_type
):
    client = page(bob)
    listed = client.get(f"/crm/{SLUGS[entity_type]}/")
    assert listed.status_code == 200
    assert THEIR_TITLE[entity_type] not in listed.content.decode()
    assert f'name="ids" value="{ours[entity_type].pk}"' in listed.content.decode()  # our row
    searched = client.get(f"/crm/{SLUGS[entity_type]}/", {"q": THEIR_TITLE[entity_type]})
    content = searched.content.decode()
    assert "<tbody>" not in content  # no rows: the empty state says why
    assert "match these filters" in content
    assert f'name="ids" value="{theirs[entity_type].pk}"' not in content


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
@pytest.mark.parametrize("suffix", ["", "edit/", "delete/"])
def test_opening_another_accounts_record_is_the_404_page(page, bob, theirs, entity_type, suffix):
    target = theirs[entity_type]
    response = page(bob).get(f"/crm/{SLUGS[entity_type]}/{target.pk}/{suffix}")
    _assert_404_page(response)
    assert THEIR_TITLE[entity_type] not in response.content.decode()


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_posting_the_edit_form_of_another_accounts_record_changes_nothing(
    page, bob, theirs, entity_type
):
    target = theirs[entity_type]
    before = row(target)
    data = form_data(target.account, entity_type)
    response = page(bob).post(f"/crm/{SLUGS[entity_type]}/{target.pk}/edit/", data)
    _assert_404_page(response)
    assert row(target) == before


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_confirming_the_delete_of_another_accounts_record_keeps_it(page, bob, theirs, entity_type):
    target = theirs[entity_type]
    before = row(target)
    _assert_404_page(page(bob).post(f"/crm/{SLUGS[entity_type]}/{target.pk}/delete/"))
    assert row(target) == before
    assert not Event.objects.filter(action="delete").exists()


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
@pytest.mark.parametrize("confirmed", [False, True])
def test_bulk_delete_with_one_foreign_id_is_the_404_page_and_deletes_nothing(
    page, bob, ours, theirs, entity_type, confirmed
):
    mine, foreign = ours[entity_type], theirs[entity_type]
    before = (row(mine), row(foreign))
    data = {"ids": [mine.pk, foreign.pk], "next": f"/crm/{SLUGS[entity_type]}/"}
    if confirmed:
        data["confirmed"] = "yes"
    response = page(bob).post(f"/crm/{SLUGS[entity_type]}/bulk-delete/", data)
    _assert_404_page(response)
    assert THEIR_TITLE[entity_type] not in response.content.decode()
    assert (row(mine), row(foreign)) == before
    assert not Event.objects.filter(action="delete").exists()


@pytest.mark.parametrize(
    ("entity_type", "field", "target"),
    [
        ("contact", "company", "company"),
        ("deal", "company", "company"),
        ("deal", "contact", "contact"),
    ],
)
def test_a_form_cannot_link_to_another_accounts_record(
    page, acme, bob, theirs, entity_type, field, target
):
    before = count(entity_type)
    data = form_data(acme, entity_type, **{field: theirs[target].pk})
    response = page(bob).post(f"/crm/{SLUGS[entity_type]}/new/", data)
    assert response.status_code == 400
    content = response.content.decode()
    assert f'id="id_{field}_error"' in content
    assert "Select a valid choice" in content
    assert THEIR_TITLE[target] not in content  # not offered in the drop-down either
    assert count(entity_type) == before


@pytest.mark.parametrize(("entity_type", "field"), [("contact", "company"), ("deal", "contact")])
def test_the_link_drop_downs_offer_only_the_callers_records(
    page, bob, ours, theirs, entity_type, field
):
    # A typed link with suggestions ("Title #id"), not a <select> of every record.
    html = page(bob).get(f"/crm/{SLUGS[entity_type]}/new/").content.decode()
    match = re.search(rf'<datalist id="{field}-suggestions">.*?</datalist>', html, re.S)
    assert match, f"no suggestions for {field}"
    options = match.group(0)
    assert f' #{ours[field].pk}">' in options
    assert f' #{theirs[field].pk}">' not in options
    assert THEIR_TITLE[field] not in options


def test_the_responsible_person_drop_down_offers_only_members(page, bob, alice, charlie):
    options = _select(page(bob).get("/crm/contacts/new/"), "assigned_by")
    assert f'<option value="{alice.pk}"' in options
    assert f'<option value="{charlie.pk}"' not in options


@pytest.mark.parametrize(
    ("entity_type", "field", "target"),
    [
        ("contact", "company", "company"),
        ("deal", "company", "company"),
        ("deal", "contact", "contact"),
    ],
)
def test_an_edit_cannot_link_to_another_accounts_record(
    page, acme, bob, ours, theirs, entity_type, field, target
):
    mine = ours[entity_type]
    before = row(mine)
    data = form_data(acme, entity_type, **{field: theirs[target].pk})
    response = page(bob).post(f"/crm/{SLUGS[entity_type]}/{mine.pk}/edit/", data)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert row(mine) == before
