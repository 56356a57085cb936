"""Bad input on the CRM pages: the form comes back (400) with the error beside the
field and what was typed still in the fields; nothing is written. Bad filters
show their error beside the filter; bad bulk selections say why."""

from __future__ import annotations

import html
import re

import pytest

from crm_history.models import Event

from .conftest import SLUGS, VALID, count, create, form_data, row

pytestmark = pytest.mark.django_db


def _error_beside(content: str, field: str) -> str:
    """The error message shown right under the field's input (partials/field.html)."""
    match = re.search(rf'<p class="error" id="id_{field}_error">([^<]*)</p>', content)
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


def _kept(content: str, field: str, value: str) -> bool:
    """Whether the field still holds what was typed (an input's value or a selected option)."""
    value = html.escape(value)
    return bool(
        re.search(rf'name="{field}"[^>]*value="{re.escape(value)}"', content)
        or re.search(rf'value="{re.escape(value)}"[^>]*name="{field}"', content)
        or re.search(
            rf'name="{field}".*?<option value="{re.escape(value)}" selected', content, re.S
        )
        or re.search(rf'<textarea name="{field}"[^>]*>\s*{re.escape(value)}</textarea>', content)
    )


# (entity type, what was typed, the field in error, its message, a field whose input is kept)
CASES = [
    ("company", {"title": "", "phone": "+39 02 1234"}, "title", "This field is required.",
     ("phone", "+39 02 1234")),
    ("company", {"title": "Initech", "email": "not-an-address"}, "email",
     "Enter a valid email address.", ("title", "Initech")),
    ("company", {"title": "Initech", "revenue": "lots"}, "revenue", "Enter a number.",
     ("title", "Initech")),
    ("contact", {"name": "Anna", "type_id": "VIP"}, "type_id", "Select a valid choice.",
     ("name", "Anna")),
    ("contact", {"name": "Anna", "company": "987654321"}, "company",
     "there is no company #987654321 in this account", ("name", "Anna")),
    ("lead", {"title": "", "comments": "Met at the fair"}, "title", "This field is required.",
     ("comments", "Met at the fair")),
    ("deal", {"title": "Pilot", "probability": "likely"}, "probability", "Enter a whole number.",
     ("title", "Pilot")),
    ("deal", {"title": "Pilot", "probability": "150"}, "probability",
     "less than or equal to 100", ("title", "Pilot")),
    ("deal", {"title": "Pilot", "stage_id": "DONE"}, "stage_id", "Select a valid choice.",
     ("title", "Pilot")),
    ("deal", {"title": "Pilot", "begindate": "next week"}, "begindate", "Enter a valid date.",
     ("title", "Pilot")),
    ("product", {"name": "Hours", "price": "free"}, "price", "Enter a number.",
     ("name", "Hours")),
    ("custom_field", {"code": "budget", "label": "Budget"}, "code", "UF_CRM_",
     ("label", "Budget")),
]  # fmt: skip


