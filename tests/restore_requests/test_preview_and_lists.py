"""The impact preview on the request page and on the API (R16: what each
candidate would bring back, lose and revert, changing nothing), and the
requests' cursor lists."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from accounts.actors import Actor, Source
from backups.snapshots import take_snapshot
from crm import services as crm_services
from crm.models import Contact
from restore_requests import services
from tests.factories import make

from .conftest import file_request


@pytest.fixture
def proposed(transactional_db, acme, alice, helen):
    contacts = [make(acme, "contact", name=f"Person {i}", last_name="Rossi") for i in range(6)]
    snapshot = take_snapshot(acme)
    crm_services.records_bulk_delete(
        account=acme,
        entity_type="contact",
        ids=[c.pk for c in contacts[:4]],
        actor=Actor.for_user(alice, Source.PAGE),
    )
    make(acme, "contact", name="Newcomer", last_name="Bianchi")
    request = file_request(acme, alice, ago=timedelta(0))
    services.request_propose(
        request=request, snapshot_ids=[snapshot.pk], message="Here", actor=helen
    )
    return request, snapshot


def test_r16_the_request_page_shows_the_impact_of_a_candidate(page, alice, proposed):
    request, snapshot = proposed
    before = Contact.objects.count()
    response = page(alice).get(
        f"/restore/{request.pk}/", {"preview": snapshot.pk, "option": "crm_rollback"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Impact of CRM module rollback to the backup of" in html
    assert (
        'Contacts</th>\n      <td class="num">4</td><td class="num">1</td>'
        '<td class="num">0</td><td class="num">2</td>'
    ) in html
    assert "Back: Person 0 Rossi" in html
    assert "Lost: Newcomer Bianchi" in html
    assert "not changed by this option" in html  # products, custom fields: R13
    # The confirmation form follows the choice.
    assert f'value="{snapshot.pk}" id="id_snapshot_0" required checked' in html
    assert 'value="crm_rollback" checked' in html
    assert Contact.objects.count() == before


def test_r12_the_csv_preview_says_nothing_changes(page, alice, proposed):
    request, snapshot = proposed
    html = (
        page(alice)
        .get(f"/restore/{request.pk}/", {"preview": snapshot.pk, "option": "csv_export"})
        .content.decode()
    )
    assert "Nothing in the account changes: the file holds the records as they were." in html


def test_r16_the_api_preview_gives_the_same_counts(api, alice, proposed):
    request, snapshot = proposed
    response = api(alice).get(
        f"/api/v1/restore-requests/{request.pk}/preview/",
        {"snapshot": snapshot.pk, "option": "full_rollback"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["snapshot"], body["option"], body["changes_nothing"]) == (
        snapshot.pk,
        "full_rollback",
        False,
    )
    contact = next(e for e in body["entities"] if e["entity_type"] == "contact")
    assert (contact["back"], contact["lost"], contact["reverted"], contact["unchanged"]) == (
        4,
        1,
        0,
        2,
    )
    assert all(e["affected"] for e in body["entities"])  # a full rollback covers every module


@pytest.mark.parametrize(
    "query", ["", "snapshot=abc", "snapshot=-1", "snapshot=99999999999999999999", "option=all"]
)
def test_the_api_preview_refuses_bad_input_with_400(api, alice, proposed, query):
    request, snapshot = proposed
    if query.startswith("option"):
        query = f"snapshot={snapshot.pk}&{query}"
    response = api(alice).get(f"/api/v1/restore-requests/{request.pk}/preview/?{query}")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_the_request_lists_are_cursor_pages(api, acme, alice, helen):
    ids = [file_request(acme, alice, ago=timedelta(hours=h)).pk for h in (1, 2, 3)]
    first = api(alice).get("/api/v1/restore-requests/?page_size=2").json()
    assert [r["id"] for r in first["results"]] == [ids[2], ids[1]]  # newest filed first
    assert first["previous"] is None
    second = api(alice).get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [ids[0]]
    assert second["next"] is None

    queue = api(helen).get("/api/v1/helpdesk/restore-requests/?page_size=2").json()
    assert [r["id"] for r in queue["results"]] == [ids[0], ids[1]]  # oldest first
    rest = api(helen).get(queue["next"]).json()
    assert [r["id"] for r in rest["results"]] == [ids[2]]

    tampered = first["next"].replace("cursor=", "cursor=x")
    response = api(alice).get(tampered)
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    too_big = api(alice).get("/api/v1/restore-requests/?page_size=500")
    assert too_big.status_code == 400


def test_the_list_answers_times_in_utc(api, acme, alice):
    request = file_request(acme, alice)
    (row,) = api(alice).get("/api/v1/restore-requests/").json()["results"]
    assert row["deleted_at"] == request.deleted_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert (row["account"], row["filed_by"], row["status"]) == ("Acme", "alice", "submitted")
