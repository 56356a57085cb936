"""The pages as a person uses them: the administrator's list and request page
(candidates, confirmation, progress bar, result, undo, timeline, messages), the
helpdesk's queue (filters, age, nearest backup), request page (propose and
reject forms), accounts pages. Forms keep their input and show errors beside the
fields; every page has a title and one h1; tables scroll inside a wrapper on a
narrow screen; times are in the account's time zone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import formats, timezone

from accounts.models import Plan
from backups.restore_models import RestoreRun
from restore_requests.models import RestoreRequest, Status
from tests.factories import AccountFactory, member

from .conftest import bring_to, file_request, picture, snapshot_row


def _checks(html: str) -> None:
    """What every page of the app must have."""
    assert html.count("<h1") == 1
    assert re.search(r"<title>[^<]+ · Recovery Portal</title>", html)
    assert html.count("<table") == html.count('class="table-wrap"')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    # Every visible input, select and textarea has a label naming it.
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if re.search(r'type="(hidden|submit)"', tag):
            continue
        found = re.search(r'\bid="([^"]+)"', tag)
        assert found, tag
        assert f'for="{found.group(1)}"' in html, tag


def _local(account, value) -> str:
    return formats.date_format(timezone.localtime(value, account.tzinfo), "DATETIME_FORMAT")


@pytest.fixture
def snapshot(acme):
    return snapshot_row(acme)


def _state(state, acme, alice, helen, snapshot, option="csv_export"):
    return bring_to(
        state, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot, option=option
    )


# --- The administrator's pages ---------------------------------------------------


def test_the_list_says_what_would_be_here_when_empty(page, acme, alice):
    html = page(alice).get("/restore/").content.decode()
    _checks(html)
    assert "No restore requests yet." in html
    assert 'href="/restore/new/"' in html
    assert 'href="/restore/report/"' in html
    assert "A restore always applies to the whole account" in html


def test_the_list_shows_the_accounts_requests_in_its_time_zone(page, acme, alice, helen, snapshot):
    request = _state(Status.PROPOSED, acme, alice, helen, snapshot)
    html = page(alice).get("/restore/").content.decode()
    _checks(html)
    assert f'href="/restore/{request.pk}/"' in html
    assert "Backups proposed" in html
    assert _local(acme, request.deleted_at) in html


def test_a_submitted_request_says_the_helpdesk_has_it_and_can_be_cancelled(
    page, acme, alice, helen, snapshot
):
    request = _state(Status.SUBMITTED, acme, alice, helen, snapshot)
    browser = page(alice)
    html = browser.get(f"/restore/{request.pk}/").content.decode()
    _checks(html)
    assert f"Restore request #{request.pk}" in html
    assert "The helpdesk has your request." in html
    assert _local(acme, request.deleted_at) in html
    assert "Cancel the request" in html
    assert '<h2 id="log-h">Timeline</h2>' in html
    assert "No messages yet." in html

    done = browser.post(f"/restore/{request.pk}/cancel/", follow=True).content.decode()
    assert "The request was cancelled." in done
    assert "Cancel the request" not in done
    assert RestoreRequest.objects.get().status == Status.CANCELLED


def test_the_message_form_sends_and_says_so(page, acme, alice, helen, snapshot):
    request = _state(Status.SUBMITTED, acme, alice, helen, snapshot)
    browser = page(alice)
    empty = browser.post(f"/restore/{request.pk}/message/", {"body": "  "})
    assert empty.status_code == 400
    assert 'id="id_body_error"' in empty.content.decode()
    assert browser.get(f"/restore/{request.pk}/message/").status_code == 405
    sent = browser.post(
        f"/restore/{request.pk}/message/", {"body": "It was at 10"}, follow=True
    ).content.decode()
    assert "Your message was sent to the helpdesk." in sent
    assert "It was at 10" in sent


def test_a_proposed_request_shows_the_candidates_and_the_confirmation_form(
    page, acme, alice, helen, snapshot
):
    request = _state(Status.PROPOSED, acme, alice, helen, snapshot)
    html = page(alice).get(f"/restore/{request.pk}/").content.decode()
    _checks(html)
    assert "Backups proposed by the helpdesk" in html
    assert _local(acme, snapshot.taken_at) in html
    assert "recommended: the latest before the deletion" in html
    for option in ("crm_rollback", "csv_export", "full_rollback"):
        assert f"?preview={snapshot.pk}&amp;option={option}#impact" in html
    assert 'name="confirm_account_name"' in html
    assert "type <strong>Acme</strong>" in html
    assert "A rollback applies to the whole account" in html  # R10
    assert "Try this one" in html  # the helpdesk's message


def test_the_confirmation_keeps_input_and_shows_the_error_beside_the_name(
    page, acme, alice, helen, snapshot
):
    request = _state(Status.PROPOSED, acme, alice, helen, snapshot)
    before = picture(request)
    response = page(alice).post(
        f"/restore/{request.pk}/confirm/",
        {"snapshot": snapshot.pk, "option": "full_rollback", "confirm_account_name": "acme"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_confirm_account_name_error"' in html
    assert "Type the account&#x27;s name, Acme, to confirm a rollback" in html
    assert 'value="full_rollback" checked' in html
    assert 'value="acme"' in html
    assert picture(request) == before


def test_the_confirmation_needs_a_backup_and_an_option(page, acme, alice, helen, snapshot):
    request = _state(Status.PROPOSED, acme, alice, helen, snapshot)
    response = page(alice).post(f"/restore/{request.pk}/confirm/", {"snapshot": "latest"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice." in html
    assert "This field is required." in html
    assert RestoreRequest.objects.get().status == Status.PROPOSED


def test_confirming_queues_the_run_and_shows_a_progress_bar(page, acme, alice, helen, snapshot):
    request = _state(Status.PROPOSED, acme, alice, helen, snapshot)
    browser = page(alice)
    response = browser.post(
        f"/restore/{request.pk}/confirm/",
        {"snapshot": snapshot.pk, "option": "crm_rollback", "confirm_account_name": "Acme"},
        follow=True,
    )
    html = response.content.decode()
    _checks(html)
    assert "Confirmed: the restore is queued." in html
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="0"' in html
    assert "Waiting for a worker" in html
    assert f'data-url="/restore/{request.pk}/progress/"' in html
    assert "js/progress.js" in html
    assert '<meta http-equiv="refresh" content="5">' in html  # without JavaScript
    assert "Backups proposed by the helpdesk" not in html  # nothing left to confirm

    progress = browser.get(f"/restore/{request.pk}/progress/").json()
    run = RestoreRun.objects.get()
    assert progress == {
        "status": "confirmed",
        "run": {
            "id": run.pk,
            "purpose": "restore",
            "status": "queued",
            "status_label": "Queued",
            "phase": "queued",
            "phase_label": "Waiting for a worker",
            "progress": 0,
            "rows_done": 0,
            "rows_total": run.rows_total,
        },
    }


def test_the_progress_endpoint_follows_the_run(page, acme, alice, helen, snapshot):
    request = _state(Status.RUNNING, acme, alice, helen, snapshot)
    run = RestoreRun.objects.get()
    RestoreRun.objects.filter(pk=run.pk).update(rows_total=200, rows_done=50, phase="exporting")
    body = page(alice).get(f"/restore/{request.pk}/progress/").json()
    assert body["status"] == "running"
    assert (body["run"]["progress"], body["run"]["phase_label"]) == (25, "Writing the CSV file")
    html = page(alice).get(f"/restore/{request.pk}/").content.decode()
    assert 'aria-valuenow="25"' in html and "50 of 200" in html
    assert "Cancel the request" not in html


def test_a_request_without_a_run_has_no_progress(page, acme, alice, helen, snapshot):
    request = _state(Status.SUBMITTED, acme, alice, helen, snapshot)
    assert page(alice).get(f"/restore/{request.pk}/progress/").json() == {
        "status": "submitted",
        "run": None,
    }


def test_a_completed_rollback_shows_the_result_and_the_undo_button(
    page, acme, alice, helen, snapshot
):
    request = _state(Status.COMPLETED, acme, alice, helen, snapshot, option="crm_rollback")
    RestoreRun.objects.update(
        result={"counts": {"contact": {"total": 4, "back": 3, "lost": 1, "reverted": 0}}}
    )
    html = page(alice).get(f"/restore/{request.pk}/").content.decode()
    _checks(html)
    assert 'aria-valuenow="100"' in html
    assert "<caption>Result</caption>" in html
    assert '<th scope="row">Contacts</th><td class="num">3</td><td class="num">1</td>' in html
    assert "Undo the rollback" in html
    assert "Download the CSV file" not in html
    assert "js/progress.js" not in html


def test_an_undo_that_cannot_start_says_why(page, acme, alice, helen, snapshot):
    request = _state(Status.COMPLETED, acme, alice, helen, snapshot, option="crm_rollback")
    response = page(alice).post(f"/restore/{request.pk}/undo/", follow=True)
    assert "no longer kept" in response.content.decode()  # this run kept no safety snapshot
    assert request.runs.count() == 1


def test_a_completed_csv_export_has_no_undo(page, acme, alice, helen, snapshot):
    request = _state(Status.COMPLETED, acme, alice, helen, snapshot)
    html = page(alice).get(f"/restore/{request.pk}/").content.decode()
    assert "Undo the rollback" not in html


def test_a_failed_run_says_nothing_changed(page, acme, alice, helen, snapshot):
    request = _state(Status.FAILED, acme, alice, helen, snapshot)
    html = page(alice).get(f"/restore/{request.pk}/").content.decode()
    assert "The run failed and changed nothing: Disk full" in html


def test_a_confirmation_of_a_request_in_another_state_says_why(page, acme, alice, helen, snapshot):
    request = _state(Status.CANCELLED, acme, alice, helen, snapshot)
    response = page(alice).post(
        f"/restore/{request.pk}/confirm/",
        {"snapshot": snapshot.pk, "option": "csv_export"},
        follow=True,
    )
    assert "This request is cancelled: there is nothing to confirm." in response.content.decode()
    assert RestoreRequest.objects.get().status == Status.CANCELLED


def test_the_rejected_request_shows_the_reason(page, acme, alice, helen, snapshot):
    request = _state(Status.REJECTED, acme, alice, helen, snapshot)
    html = page(alice).get(f"/restore/{request.pk}/").content.decode()
    assert "Rejected because" in html and "Not enough data" in html
    assert "Cancel the request" not in html


# --- The helpdesk's pages --------------------------------------------------------


def test_the_queue_lists_open_requests_oldest_first_with_age_plan_and_nearest(
    page, acme, alice, helen, snapshot
):
    first = file_request(acme, alice, ago=timedelta(hours=2))
    RestoreRequest.objects.filter(pk=first.pk).update(filed_at=timezone.now() - timedelta(hours=5))
    second = file_request(acme, alice)
    closed = _state(Status.CANCELLED, acme, alice, helen, snapshot)
    html = page(helen).get("/helpdesk/").content.decode()
    _checks(html)
    assert html.index(f"#{first.pk}<") < html.index(f"#{second.pk}<")
    assert f"#{closed.pk}<" not in html
    assert "5\xa0hours" in html  # the age of the oldest
    assert "Professional" in html
    # The nearest backup before, in Acme's time zone, named.
    assert f'{_local(acme, snapshot.taken_at)}</time> <span class="muted">Europe/Rome' in html


def test_the_queue_filters_by_status_and_plan(page, acme, alice, helen, snapshot):
    ours = file_request(acme, alice)
    small = AccountFactory(name="Small", plan=Plan.STANDARD)
    theirs = file_request(small, member(small, "admin", username="sam"))
    console = page(helen)
    by_plan = console.get("/helpdesk/", {"plan": "standard"}).content.decode()
    assert f"#{theirs.pk}<" in by_plan and f"#{ours.pk}<" not in by_plan
    assert '<option value="standard" selected>' in by_plan
    cancelled = _state(Status.CANCELLED, acme, alice, helen, snapshot)
    by_status = console.get("/helpdesk/", {"status": "cancelled"}).content.decode()
    assert f"#{cancelled.pk}<" in by_status and f"#{ours.pk}<" not in by_status
    none = console.get("/helpdesk/", {"status": "rejected"}).content.decode()
    assert "No requests waiting with these filters." in none
    bad = console.get("/helpdesk/", {"status": "lost"}).content.decode()
    assert "Unknown state “lost”." in bad


def test_the_queue_api_filters_and_refuses_unknown_values(api, acme, alice, helen, snapshot):
    ours = file_request(acme, alice)
    body = api(helen).get("/api/v1/helpdesk/restore-requests/?plan=professional").json()
    assert [r["id"] for r in body["results"]] == [ours.pk]
    assert api(helen).get("/api/v1/helpdesk/restore-requests/?plan=basic").json()["results"] == []
    for query in ("status=lost", "plan=gold"):
        response = api(helen).get(f"/api/v1/helpdesk/restore-requests/?{query}")
        assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_the_helpdesk_request_page_proposes_with_a_message(page, acme, alice, helen, snapshot):
    request = file_request(acme, alice)
    console = page(helen)
    html = console.get(f"/helpdesk/requests/{request.pk}/").content.decode()
    _checks(html)
    assert "Deletions around that time" in html
    assert "Propose the selected backups" in html
    assert "Reject the request" in html

    empty = console.post(f"/helpdesk/requests/{request.pk}/propose/", {"message": "Here"})
    assert empty.status_code == 400
    assert "This field is required." in empty.content.decode()
    assert "Here</textarea>" in empty.content.decode()
    assert RestoreRequest.objects.get().status == Status.SUBMITTED

    done = console.post(
        f"/helpdesk/requests/{request.pk}/propose/",
        {"snapshots": [snapshot.pk], "message": "Here"},
        follow=True,
    ).content.decode()
    assert "Backups proposed to Acme." in done
    assert RestoreRequest.objects.get().status == Status.PROPOSED


def test_the_helpdesk_request_page_rejects_with_a_reason(page, acme, alice, helen, snapshot):
    request = file_request(acme, alice)
    console = page(helen)
    empty = console.post(f"/helpdesk/requests/{request.pk}/reject/", {"reason": ""})
    assert empty.status_code == 400
    assert 'id="id_reason_error"' in empty.content.decode()
    done = console.post(
        f"/helpdesk/requests/{request.pk}/reject/", {"reason": "Use the bin"}, follow=True
    ).content.decode()
    assert f"Request #{request.pk} was rejected." in done
    assert "Reject the request" not in done  # a final state offers no action
    assert "Propose the selected backups" not in done
    again = console.post(
        f"/helpdesk/requests/{request.pk}/propose/", {"snapshots": [snapshot.pk]}, follow=True
    )
    assert f"Request #{request.pk} is rejected." in again.content.decode()
    assert RestoreRequest.objects.get().status == Status.REJECTED


def test_the_accounts_pages_find_an_account_and_show_it_read_only(
    page, acme, globex, alice, helen, snapshot
):
    request = file_request(acme, alice)
    console = page(helen)
    found = console.get("/helpdesk/accounts/", {"q": "acm"}).content.decode()
    _checks(found)
    assert f'href="/helpdesk/accounts/{acme.pk}/"' in found
    assert "Globex" not in found
    by_id = console.get("/helpdesk/accounts/", {"q": str(globex.pk)}).content.decode()
    assert "Globex" in by_id
    nothing = console.get("/helpdesk/accounts/", {"q": "zzz"}).content.decode()
    assert "No account matches “zzz”." in nothing
    # A digit that is not a number, and a number past any id: searched as names.
    for q in ("²", str(2**64)):
        response = console.get("/helpdesk/accounts/", {"q": q})
        assert response.status_code == 200
        assert f"No account matches “{q}”." in response.content.decode()

    html = console.get(f"/helpdesk/accounts/{acme.pk}/").content.decode()
    _checks(html)
    assert "Acme" in html and "Professional" in html
    assert f'href="/helpdesk/requests/{request.pk}/"' in html
    assert "Read only." in html
    assert "<form" not in html.split("<main")[1].split("</main>")[0]
    assert console.get("/helpdesk/accounts/999999/").status_code == 404


def test_a_request_cancelled_while_queued_says_nothing_changed(page, acme, alice, helen, snapshot):
    request = _state(Status.CONFIRMED, acme, alice, helen, snapshot)
    browser = page(alice)
    html = browser.post(f"/restore/{request.pk}/cancel/", follow=True).content.decode()
    assert "The request was cancelled." in html
    assert "Cancelled before it started: nothing was changed." in html
    assert 'role="progressbar"' not in html
    assert "js/progress.js" not in html


def test_the_helpdesk_message_form_shows_its_error_beside_the_field(
    page, acme, alice, helen, snapshot
):
    request = file_request(acme, alice)
    console = page(helen)
    empty = console.post(f"/helpdesk/requests/{request.pk}/message/", {"body": ""})
    assert empty.status_code == 400
    assert 'id="id_body_error"' in empty.content.decode()
    sent = console.post(
        f"/helpdesk/requests/{request.pk}/message/", {"body": "Which contacts?"}, follow=True
    ).content.decode()
    assert "Message sent to the administrator." in sent
    assert "Which contacts?" in sent
