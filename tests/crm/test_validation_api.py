"""Bad input on the CRM API: a 400 `{"code": "invalid", "detail", "fields"}` that
names the field, and nothing written (rows and History counted before and
after). Never a 500, never a half-done write."""

from __future__ import annotations

import pytest

from crm_history.models import Event

from .conftest import SLUGS, VALID, count, create, row

pytestmark = pytest.mark.django_db


def _url(entity_type: str, pk: int | None = None) -> str:
    base = f"/api/v1/crm/{SLUGS[entity_type]}/"
    return base if pk is None else f"{base}{pk}/"


def _assert_invalid(response, field: str | None = None) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"]
    if field is not None:
        assert field in body["fields"], body
        assert body["fields"][field]
        assert field in body["detail"] or body["fields"][field][0] in body["detail"]
    return body


BAD_BODIES = [
    # missing required fields
    ("company", {}, "title"),
    ("lead", {"name": "Anna"}, "title"),
    ("deal", {"stage_id": "NEW"}, "title"),
    ("product", {"price": "10.00"}, "name"),
    ("custom_field", {"entity_type": "contact", "label": "Size"}, "code"),
    ("custom_field", {"code": "UF_CRM_SIZE", "label": "Size"}, "entity_type"),
    # wrong types
    ("deal", {"title": "x", "probability": "likely"}, "probability"),
    ("deal", {"title": "x", "opportunity": "a lot"}, "opportunity"),
    ("deal", {"title": "x", "closed": "perhaps"}, "closed"),
    ("deal", {"title": "x", "begindate": "next week"}, "begindate"),
    ("deal", {"title": "x", "company_id": "Initech"}, "company_id"),
    ("deal", {"title": "x", "category_id": -1}, "category_id"),
    ("company", {"title": ["a", "list"]}, "title"),
    ("company", {"title": "x", "revenue": "1e999"}, "revenue"),
    ("company", {"title": "x", "email": "not-an-address"}, "email"),
    ("contact", {"name": "x", "custom_fields": ["not", "an", "object"]}, "custom_fields"),
    ("contact", {"name": "x", "assigned_by_id": "alice"}, "assigned_by_id"),
    ("product", {"name": "x", "price": "free"}, "price"),
    ("product", {"name": "x", "active": "sometimes"}, "active"),
    ("deal", {"title": "x", "probability": 150}, "probability"),
    ("contact", {"name": "x", "company_id": 2**70}, "company_id"),
    # unknown choices
    ("contact", {"name": "x", "type_id": "VIP"}, "type_id"),
    ("deal", {"title": "x", "stage_id": "DONE"}, "stage_id"),
    ("lead", {"title": "x", "status_id": "HOT"}, "status_id"),
    ("company", {"title": "x", "currency_id": "XYZ"}, "currency_id"),
    ("custom_field", {"entity_type": "invoice", "code": "UF_CRM_X", "label": "X"}, "entity_type"),
    ("custom_field", {"entity_type": "lead", "code": "UF_CRM_X", "label": "X",
                      "field_type": "money"}, "field_type"),
    ("custom_field", {"entity_type": "lead", "code": "budget", "label": "X"}, "code"),
    # unknown ids
    ("contact", {"name": "x", "company_id": 987654321}, "company_id"),
    ("deal", {"title": "x", "contact_id": 987654321}, "contact_id"),
    ("deal", {"title": "x", "assigned_by_id": 987654321}, "assigned_by_id"),
    # custom fields that do not exist for this record type
    ("lead", {"title": "x", "custom_fields": {"UF_CRM_NOPE": "1"}}, "UF_CRM_NOPE"),
]  # fmt: skip


@pytest.mark.parametrize(("entity_type", "body", "field"), BAD_BODIES)
def test_bad_input_on_create_is_refused_naming_the_field_and_writes_nothing(
    api, bob, entity_type, body, field
):
    before = (count(entity_type), Event.objects.count())
    _assert_invalid(api(bob).post(_url(entity_type), body, format="json"), field)
    assert (count(entity_type), Event.objects.count()) == before


@pytest.mark.parametrize(("entity_type", "body", "field"), BAD_BODIES)
def test_bad_input_on_update_is_refused_and_the_record_is_unchanged(
    api, acme, alice, bob, entity_type, body, field
):
    record = create(acme, entity_type, alice, VALID[entity_type])
    before = (row(record), Event.objects.count())
    full = {**VALID[entity_type], **body}
    if field in VALID[entity_type] and field not in body:
        full.pop(field)  # "missing" on a full update
    response = api(bob).put(_url(entity_type, record.pk), full, format="json")
    _assert_invalid(response, field)
    assert (row(record), Event.objects.count()) == before