@pytest.mark.parametrize(("entity_type", "data", "field", "message", "kept"), CASES)
def test_a_bad_form_shows_the_error_beside_the_field_keeps_the_input_and_writes_nothing(
    page, acme, bob, entity_type, data, field, message, kept
):
    before = (count(entity_type), Event.objects.count())
    response = page(bob).post(
        f"/crm/{SLUGS[entity_type]}/new/", form_data(acme, entity_type, **data)
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert message in _error_beside(content, field)
    assert content.count('<p class="error"') == 1  # only the field in error
    assert _kept(content, *kept), f"{kept[0]} lost what was typed"
    assert (count(entity_type), Event.objects.count()) == before


@pytest.mark.parametrize(("entity_type", "data", "field", "message", "kept"), CASES)
def test_a_bad_edit_shows_the_error_and_leaves_the_record_as_it_was(
    page, acme, alice, bob, entity_type, data, field, message, kept
):
    record = create(acme, entity_type, alice, VALID[entity_type])
    before = row(record)
    form = form_data(acme, entity_type, **data)
    if entity_type == "custom_field":
        form.pop("code")  # fixed once the field exists: the edit form does not send it
        field, message, form["label"] = "label", "This field is required.", ""
    response = page(bob).post(f"/crm/{SLUGS[entity_type]}/{record.pk}/edit/", form)
    assert response.status_code == 400
    assert message in _error_beside(response.content.decode(), field)
    assert row(record) == before


def test_a_service_refusal_is_shown_beside_its_field(page, acme, alice, bob):
    # The form accepts the code; the service refuses it as a duplicate.
    create(acme, "custom_field", alice, VALID["custom_field"])
    before = count("custom_field")
    response = page(bob).post("/crm/custom-fields/new/", form_data(acme, "custom_field"))
    assert response.status_code == 400
    assert _error_beside(response.content.decode(), "code")
    assert _kept(response.content.decode(), "label", VALID["custom_field"]["label"])
    assert count("custom_field") == before


def test_a_bad_custom_field_value_is_shown_beside_it(page, acme, alice, bob):
    values = {"entity_type": "deal", "code": "UF_CRM_END", "label": "End", "field_type": "date"}
    create(acme, "custom_field", alice, values)
    before = count("deal")
    data = form_data(acme, "deal", UF_CRM_END="soon")
    response = page(bob).post("/crm/deals/new/", data)
    assert response.status_code == 400
    assert "Enter a valid date." in _error_beside(response.content.decode(), "UF_CRM_END")
    assert count("deal") == before


@pytest.mark.parametrize(
    ("slug", "params", "field"),
    [
        ("contacts", {"type_id": "VIP"}, "type_id"),
        ("deals", {"closed": "perhaps"}, "closed"),
        ("deals", {"company": "Initech"}, "company"),
        ("companies", {"created_after": "last tuesday"}, "created_after"),
    ],
)
def test_a_bad_filter_on_a_list_shows_its_error_beside_the_filter(
    page, acme, alice, bob, slug, params, field
):
    create(acme, "contact", alice, VALID["contact"])
    response = page(bob).get(f"/crm/{slug}/", params)
    assert response.status_code == 200
    content = response.content.decode()
    assert _error_beside(content, field)
    assert "<tbody>" not in content  # no rows under a filter that could not be applied


def test_bulk_delete_of_nothing_selected_says_so(page, bob):
    response = page(bob).post("/crm/contacts/bulk-delete/", {"next": "/crm/contacts/"}, follow=True)
    assert "Select the records to delete first." in response.content.decode()


def test_bulk_delete_with_bad_ids_says_why_and_deletes_nothing(page, acme, alice, bob):
    record = create(acme, "contact", alice, VALID["contact"])
    response = page(bob).post(
        "/crm/contacts/bulk-delete/",
        {"ids": [str(record.pk), "abc"], "next": "/crm/contacts/"},
        follow=True,
    )
    assert "ids must be whole numbers." in response.content.decode()
    assert row(record) is not None


def test_bulk_delete_asks_to_confirm_naming_the_count_then_deletes(page, acme, alice, bob):
    records = [create(acme, "lead", alice, {"title": f"Lead {i}"}) for i in range(3)]
    ids = [r.pk for r in records]
    client = page(bob)
    confirm = client.post("/crm/leads/bulk-delete/", {"ids": ids, "next": "/crm/leads/"})
    assert confirm.status_code == 200
    assert "Delete 3 leads?" in confirm.content.decode()
    assert all(row(r) is not None for r in records)
    done = client.post(
        "/crm/leads/bulk-delete/",
        {"ids": ids, "confirmed": "yes", "next": "/crm/leads/"},
        follow=True,
    )
    assert "3 leads deleted." in done.content.decode()
    assert all(row(r) is None for r in records)
    assert Event.objects.filter(action="delete", entity_type="lead").count() == 3


def test_bulk_delete_confirms_a_selection_of_more_than_two_hundred(page, acme, alice, bob):
    ids = [create(acme, "product", alice, {"name": f"Item {i}"}).pk for i in range(205)]
    response = page(bob).post("/crm/products/bulk-delete/", {"ids": ids, "next": "/crm/products/"})
    assert response.status_code == 200
    assert "Delete 205 products?" in response.content.decode()
    assert "and 185 more" in response.content.decode()


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"]
)
def test_bulk_delete_goes_back_only_to_a_page_of_this_site(page, acme, alice, bob, next_url):
    record = create(acme, "lead", alice, VALID["lead"])
    response = page(bob).post(
        "/crm/leads/bulk-delete/", {"ids": [record.pk], "confirmed": "yes", "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == "/crm/leads/"


@pytest.mark.parametrize("q", ["²", "99999999999999999999", "١٢"])
def test_a_search_for_odd_digits_finds_nothing_and_fails_nowhere(page, api, acme, alice, bob, q):
    create(acme, "contact", alice, VALID["contact"])
    listed = page(bob).get("/crm/contacts/", {"q": q})
    assert listed.status_code == 200
    assert "match these filters" in listed.content.decode()
    answered = api(bob).get("/api/v1/crm/contacts/", {"q": q})
    assert answered.status_code == 200
    assert answered.json()["results"] == []


def test_a_search_for_an_id_finds_that_record(api, acme, alice, bob):
    record = create(acme, "contact", alice, VALID["contact"])
    create(acme, "contact", alice, {"name": "Other"})
    response = api(bob).get("/api/v1/crm/contacts/", {"q": str(record.pk)})
    assert [r["id"] for r in response.json()["results"]] == [record.pk]
