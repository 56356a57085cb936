"""The request's state machine, walked from its one table (restore_requests.states):
in every state, every action the table forbids is refused with 409
`invalid_transition` and changes nothing; every change leaves one Transition row
saying who and when."""

from __future__ import annotations

from datetime import timedelta

import pytest

from restore_requests.models import Status, Transition
from restore_requests.states import FINAL, TRANSITIONS, allowed

from .conftest import bring_to, picture, snapshot_row

# The action each endpoint performs, and the state it would lead to.
ACTION_TARGET = {
    "propose": Status.PROPOSED,
    "reject": Status.REJECTED,
    "cancel": Status.CANCELLED,
    "confirm": Status.CONFIRMED,
    "undo": None,  # a new run on a completed rollback, not a change of state
}


def _forbidden(state: str, option: str) -> list[str]:
    out = []
    for action, target in ACTION_TARGET.items():
        if target is None:
            if not (state == Status.COMPLETED and option != "csv_export"):
                out.append(action)
        elif not allowed(state, target):
            out.append(action)
    return out


CASES = [(state, action) for state in Status.values for action in _forbidden(state, "csv_export")]


def test_the_table_names_every_state_and_only_known_states():
    assert set(TRANSITIONS) == set(Status.values)
    for targets in TRANSITIONS.values():
        assert targets <= set(Status.values)
    assert {Status.COMPLETED, Status.CANCELLED, Status.REJECTED} == FINAL
    # An undo is a new run; a request never goes back to submitted.
    assert all(Status.SUBMITTED not in targets for targets in TRANSITIONS.values())


def _call(action, request, *, api, alice, helen, snapshot):
    if action == "propose":
        return api(helen).post(
            f"/api/v1/helpdesk/restore-requests/{request.pk}/propose/",
            {"snapshots": [snapshot.pk], "message": "Here you are"},
        )
    if action == "reject":
        return api(helen).post(
            f"/api/v1/helpdesk/restore-requests/{request.pk}/reject/", {"reason": "No"}
        )
    if action == "cancel":
        return api(alice).post(f"/api/v1/restore-requests/{request.pk}/cancel/")
    if action == "confirm":
        return api(alice).post(
            f"/api/v1/restore-requests/{request.pk}/confirm/",
            {"snapshot": snapshot.pk, "option": "csv_export", "confirm_account_name": ""},
        )
    if action == "undo":
        return api(alice).post(f"/api/v1/restore-requests/{request.pk}/undo/")
    raise AssertionError(action)


@pytest.mark.parametrize(("state", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_every_transition_the_table_forbids_is_refused_409_and_changes_nothing(
    state, action, api, acme, alice, helen
):
    snapshot = snapshot_row(acme)
    request = bring_to(state, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot)
    assert request.status == state
    before = picture(request)

    response = _call(action, request, api=api, alice=alice, helen=helen, snapshot=snapshot)

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "invalid_transition"
    assert picture(request) == before


@pytest.mark.parametrize("option", ["crm_rollback", "full_rollback"])
@pytest.mark.parametrize(
    "state", [Status.PROPOSED, Status.CONFIRMED, Status.RUNNING, Status.FAILED]
)
def test_undo_is_refused_while_the_rollback_is_not_completed(
    state, option, api, acme, alice, helen
):
    snapshot = snapshot_row(acme)
    request = bring_to(
        state, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot, option=option
    )
    before = picture(request)
    response = api(alice).post(f"/api/v1/restore-requests/{request.pk}/undo/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert picture(request) == before


def test_the_audit_trail_has_one_row_per_change_with_who_and_when(acme, alice, helen):
    snapshot = snapshot_row(acme)
    request = bring_to(
        Status.COMPLETED, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot
    )

    rows = list(Transition.objects.filter(request=request).order_by("at", "id"))
    assert [(t.from_status, t.to_status, t.actor_name) for t in rows] == [
        ("", Status.SUBMITTED, "alice"),
        (Status.SUBMITTED, Status.PROPOSED, "helen"),
        (Status.PROPOSED, Status.CONFIRMED, "alice"),
        (Status.CONFIRMED, Status.RUNNING, "system"),
        (Status.RUNNING, Status.COMPLETED, "system"),
    ]
    assert [t.actor_id for t in rows] == [alice.pk, helen.pk, alice.pk, None, None]
    assert all(t.at is not None for t in rows)
    assert [t.at for t in rows] == sorted(t.at for t in rows)
    assert rows[-1].at - rows[0].at < timedelta(minutes=1)
    assert rows[1].note == "Try this one"


def test_the_api_shows_the_trail(api, acme, alice, helen):
    snapshot = snapshot_row(acme)
    request = bring_to(
        Status.REJECTED, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot
    )
    body = api(alice).get(f"/api/v1/restore-requests/{request.pk}/").json()
    assert body["status"] == "rejected"
    assert body["reject_reason"] == "Not enough data"
    assert [(t["from_status"], t["to_status"], t["actor"]) for t in body["transitions"]] == [
        ("", "submitted", "alice"),
        ("submitted", "rejected", "helen"),
    ]
    assert all(t["at"].endswith("Z") for t in body["transitions"])


def test_a_failed_request_can_be_proposed_again_and_confirmed(api, acme, alice, helen):
    snapshot = snapshot_row(acme)
    request = bring_to(Status.FAILED, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot)
    other = snapshot_row(acme, ago=timedelta(days=1, hours=2))

    proposed = api(helen).post(
        f"/api/v1/helpdesk/restore-requests/{request.pk}/propose/",
        {"snapshots": [other.pk], "message": "The day before, then"},
    )
    assert proposed.status_code == 200, proposed.content
    assert proposed.json()["status"] == "proposed"
    confirmed = api(alice).post(
        f"/api/v1/restore-requests/{request.pk}/confirm/",
        {"snapshot": other.pk, "option": "csv_export"},
    )
    assert confirmed.status_code == 202, confirmed.content
    body = confirmed.json()
    assert body["status"] == "confirmed"
    assert [r["status"] for r in body["runs"]] == ["failed", "queued"]
    assert body["chosen_snapshot"]["id"] == other.pk
