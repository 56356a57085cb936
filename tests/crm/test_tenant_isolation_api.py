"""Tenancy on every CRM API endpoint: another account's record is 404
`not_found` for every call, never listed, never changed or deleted; a bulk
delete with one foreign id deletes nothing; a link to another account's record
is a 400 naming the field, and nothing is written."""

from __future__ import annotations

import pytest

from crm_history.models import Event

from .conftest import ENTITY_TYPES, SLUGS, THEIR_TITLE, VALID, count, row

pytestmark = pytest.mark.django_db


def _url(entity_type: str, pk: int | None = None) -> str:
    base = f"/api/v1/crm/{SLUGS[entity_type]}/"
    return base if pk is None else f"{base}{pk}/"


def _assert_not_found(response):
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_a_list_shows_only_the_callers_records(api, bob, ours, theirs, entity_type):
    response = api(bob).get(_url(entity_type), {"page_size": 200})
    assert response.status_code == 200
    ids = [r["id"] for r in response.json()["results"]]
    assert ids == [ours[entity_type].pk]
    searched = api(bob).get(_url(entity_type), {"q": THEIR_TITLE[entity_type]})
    assert searched.json()["results"] == []


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_retrieving_another_accounts_record_is_not_found(api, bob, theirs, entity_type):
    _assert_not_found(api(bob).get(_url(entity_type, theirs[entity_type].pk)))


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_updating_another_accounts_record_is_not_found_and_changes_nothing(
    api, bob, theirs, entity_type, method
):
    target = theirs[entity_type]
    before = row(target)
    events = Event.objects.count()
    response = getattr(api(bob), method)(_url(entity_type, target.pk), VALID[entity_type])
    _assert_not_found(response)
    assert row(target) == before
    assert Event.objects.count() == events


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_deleting_another_accounts_record_is_not_found_and_keeps_it(api, bob, theirs, entity_type):
    target = theirs[entity_type]
    before = row(target)
    _assert_not_found(api(bob).delete(_url(entity_type, target.pk)))
    assert row(target) == before
    assert not Event.objects.filter(action="delete").exists()


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_bulk_delete_with_one_foreign_id_deletes_nothing(api, bob, ours, theirs, entity_type):
    mine, foreign = ours[entity_type], theirs[entity_type]
    before = (row(mine), row(foreign))
    response = api(bob).post(
        f"{_url(entity_type)}bulk-delete/", {"ids": [mine.pk, foreign.pk]}, format="json"
    )
    _assert_not_found(response)
    assert "nothing was deleted" in response.json()["detail"]
    assert (row(mine), row(foreign)) == before
    assert not Event.objects.filter(action="delete").exists()


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_bulk_delete_of_only_foreign_ids_is_not_found(api, bob, theirs, entity_type):
    foreign = theirs[entity_type]
    response = api(bob).post(
        f"{_url(entity_type)}bulk-delete/", {"ids": [foreign.pk]}, format="json"
    )
    _assert_not_found(response)
    assert row(foreign) is not None


# --- Links to another account's records ------------------------------------------------

LINKS = [
    ("contact", "company_id", "company"),
    ("deal", "company_id", "company"),
    ("deal", "contact_id", "contact"),
]


@pytest.mark.parametrize(("entity_type", "field", "target"), LINKS)
def test_creating_with_a_link_to_another_accounts_record_is_refused_naming_the_field(
    api, bob, theirs, entity_type, field, target
):
    before = count(entity_type)
    body = {**VALID[entity_type], field: theirs[target].pk}
    response = api(bob).post(_url(entity_type), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert count(entity_type) == before


@pytest.mark.parametrize(("entity_type", "field", "target"), LINKS)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_updating_with_a_link_to_another_accounts_record_is_refused_and_changes_nothing(
    api, bob, ours, theirs, entity_type, field, target, method
):
    mine = ours[entity_type]
    before = row(mine)
    body = {**VALID[entity_type], field: theirs[target].pk}
    response = getattr(api(bob), method)(_url(entity_type, mine.pk), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert row(mine) == before


@pytest.mark.parametrize("entity_type", ["company", "contact", "lead", "deal"])
def test_assigning_a_record_to_another_accounts_user_is_refused(api, bob, charlie, entity_type):
    before = count(entity_type)
    body = {**VALID[entity_type], "assigned_by_id": charlie.pk}
    response = api(bob).post(_url(entity_type), body, format="json")
    assert response.status_code == 400
    assert "assigned_by_id" in response.json()["fields"]
    assert count(entity_type) == before


def test_a_custom_field_defined_only_in_another_account_is_refused(api, bob, theirs):
    # Globex defines UF_CRM_SECRET on contacts; Acme does not.
    before = count("contact")
    body = {**VALID["contact"], "custom_fields": {"UF_CRM_SECRET": "x"}}
    response = api(bob).post(_url("contact"), body, format="json")
    assert response.status_code == 400
    assert "UF_CRM_SECRET" in response.json()["fields"]
    assert count("contact") == before


@pytest.mark.parametrize(("entity_type", "param"), [("contact", "company"), ("deal", "contact")])
def test_filtering_on_another_accounts_record_finds_nothing(
    api, bob, ours, theirs, entity_type, param
):
    response = api(bob).get(_url(entity_type), {param: theirs[param].pk})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_another_accounts_records_are_not_found_for_the_administrator_either(api, alice, theirs):
    for entity_type in ENTITY_TYPES:
        _assert_not_found(api(alice).get(_url(entity_type, theirs[entity_type].pk)))
