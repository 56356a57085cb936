"""R11: an administrator reports a deletion by an unregistered person to the
helpdesk, on every plan (our decision); no restore is implied. The helpdesk sees
the reports in its console and closes each with a note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Plan
from restore_requests.models import DeletionReport, RestoreRequest
from tests.factories import AccountFactory, member

URL = "/api/v1/deletion-reports/"


def _body(**extra):
    return {
        "deleted_at": (timezone.now() - timedelta(days=12)).isoformat(),
        "person": "A visitor on the shared PC",
        "description": "All the leads from the fair",
        **extra,
    }


@pytest.mark.parametrize("plan", Plan.values)
def test_r11_a_report_can_be_filed_on_every_plan(
    db, api, helen, plan, django_capture_on_commit_callbacks
):
    account = AccountFactory(name=f"On {plan}", plan=plan)
    admin = member(account, "admin", username=f"admin-{plan}")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(admin).post(URL, _body())
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["person"], body["account"]) == (
        "open",
        "A visitor on the shared PC",
        f"On {plan}",
    )
    report = DeletionReport.objects.get()
    assert report.reported_by == admin
    assert not RestoreRequest.objects.exists()  # no restore implied
    # The helpdesk gets an e-mail for each report.
    (message,) = mail.outbox
    assert message.to == ["helen@vendor.example"]
    assert f"Deletion report #{report.pk}" in message.subject
    assert "A visitor on the shared PC" in message.body
    assert "/helpdesk/reports/" in message.body


def test_r11_a_report_keeps_no_seven_day_limit_but_refuses_the_future(api, acme, alice):
    assert api(alice).post(URL, _body()).status_code == 201  # 12 days ago is fine
    response = api(alice).post(
        URL, _body(deleted_at=(timezone.now() + timedelta(hours=1)).isoformat())
    )
    assert response.status_code == 400
    assert response.json()["fields"]["deleted_at"] == ["The deletion time is in the future."]


@pytest.mark.parametrize("missing", ["person", "description", "deleted_at"])
def test_r11_each_fact_is_required(api, acme, alice, missing):
    body = _body()
    body.pop(missing)
    response = api(alice).post(URL, body)
    assert response.status_code == 400
    assert missing in response.json()["fields"]
    assert not DeletionReport.objects.exists()


def test_r11_an_employee_cannot_report(api, acme, bob):
    response = api(bob).post(URL, _body())
    assert (response.status_code, response.json()["code"]) == (403, "admin_required")


def test_r11_the_helpdesk_lists_and_closes_a_report_with_a_note(
    api, acme, alice, helen, django_capture_on_commit_callbacks
):
    report_id = api(alice).post(URL, _body()).json()["id"]
    listed = api(helen).get("/api/v1/helpdesk/deletion-reports/?state=open").json()["results"]
    assert [r["id"] for r in listed] == [report_id]

    with django_capture_on_commit_callbacks(execute=True):
        response = api(helen).post(
            f"/api/v1/helpdesk/deletion-reports/{report_id}/close/",
            {"note": "Account owner told; password changed"},
        )
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["closed_by"], body["close_note"]) == (
        "closed",
        "helen",
        "Account owner told; password changed",
    )
    assert body["closed_at"].endswith("Z")
    assert api(helen).get("/api/v1/helpdesk/deletion-reports/?state=open").json()["results"] == []
    # The administrator is told, and sees it in the account's reports.
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    mine = api(alice).get(URL).json()["results"]
    assert [(r["state"], r["close_note"]) for r in mine] == [
        ("closed", "Account owner told; password changed")
    ]


def test_r11_closing_needs_a_note_and_happens_once(api, acme, alice, helen):
    report_id = api(alice).post(URL, _body()).json()["id"]
    close = f"/api/v1/helpdesk/deletion-reports/{report_id}/close/"
    empty = api(helen).post(close, {"note": "  "})
    assert (empty.status_code, empty.json()["code"]) == (400, "invalid")
    assert "note" in empty.json()["fields"]
    assert api(helen).post(close, {"note": "Done"}).status_code == 200
    again = api(helen).post(close, {"note": "Done twice"})
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    assert DeletionReport.objects.get().close_note == "Done"


def test_r11_an_unknown_report_state_filter_is_400(api, helen):
    response = api(helen).get("/api/v1/helpdesk/deletion-reports/?state=maybe")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_r11_the_report_page_keeps_input_and_shows_errors_beside_fields(page, acme, alice):
    response = page(alice).post(
        "/restore/report/",
        {"deleted_at": "2026-03-29T02:30", "person": "", "description": "Leads"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_deleted_at_error"' in html
    assert 'id="id_person_error"' in html
    assert "Leads</textarea>" in html
    assert not DeletionReport.objects.exists()


def test_r11_the_report_page_files_a_report(page, acme, alice):
    browser = page(alice)
    local = (timezone.now() - timedelta(days=2)).astimezone(acme.tzinfo)
    response = browser.post(
        "/restore/report/",
        {
            "deleted_at": local.strftime("%Y-%m-%dT%H:%M"),
            "person": "The old intern",
            "description": "Our deals",
        },
    )
    assert response.status_code == 302
    report = DeletionReport.objects.get()
    assert report.deleted_at == local.replace(second=0, microsecond=0)
    listing = browser.get(response["Location"]).content.decode()
    assert f"Your report #{report.pk} was sent to the helpdesk." in listing
    assert "The old intern" in listing


def test_r11_the_report_page_takes_facts_from_the_link(page, acme, alice):
    html = (
        page(alice)
        .get(
            "/restore/report/",
            {"deleted_at": "2026-11-20T09:30", "person": "Unknown", "description": "150 contacts"},
        )
        .content.decode()
    )
    assert 'value="2026-11-20T09:30"' in html
    assert 'value="Unknown"' in html
    assert "150 contacts</textarea>" in html


def test_r11_the_helpdesk_reports_page_closes_with_a_note(page, acme, alice, helen):
    page(alice).post(
        "/restore/report/",
        {"deleted_at": "2026-11-20T09:30", "person": "Unknown", "description": "150 contacts"},
    )
    report = DeletionReport.objects.get()
    console = page(helen)
    html = console.get("/helpdesk/reports/").content.decode()
    assert "<h1>Deletion reports</h1>" in html
    assert "Unknown" in html and "150 contacts" in html
    assert f'<label for="close-{report.pk}">Closing note</label>' in html

    refused = console.post(f"/helpdesk/reports/{report.pk}/close/", {"note": " "})
    assert refused.status_code == 400
    assert f'id="close-{report.pk}-error"' in refused.content.decode()
    assert "Write a closing note" in refused.content.decode()
    done = console.post(
        f"/helpdesk/reports/{report.pk}/close/", {"note": "Owner told"}, follow=True
    )
    assert f"Report #{report.pk} was closed." in done.content.decode()
    report.refresh_from_db()
    assert (report.state, report.close_note, report.closed_by) == ("closed", "Owner told", helen)
    closed = console.get("/helpdesk/reports/?state=closed").content.decode()
    assert "Owner told" in closed
    assert "No open reports." in console.get("/helpdesk/reports/").content.decode()