@pytest.mark.parametrize(
    ("entity_type", "body", "field"), [b for b in BAD_BODIES if b[2] in b[1]]
)  # a partial update may leave out any field: only the bad values
def test_bad_input_on_partial_update_is_refused_and_the_record_is_unchanged(
    api, acme, alice, bob, entity_type, body, field
):
    record = create(acme, entity_type, alice, VALID[entity_type])
    before = (row(record), Event.objects.count())
    response = api(bob).patch(_url(entity_type, record.pk), {field: body[field]}, format="json")
    _assert_invalid(response, field)
    assert (row(record), Event.objects.count()) == before


def test_a_custom_field_value_of_the_wrong_type_is_refused_naming_its_code(api, acme, alice, bob):
    for code, kind in (("UF_CRM_END", "date"), ("UF_CRM_SEATS", "double")):
        values = {"entity_type": "deal", "code": code, "label": code, "field_type": kind}
        create(acme, "custom_field", alice, values)
    before = count("deal")
    for code, value in (("UF_CRM_END", "soon"), ("UF_CRM_SEATS", "many"), ("UF_CRM_END", {"a": 1})):
        body = {"title": "x", "custom_fields": {code: value}}
        _assert_invalid(api(bob).post(_url("deal"), body, format="json"))
    assert count("deal") == before


def test_a_mandatory_custom_field_left_empty_is_refused(api, acme, alice, bob):
    values = {"entity_type": "lead", "code": "UF_CRM_BUDGET", "label": "Budget", "mandatory": True}
    create(acme, "custom_field", alice, values)
    before = count("lead")
    _assert_invalid(api(bob).post(_url("lead"), {"title": "x"}, format="json"), "UF_CRM_BUDGET")
    assert count("lead") == before


def test_a_custom_field_code_is_unique_per_record_type_in_the_account(api, acme, alice, bob):
    create(acme, "custom_field", alice, VALID["custom_field"])
    before = count("custom_field")
    response = api(bob).post(_url("custom_field"), VALID["custom_field"], format="json")
    _assert_invalid(response, "code")
    assert count("custom_field") == before


@pytest.mark.parametrize("field", ["code", "entity_type"])
def test_a_custom_fields_code_and_record_type_are_fixed_once_it_exists(
    api, acme, alice, bob, field
):
    record = create(acme, "custom_field", alice, VALID["custom_field"])
    before = row(record)
    new = {"code": "UF_CRM_OTHER", "entity_type": "deal"}[field]
    _assert_invalid(
        api(bob).patch(_url("custom_field", record.pk), {field: new}, format="json"), field
    )
    assert row(record) == before


@pytest.mark.parametrize(
    "body",
    ['{"title": ', "title=x", "[1, 2", '{"title": "x",}', "\xff\xfe"],
    ids=["truncated", "not-json", "unclosed-list", "trailing-comma", "not-utf8"],
)
def test_malformed_json_is_a_400_with_code_and_detail_and_writes_nothing(api, bob, body):
    before = count("company")
    response = api(bob).post(
        _url("company"), data=body.encode("latin-1"), content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "detail"}
    assert response.json()["code"] == "invalid"
    assert count("company") == before


def test_a_body_that_is_not_an_object_is_refused(api, bob):
    before = count("company")
    response = api(bob).post(_url("company"), data="[1, 2]", content_type="application/json")
    _assert_invalid(response)
    assert count("company") == before


# --- Lists: pages and filters -------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "fifty"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
    ],
)
def test_a_bad_page_or_page_size_is_a_400_naming_it(api, bob, params, field):
    _assert_invalid(api(bob).get(_url("contact"), params), field)


def test_page_size_200_is_the_most_a_page_holds(api, bob):
    response = api(bob).get(_url("contact"), {"page_size": "200"})
    assert response.status_code == 200
    assert set(response.json()) >= {"results", "next", "previous"}


