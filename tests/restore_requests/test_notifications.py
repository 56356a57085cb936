"""E-mails (sent after commit, one per recipient): the helpdesk hears of each new
request and report; the account's administrators hear when the helpdesk
proposes or rejects, when the run starts and when it ends. Employees get none;
a refused action sends nothing. (E-mails the real worker sends are checked in
the journeys.)"""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from accounts.services import helpdesk_user_create
from backups.restore_models import RestoreRun
from restore_requests.models import Status
from tests.factories import PASSWORD, member

from .conftest import bring_to, engine_event, snapshot_row


@pytest.fixture
def second_admin(acme):
    return member(acme, "admin", username="anna")


def _to(messages):
    return sorted(address for m in messages for address in m.to)


def test_the_helpdesk_gets_one_email_per_new_request(
    api, acme, alice, bob, helen, django_capture_on_commit_callbacks
):
    helpdesk_user_create(username="harry", password=PASSWORD, email="harry@vendor.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).post(
            "/api/v1/restore-requests/",
            {"deleted_at": timezone.now().isoformat(), "option": "csv_export", "note": "Leads"},
        )
    request_id = response.json()["id"]
    assert _to(mail.outbox) == ["harry@vendor.example", "helen@vendor.example"]
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees the others' addresses
    message = mail.outbox[0]
    assert message.subject == f"New restore request #{request_id} from Acme"
    assert "alice of Acme (Professional)" in message.body
    assert "CSV file" in message.body
    assert f"/helpdesk/requests/{request_id}/" in message.body


def test_the_administrators_get_an_email_when_the_helpdesk_proposes(
    api, acme, alice, bob, second_admin, helen, django_capture_on_commit_callbacks
):
    snapshot = snapshot_row(acme)
    request = bring_to(
        Status.SUBMITTED, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot
    )
    with django_capture_on_commit_callbacks(execute=True):
        api(helen).post(
            f"/api/v1/helpdesk/restore-requests/{request.pk}/propose/",
            {"snapshots": [snapshot.pk], "message": "Yesterday's is complete"},
        )
    assert _to(mail.outbox) == ["alice@example.com", "anna@example.com"]  # not bob
    assert mail.outbox[0].subject == f"Backups proposed for your restore request #{request.pk}"
    assert f"/restore/{request.pk}/" in mail.outbox[0].body


def test_the_administrators_get_an_email_when_the_helpdesk_rejects(
    api, acme, alice, helen, django_capture_on_commit_callbacks
):
    snapshot = snapshot_row(acme)
    request = bring_to(
        Status.SUBMITTED, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot
    )
    with django_capture_on_commit_callbacks(execute=True):
        api(helen).post(
            f"/api/v1/helpdesk/restore-requests/{request.pk}/reject/",
            {"reason": "Only two records: use the Recycle Bin"},
        )
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "Only two records: use the Recycle Bin" in message.body


def test_the_administrators_get_an_email_when_the_run_starts_and_when_it_ends(
    acme, alice, bob, helen, django_capture_on_commit_callbacks
):
    snapshot = snapshot_row(acme)
    request = bring_to(
        Status.CONFIRMED, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot
    )
    with django_capture_on_commit_callbacks(execute=True):
        engine_event(request, RestoreRun.Status.RUNNING, "started")
    (started,) = mail.outbox
    assert started.to == ["alice@example.com"]
    assert started.subject == f"Your restore #{request.pk} has started"
    assert "Changes to the account are paused" in started.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        engine_event(request, RestoreRun.Status.COMPLETED, "completed")
    (finished,) = mail.outbox
    assert finished.to == ["alice@example.com"]
    assert finished.subject == f"Your restore #{request.pk} has finished"


def test_a_failed_run_is_told_too(acme, alice, helen, django_capture_on_commit_callbacks):
    snapshot = snapshot_row(acme)
    request = bring_to(Status.RUNNING, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot)
    with django_capture_on_commit_callbacks(execute=True):
        engine_event(request, RestoreRun.Status.FAILED, "failed", error="Disk full")
    (failed,) = mail.outbox
    assert failed.subject == f"Your restore #{request.pk} has failed; nothing was changed"
    assert request.transitions.last().note == "Disk full"


def test_messages_reach_the_other_side(api, acme, alice, helen, django_capture_on_commit_callbacks):
    snapshot = snapshot_row(acme)
    request = bring_to(
        Status.SUBMITTED, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = api(alice).post(
            f"/api/v1/restore-requests/{request.pk}/messages/", {"body": "It was around 10"}
        )
    assert sent.status_code == 201
    assert (sent.json()["author"], sent.json()["from_helpdesk"]) == ("alice", False)
    assert [m.to for m in mail.outbox] == [["helen@vendor.example"]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        api(helen).post(
            f"/api/v1/helpdesk/restore-requests/{request.pk}/messages/", {"body": "Thanks"}
        )
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    thread = api(alice).get(f"/api/v1/restore-requests/{request.pk}/").json()["messages"]
    assert [(m["author"], m["body"]) for m in thread] == [
        ("alice", "It was around 10"),
        ("helen", "Thanks"),
    ]


def test_a_refused_action_sends_nothing(
    api, acme, alice, helen, globex, django_capture_on_commit_callbacks
):
    snapshot = snapshot_row(acme)
    request = bring_to(
        Status.SUBMITTED, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot
    )
    theirs = snapshot_row(globex)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(helen).post(
            f"/api/v1/helpdesk/restore-requests/{request.pk}/propose/",
            {"snapshots": [theirs.pk], "message": "Oops"},
        )
    assert response.status_code == 404
    assert mail.outbox == []
