"""R15: for a request, the helpdesk sees the account's available snapshots nearest
to the deletion time, the latest one taken before it marked as recommended, and
for each how many of the records deleted around then (from the History) it holds.
Real snapshots, taken by the backups app, are used here."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.actors import Actor, Source
from backups.models import Snapshot
from backups.snapshots import take_snapshot
from crm import services as crm_services
from crm_history.models import Event
from restore_requests.models import Candidate, RestoreRequest
from restore_requests.nearest import nearest_snapshots
from tests.factories import make

from .conftest import file_request, snapshot_row


@pytest.fixture
def history(transactional_db, acme, globex, alice):
    """Ten contacts, a snapshot two days ago; fifteen more, a snapshot yesterday;
    twenty of them deleted now (five old, fifteen new); a snapshot after that."""
    today = timezone.now().date()
    old = [make(acme, "contact", name=f"Old {i}").pk for i in range(10)]
    s0 = take_snapshot(acme, taken_for=today - timedelta(days=2))
    new = [make(acme, "contact", name=f"New {i}").pk for i in range(15)]
    s1 = take_snapshot(acme, taken_for=today - timedelta(days=1))
    crm_services.records_bulk_delete(
        account=acme,
        entity_type="contact",
        ids=old[:5] + new,
        actor=Actor.for_user(alice, Source.API),
    )
    deleted_at = Event.objects.filter(account=acme, action="delete").latest("id").occurred_at
    s2 = take_snapshot(acme)
    theirs = take_snapshot(globex)
    request = RestoreRequest.objects.get(pk=file_request(acme, alice, ago=timedelta(0)).pk)
    RestoreRequest.objects.filter(pk=request.pk).update(deleted_at=deleted_at)
    request.refresh_from_db()
    return {"request": request, "s0": s0, "s1": s1, "s2": s2, "theirs": theirs}


def test_r15_the_nearest_snapshots_with_the_recommended_one_and_what_each_holds(
    api, helen, history
):
    request = history["request"]
    body = api(helen).get(f"/api/v1/helpdesk/restore-requests/{request.pk}/").json()
    nearest = body["nearest_snapshots"]
    assert [n["id"] for n in nearest] == [history[k].pk for k in ("s0", "s1", "s2")]
    assert [n["recommended"] for n in nearest] == [False, True, False]
    assert [n["contains_deleted"] for n in nearest] == [5, 20, 0]
    assert {n["deleted_around"] for n in nearest} == {20}
    assert [n["row_counts"]["contact"] for n in nearest] == [10, 25, 5]
    assert all(n["taken_at"].endswith("Z") for n in nearest)
    assert history["theirs"].pk not in [n["id"] for n in nearest]
    assert body["plan"] == "professional"


def test_r15_unavailable_snapshots_are_not_offered(api, helen, history):
    """R7: a snapshot older than seven days, or one that failed, is never offered."""
    Snapshot.objects.filter(pk=history["s0"].pk).update(
        taken_at=timezone.now() - timedelta(days=7, minutes=1)
    )
    Snapshot.objects.filter(pk=history["s2"].pk).update(status=Snapshot.Status.FAILED)
    request = history["request"]
    nearest = (
        api(helen)
        .get(f"/api/v1/helpdesk/restore-requests/{request.pk}/")
        .json()["nearest_snapshots"]
    )
    assert [n["id"] for n in nearest] == [history["s1"].pk]
    response = api(helen).post(
        f"/api/v1/helpdesk/restore-requests/{request.pk}/propose/",
        {"snapshots": [history["s0"].pk], "message": "Too old"},
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_r15_proposing_marks_the_recommended_candidate(api, alice, helen, history):
    request = history["request"]
    response = api(helen).post(
        f"/api/v1/helpdesk/restore-requests/{request.pk}/propose/",
        {"snapshots": [history["s2"].pk, history["s1"].pk], "message": "Yesterday's holds all"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "proposed"
    seen = api(alice).get(f"/api/v1/restore-requests/{request.pk}/").json()
    assert [(c["snapshot"]["id"], c["recommended"]) for c in seen["candidates"]] == [
        (history["s2"].pk, False),
        (history["s1"].pk, True),
    ]
    assert Candidate.objects.get(recommended=True).proposed_by == helen
    assert [m["body"] for m in seen["messages"]] == ["Yesterday's holds all"]


def test_r15_the_helpdesk_pages_show_the_nearest_backups_and_counts(page, helen, history):
    request = history["request"]
    console = page(helen)
    html = console.get(f"/helpdesk/requests/{request.pk}/").content.decode()
    assert '<h2 id="near-h">Backups nearest to the deletion</h2>' in html
    assert html.count('<span class="badge">recommended</span>') == 1
    assert "20 of 20" in html and "5 of 20" in html and "0 of 20" in html
    assert "20 records deleted" in html
    # The recommended one is ticked for the proposal.
    assert f'value="{history["s1"].pk}" id="snap-{history["s1"].pk}" checked' in html

    queue = console.get("/helpdesk/").content.decode()
    assert f'href="/helpdesk/requests/{request.pk}/"' in queue
    assert "20 of 20" in queue


def test_r15_when_more_snapshots_exist_the_recommended_one_is_always_listed(acme, alice):
    """Five nearest by distance; the latest before the deletion replaces the
    farthest if it is not among them."""
    request = file_request(acme, alice, ago=timedelta(days=6))
    before = snapshot_row(acme, ago=timedelta(days=6, hours=20), kind="safety")
    after = [snapshot_row(acme, ago=timedelta(days=6) - timedelta(hours=h), kind="safety")
             for h in range(1, 8)]  # fmt: skip
    nearest = nearest_snapshots(request)
    assert len(nearest) == 5
    assert [n.id for n in nearest if n.recommended] == [before.pk]
    assert [n.id for n in nearest][1:] == [s.pk for s in after[:4]]


def test_r15_no_snapshot_before_the_deletion_means_no_recommendation(api, page, acme, alice, helen):
    request = file_request(acme, alice, ago=timedelta(days=2))
    later = snapshot_row(acme, ago=timedelta(days=1))
    nearest = (
        api(helen)
        .get(f"/api/v1/helpdesk/restore-requests/{request.pk}/")
        .json()["nearest_snapshots"]
    )
    assert [(n["id"], n["recommended"]) for n in nearest] == [(later.pk, False)]
    html = page(helen).get("/helpdesk/").content.decode()
    assert "none left" in html


def test_r15_an_account_without_backups_is_said_so(page, acme, alice, helen):
    request = file_request(acme, alice)
    html = page(helen).get(f"/helpdesk/requests/{request.pk}/").content.decode()
    assert "This account has no backup left from the last seven days." in html
