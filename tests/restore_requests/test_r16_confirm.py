"""R16: the administrator confirms one proposed snapshot and one option, typing
the account's name for a rollback; only then is the run queued. Nobody else can
confirm for the account: not an employee, not another account's administrator,
not the helpdesk."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from backups.restore_models import RestoreRun
from restore_requests.models import Status, Transition

from .conftest import bring_to, picture, snapshot_row


@pytest.fixture
def proposed(acme, alice, helen):
    snapshot = snapshot_row(acme)
    request = bring_to(
        Status.PROPOSED, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot
    )
    return request, snapshot


def _confirm(api, user, request, **body):
    return api(user).post(f"/api/v1/restore-requests/{request.pk}/confirm/", body)


def test_r16_a_csv_export_needs_no_name_and_queues_the_run(api, alice, proposed):
    request, snapshot = proposed
    response = _confirm(api, alice, request, snapshot=snapshot.pk, option="csv_export")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["chosen_snapshot"]["id"] == snapshot.pk
    assert body["chosen_option"] == "csv_export"
    (run,) = body["runs"]
    assert (run["purpose"], run["status"], run["option"], run["progress"]) == (
        "restore",
        "queued",
        "csv_export",
        0,
    )
    stored = RestoreRun.objects.get(pk=run["id"])
    assert (stored.snapshot_id, stored.requested_by_id) == (snapshot.pk, alice.pk)
    last = Transition.objects.filter(request=request).last()
    assert (last.to_status, last.actor_id) == (Status.CONFIRMED, alice.pk)
    # The ticket's timeline is read in the account's zone (Acme: Europe/Rome).
    taken = timezone.localtime(snapshot.taken_at, ZoneInfo("Europe/Rome"))
    assert last.note == f"CSV file to the snapshot of {taken:%Y-%m-%d %H:%M} (Europe/Rome)"


@pytest.mark.parametrize("option", ["crm_rollback", "full_rollback"])
@pytest.mark.parametrize("typed", [None, "", "acme", "Acme Srl", "Globex"])
def test_r16_a_rollback_without_the_accounts_name_typed_is_refused(
    api, alice, proposed, option, typed
):
    request, snapshot = proposed
    before = picture(request)
    body = {"snapshot": snapshot.pk, "option": option}
    if typed is not None:
        body["confirm_account_name"] = typed
    response = _confirm(api, alice, request, **body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "Acme" in response.json()["fields"]["confirm_account_name"][0]
    assert picture(request) == before


@pytest.mark.parametrize("option", ["crm_rollback", "full_rollback"])
def test_r16_a_rollback_with_the_accounts_name_typed_is_queued(api, alice, proposed, option):
    request, snapshot = proposed
    response = _confirm(
        api, alice, request, snapshot=snapshot.pk, option=option, confirm_account_name=" Acme "
    )
    assert response.status_code == 202
    assert response.json()["chosen_option"] == option
    assert RestoreRun.objects.get().option == option


def test_r16_the_snapshot_must_be_a_proposed_candidate(api, acme, alice, proposed):
    request, _ = proposed
    not_proposed = snapshot_row(acme, ago=timedelta(days=2))
    before = picture(request)
    response = _confirm(api, alice, request, snapshot=not_proposed.pk, option="csv_export")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "not one of this request's candidates" in response.json()["detail"]
    assert picture(request) == before


@pytest.mark.parametrize(
    "body",
    [
        {"option": "csv_export"},
        {"snapshot": "first", "option": "csv_export"},
        {"snapshot": 0, "option": "csv_export"},
        {"snapshot": 1},
        {"snapshot": 1, "option": "both"},
        {"snapshot": 1, "option": ["csv_export", "crm_rollback"]},
    ],
)
def test_r16_one_snapshot_and_one_option_are_required(api, alice, proposed, body):
    request, snapshot = proposed
    body = {k: (snapshot.pk if v == 1 else v) for k, v in body.items()}
    before = picture(request)
    response = _confirm(api, alice, request, **body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert picture(request) == before


def test_r16_nobody_else_can_confirm(api, alice, bob, charlie, helen, proposed):
    request, snapshot = proposed
    before = picture(request)
    body = {"snapshot": snapshot.pk, "option": "csv_export"}
    for user, status, code in (
        (bob, 403, "admin_required"),
        (charlie, 404, "not_found"),
        (helen, 403, "permission_denied"),
        (None, 401, "not_authenticated"),
    ):
        response = _confirm(api, user, request, **body)
        assert (response.status_code, response.json()["code"]) == (status, code)
    assert picture(request) == before


def test_r16_a_second_restore_while_one_is_queued_is_refused(api, acme, alice, helen, proposed):
    request, snapshot = proposed
    assert (
        _confirm(api, alice, request, snapshot=snapshot.pk, option="csv_export").status_code == 202
    )
    other = bring_to(Status.PROPOSED, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot)
    before = picture(other)
    response = _confirm(api, alice, other, snapshot=snapshot.pk, option="csv_export")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert picture(other) == before


def test_r16_a_snapshot_past_seven_days_can_no_longer_be_confirmed(api, alice, proposed):
    request, snapshot = proposed
    type(snapshot).objects.filter(pk=snapshot.pk).update(
        taken_at=snapshot.taken_at - timedelta(days=8)
    )
    before = picture(request)
    response = _confirm(api, alice, request, snapshot=snapshot.pk, option="csv_export")
    assert response.status_code == 400
    assert "no longer available" in response.json()["detail"]
    assert picture(request) == before


def test_cancelling_a_confirmed_request_cancels_its_queued_run(api, alice, proposed):
    request, snapshot = proposed
    _confirm(api, alice, request, snapshot=snapshot.pk, option="csv_export")
    response = api(alice).post(f"/api/v1/restore-requests/{request.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert RestoreRun.objects.get().status == "cancelled"


def test_a_run_that_has_started_cannot_be_cancelled(api, alice, proposed):
    request, snapshot = proposed
    _confirm(api, alice, request, snapshot=snapshot.pk, option="csv_export")
    RestoreRun.objects.update(status="running")  # a worker claimed it; its hook is on the way
    before = picture(request)
    response = api(alice).post(f"/api/v1/restore-requests/{request.pk}/cancel/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert picture(request) == before
