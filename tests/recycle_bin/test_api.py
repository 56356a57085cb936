"""GET /api/v1/recycle-bin/ and POST /api/v1/recycle-bin/restore/."""

from __future__ import annotations

from accounts.models import Plan
from accounts.services import demo_start
from crm import services
from crm.models import Company, Contact, Deal
from crm_history.models import Event
from tests.factories import actor_for, make

from .conftest import BIN_URL, delete, fingerprint, made_and_deleted


def test_the_list_gives_each_entry_with_its_record_and_parents_in_the_bin(acme, alice, api):
    company = make(acme, "company", actor=actor_for(alice), title="Gialli Srl")
    contact = make(acme, "contact", actor=actor_for(alice), company_id=company.pk)
    contact_event = delete(acme, contact, by=alice)
    company_event = delete(acme, company, by=alice)

    response = api(alice).get(BIN_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None and body["previous"] is None
    first, second = body["results"]
    assert first["id"] == company_event.pk
    assert first["entity_type"] == "company"
    assert first["entity_id"] == company.pk
    assert first["title"] == "Gialli Srl"
    assert first["deleted_by"] == {"id": alice.pk, "name": "alice"}
    assert first["deleted_at"].endswith("Z")
    assert first["operation"] == str(company_event.operation)
    assert first["data"] == company_event.data
    assert first["parents_in_bin"] == []
    assert second["id"] == contact_event.pk
    assert second["parents_in_bin"] == [
        {
            "event": company_event.pk,
            "entity_type": "company",
            "entity_id": company.pk,
            "title": "Gialli Srl",
        }
    ]


def test_the_list_pages_by_cursor_through_a_bulk_delete(acme, alice, api):
    ids = [make(acme, "contact", actor=actor_for(alice), last_name=f"N{i}").pk for i in range(5)]
    services.records_bulk_delete(
        account=acme, entity_type="contact", ids=ids, actor=actor_for(alice)
    )
    client = api(alice)

    seen, url = [], f"{BIN_URL}?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [row["entity_id"] for row in body["results"]]
        url = body["next"]

    assert seen == sorted(ids, reverse=True)


def test_previous_goes_back_to_the_same_rows(acme, alice, api):
    ids = [make(acme, "deal", actor=actor_for(alice), title=f"D{i}").pk for i in range(5)]
    services.records_bulk_delete(account=acme, entity_type="deal", ids=ids, actor=actor_for(alice))
    client = api(alice)

    first = client.get(BIN_URL, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()

    assert [r["entity_id"] for r in second["results"]] == sorted(ids, reverse=True)[2:4]
    assert back["results"] == first["results"]


def test_a_tampered_cursor_or_another_lists_cursor_is_a_400(acme, alice, api):
    from recovery_portal.pagination import make_cursor

    history_cursor = make_cursor("history", ["2026-11-01", 5], "n")
    for cursor in ("not-a-cursor", history_cursor):
        response = api(alice).get(BIN_URL, {"cursor": cursor})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"


def test_bad_filters_are_a_400_with_the_field(acme, alice, api):
    client = api(alice)
    for params, name in [
        ({"entity_type": "product"}, "entity_type"),
        ({"deleted_after": "yesterday"}, "deleted_after"),
        ({"deleted_by": "999999"}, "deleted_by"),
        ({"operation": "nope"}, "operation"),
        ({"deleted_after": "2026-11-20", "deleted_before": "2026-11-10"}, "deleted_before"),
    ]:
        response = client.get(BIN_URL, params)
        assert response.status_code == 400, params
        assert response.json()["code"] == "invalid"
        assert name in response.json()["fields"], params


def test_filters_by_period_and_type(acme, alice, api):
    contact = made_and_deleted(acme, "contact", by=alice)
    made_and_deleted(acme, "deal", by=alice)
    today = contact.occurred_at.astimezone(acme.tzinfo).date().isoformat()

    body = (
        api(alice)
        .get(BIN_URL, {"entity_type": "contact", "deleted_after": today, "deleted_before": today})
        .json()
    )

    assert [row["id"] for row in body["results"]] == [contact.pk]


def test_employees_list_only_their_own_deletions(acme, alice, bob, api):
    made_and_deleted(acme, "contact", by=alice)
    bobs = made_and_deleted(acme, "contact", by=bob)
    assert [r["id"] for r in api(bob).get(BIN_URL).json()["results"]] == [bobs.pk]
    assert len(api(alice).get(BIN_URL).json()["results"]) == 2


def test_restore_answers_what_came_back(acme, alice, api, restore_call):
    company = make(acme, "company", actor=actor_for(alice), title="Rosa Srl")
    deal = make(acme, "deal", actor=actor_for(alice), title="Rosa deal", company_id=company.pk)
    deal_event = delete(acme, deal, by=alice)
    delete(acme, company, by=alice)

    response = restore_call(api(alice), [deal_event.pk], include_parents=True)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["restored"] == {"company": 1, "deal": 1}
    assert body["records"] == [
        {
            "entity_type": "company",
            "id": company.pk,
            "title": "Rosa Srl",
            "url": f"/crm/companies/{company.pk}/",
        },
        {
            "entity_type": "deal",
            "id": deal.pk,
            "title": "Rosa deal",
            "url": f"/crm/deals/{deal.pk}/",
        },
    ]
    assert body["unlinked"] == []
    assert body["relinked"] == []
    assert Deal.objects.get(pk=deal.pk).company_id == company.pk
    restores = Event.objects.filter(account=acme, action="restore")
    assert {str(e.operation) for e in restores} == {body["operation"]}
    assert {e.source for e in restores} == {"recycle_bin"}


def test_restore_without_parents_reports_the_dropped_link(acme, alice, api, restore_call):
    company = make(acme, "company", actor=actor_for(alice))
    contact = make(acme, "contact", actor=actor_for(alice), company_id=company.pk)
    contact_event = delete(acme, contact, by=alice)
    delete(acme, company, by=alice)

    body = restore_call(api(alice), [contact_event.pk]).json()

    assert body["unlinked"] == [
        {
            "entity_type": "contact",
            "id": contact.pk,
            "field": "company_id",
            "target_type": "company",
            "target_id": company.pk,
        }
    ]
    assert Contact.objects.get(pk=contact.pk).company_id is None


def test_restore_reports_the_records_linked_again(acme, alice, api, restore_call):
    company = make(acme, "company", actor=actor_for(alice))
    contact = make(acme, "contact", actor=actor_for(alice), company_id=company.pk)
    event = delete(acme, company, by=alice)

    body = restore_call(api(alice), [event.pk]).json()

    assert body["relinked"] == [
        {
            "entity_type": "contact",
            "id": contact.pk,
            "field": "company_id",
            "target_type": "company",
            "target_id": company.pk,
        }
    ]
    assert Contact.objects.get(pk=contact.pk).company_id == company.pk


def test_restore_a_whole_bulk_deletion_by_its_operation(acme, alice, api):
    ids = [make(acme, "company", actor=actor_for(alice), title=f"C{i}").pk for i in range(3)]
    result = services.records_bulk_delete(
        account=acme, entity_type="company", ids=ids, actor=actor_for(alice)
    )

    response = api(alice).post(
        f"{BIN_URL}restore/", {"operation": str(result.operation)}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["restored"] == {"company": 3}
    assert Company.objects.filter(pk__in=ids).count() == 3


def test_another_accounts_events_are_404_and_nothing_changes(
    acme, alice, globex, charlie, api, restore_call
):
    theirs = made_and_deleted(globex, "contact", by=charlie)
    mine = made_and_deleted(acme, "contact", by=alice)
    before = fingerprint()

    response = restore_call(api(alice), [mine.pk, theirs.pk])

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert fingerprint() == before


def test_an_employee_restoring_someone_elses_deletion_gets_404(acme, alice, bob, api, restore_call):
    alices = made_and_deleted(acme, "contact", by=alice)
    before = fingerprint()
    response = restore_call(api(bob), [alices.pk])
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert fingerprint() == before


def test_an_entry_already_back_is_a_409_with_the_reason(acme, alice, api, restore_call):
    event = made_and_deleted(acme, "contact", by=alice, last_name="Twice")
    client = api(alice)
    assert restore_call(client, [event.pk]).status_code == 200
    before = fingerprint()

    response = restore_call(client, [event.pk])

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "Mario Twice" in response.json()["detail"]
    assert "back already" in response.json()["detail"]
    assert fingerprint() == before


def test_an_id_conflict_is_a_409_naming_the_record(acme, alice, globex, charlie, api, restore_call):
    event = made_and_deleted(acme, "deal", by=alice, title="Taken deal")
    make(globex, "deal", actor=actor_for(charlie), id=event.entity_id, title="Theirs")
    before = fingerprint()

    response = restore_call(api(alice), [event.pk])

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert f"Deal “Taken deal” (#{event.entity_id})" in response.json()["detail"]
    assert fingerprint() == before


def test_bad_restore_input_is_a_400(acme, alice, api, restore_call):
    client = api(alice)
    for body in [
        {},
        {"events": []},
        {"events": ["x"]},
        {"events": [1], "include_parents": "maybe"},
    ]:
        response = client.post(f"{BIN_URL}restore/", body, format="json")
        assert response.status_code == 400, body
        assert response.json()["code"] == "invalid"


def test_plans_without_history_get_403_plan_upgrade_required(acme, alice, api, restore_call):
    event = made_and_deleted(acme, "contact", by=alice)
    acme.plan = Plan.FREE
    acme.save()
    client = api(alice)
    before = fingerprint()

    listed = client.get(BIN_URL)
    restored = restore_call(client, [event.pk])

    assert listed.status_code == 403
    assert listed.json()["code"] == "plan_upgrade_required"
    assert restored.status_code == 403
    assert restored.json()["code"] == "plan_upgrade_required"
    assert fingerprint() == before

    demo_start(account=acme, actor=alice)  # R3: the demo grants History, so the bin
    assert restore_call(client, [event.pk]).status_code == 200
    assert Contact.objects.filter(pk=event.entity_id).exists()


def test_basic_plan_has_history_so_the_bin(acme, alice, api, restore_call):
    event = made_and_deleted(acme, "contact", by=alice)
    acme.plan = Plan.BASIC
    acme.save()
    assert restore_call(api(alice), [event.pk]).status_code == 200
    assert Contact.objects.filter(account=acme, pk=event.entity_id).exists()


def test_anonymous_callers_get_401(api):
    assert api(None).get(BIN_URL).status_code == 401
    assert api(None).post(f"{BIN_URL}restore/", {"events": [1]}, format="json").status_code == 401


def test_helpdesk_staff_have_no_bin(helen, api):
    assert api(helen).get(BIN_URL).status_code == 403