def test_a_page_past_the_end_is_not_found(api, bob):
    response = api(bob).get(_url("contact"), {"page": "99"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_filters_narrow_the_list_to_the_matching_records(api, acme, alice, bob):
    won = create(acme, "deal", alice, {"title": "Won", "stage_id": "WON", "closed": True})
    create(acme, "deal", alice, {"title": "Open", "stage_id": "NEW"})
    for params in ({"closed": "true"}, {"stage_id": "WON"}, {"q": "Won"}):
        response = api(bob).get(_url("deal"), params)
        assert response.status_code == 200
        assert [r["id"] for r in response.json()["results"]] == [won.pk]


def test_a_creation_time_without_an_offset_is_read_in_the_accounts_zone(api, page, acme, alice):
    """api.md: a time without an offset is read in the account's time zone, on the API
    as on the list page (Acme: Europe/Rome, UTC+1 in January)."""
    from datetime import UTC, datetime

    from crm import services
    from tests.factories import actor_for

    lead = services.record_create(
        account=acme,
        entity_type="lead",
        values={"title": "Created at 10:30 in Rome"},
        actor=actor_for(alice),
        now=datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
    )
    cases = [
        ({"created_after": "2026-01-15T10:00"}, [lead.pk]),  # 09:00 UTC
        ({"created_before": "2026-01-15T10:00"}, []),
        ({"created_before": "2026-01-15T10:31"}, [lead.pk]),
        ({"created_after": "2026-01-15T10:00+00:00"}, []),  # an offset is taken as given
        ({"created_after": "2026-01-15", "created_before": "2026-01-16"}, [lead.pk]),
        ({"created_before": "2026-01-15"}, []),  # a date: the start of that day in Rome
    ]
    for params, expected in cases:
        response = api(alice).get(_url("lead"), params)
        assert response.status_code == 200, response.content
        assert [r["id"] for r in response.json()["results"]] == expected, params
        listed = page(alice).get("/crm/leads/", params)
        assert listed.status_code == 200
        assert [row["obj"].pk for row in listed.context["rows"]] == expected, params


@pytest.mark.parametrize(
    ("entity_type", "params", "field"),
    [
        ("contact", {"type_id": "VIP"}, "type_id"),
        ("deal", {"stage_id": "DONE"}, "stage_id"),
        ("deal", {"closed": "perhaps"}, "closed"),
        ("product", {"active": "sometimes"}, "active"),
        ("deal", {"company": "Initech"}, "company"),
        ("lead", {"status_id": "HOT"}, "status_id"),
        ("company", {"assigned_by": "999999"}, "assigned_by"),
        ("company", {"created_after": "last tuesday"}, "created_after"),
        ("custom_field", {"entity_type": "invoice"}, "entity_type"),
    ],
)
def test_an_unknown_filter_value_is_a_400_naming_the_filter(api, bob, entity_type, params, field):
    _assert_invalid(api(bob).get(_url(entity_type), params), field)


# --- Bulk delete ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "ids"),
        ({"ids": []}, "ids"),
        ({"ids": "1,2"}, "ids"),
        ({"ids": ["one"]}, "ids"),
        ({"ids": [0]}, "ids"),
        ({"ids": [None]}, "ids"),
        ({"ids": [2**64]}, "ids"),
    ],
)
def test_bulk_delete_refuses_bad_ids_and_deletes_nothing(api, acme, alice, bob, body, field):
    record = create(acme, "contact", alice, VALID["contact"])
    response = api(bob).post(f"{_url('contact')}bulk-delete/", body, format="json")
    _assert_invalid(response, field)
    assert row(record) is not None
    assert not Event.objects.filter(action="delete").exists()


def test_bulk_delete_with_an_unknown_id_deletes_nothing_and_names_it(api, acme, alice, bob):
    record = create(acme, "contact", alice, VALID["contact"])
    response = api(bob).post(
        f"{_url('contact')}bulk-delete/", {"ids": [record.pk, 987654321]}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "987654321" in response.json()["detail"]
    assert row(record) is not None


def test_bulk_delete_of_our_records_deletes_them_all_in_one_operation(api, acme, alice, bob):
    records = [create(acme, "lead", alice, {"title": f"Lead {i}"}) for i in range(3)]
    response = api(bob).post(
        f"{_url('lead')}bulk-delete/", {"ids": [r.pk for r in records]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["deleted"] == 3
    events = Event.objects.filter(action="delete", entity_type="lead")
    assert events.count() == 3
    assert {str(e.operation) for e in events} == {response.json()["operation"]}
    assert all(row(r) is None for r in records)


def test_an_unknown_record_id_in_the_url_is_not_found(api, bob):
    for method in ("get", "put", "patch", "delete"):
        response = getattr(api(bob), method)(_url("contact", 987654321), {}, format="json")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
