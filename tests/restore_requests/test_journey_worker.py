"""Whole journeys through the API with a real Celery worker: an account with
data, its snapshot, a bulk delete, the request filed, the helpdesk's proposal,
the preview, the confirmation, the run on the worker (progress polled as a
client would), the data back with its ids and fields, and the undo; the same for
a CSV export with its download. The administrator's e-mails about the run come
from the worker process (its file e-mail backend)."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest
from django.core import signing

from backups.snapshots import take_snapshot
from crm.models import Company, Contact
from crm_history.models import Event
from restore_requests import downloads
from tests.factories import make
from tests.worker import worker_mails

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _poll(client, request_id: int, done, what: str, timeout: float = 120) -> tuple[dict, list]:
    """GET the request until `done(body)`; returns the last body and every body seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/restore-requests/{request_id}/")
        assert response.status_code == 200
        body = response.json()
        seen.append(body)
        if done(body):
            return body, seen
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}; last: {seen[-1] if seen else None}")


def _run(body, purpose="restore") -> dict | None:
    runs = [r for r in body["runs"] if r["purpose"] == purpose]
    return runs[-1] if runs else None


def _finished(purpose="restore"):
    """The run has ended and the request has followed it (its state, or for an
    undo the note in its log): what a client polls for."""

    def check(body):
        run = _run(body, purpose)
        if run is None or run["status"] not in ("completed", "failed", "cancelled"):
            return False
        if purpose == "undo":
            return any(t["note"].startswith(f"Undo {run['status']}") for t in body["transitions"])
        return body["status"] in ("completed", "failed")

    return check


def _mails(worker, request_id: int) -> list:
    return worker_mails(worker, f"/restore/{request_id}/")


def _wait_mails(worker, request_id, count, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = _mails(worker, request_id)
        if len(mails) >= count:
            return mails
        time.sleep(0.2)
    return _mails(worker, request_id)


def _contacts(ids=None) -> dict[int, dict]:
    qs = Contact.objects.all() if ids is None else Contact.objects.filter(pk__in=ids)
    return {row["id"]: row for row in qs.order_by("id").values()}


@pytest.fixture
def seeded(acme, alice, bob):
    company = make(acme, "company", title="Acme Srl")
    contacts = [
        make(
            acme,
            "contact",
            name=f"Person {i}",
            last_name="Rossi",
            email=f"person{i}@acme.example",
            post="Buyer" if i % 2 else "",
            company_id=company.pk,
        )
        for i in range(30)
    ]
    snapshot = take_snapshot(acme)
    return {"company": company, "contacts": contacts, "snapshot": snapshot}


def _delete_and_file(api, acme, alice, bob, ids, option):
    """Bob bulk-deletes; Alice files a request for the time of the deletion."""
    deleted = api(bob).post("/api/v1/crm/contacts/bulk-delete/", {"ids": ids})
    assert deleted.status_code == 200, deleted.content
    assert deleted.json()["deleted"] == len(ids)
    at = Event.objects.filter(account=acme, action="delete").latest("id").occurred_at
    filed = api(alice).post(
        "/api/v1/restore-requests/",
        {"deleted_at": at.isoformat(), "option": option, "note": "Bob's bulk delete"},
    )
    assert filed.status_code == 201, filed.content
    assert filed.json()["status"] == "submitted"
    return filed.json()["id"]


def _propose(api, helen, request_id, snapshot, deleted):
    seen = api(helen).get(f"/api/v1/helpdesk/restore-requests/{request_id}/").json()
    (nearest,) = seen["nearest_snapshots"]
    assert (nearest["id"], nearest["recommended"]) == (snapshot.pk, True)
    assert (nearest["contains_deleted"], nearest["deleted_around"]) == (deleted, deleted)
    proposed = api(helen).post(
        f"/api/v1/helpdesk/restore-requests/{request_id}/propose/",
        {"snapshots": [snapshot.pk], "message": "This morning's backup holds them all"},
    )
    assert proposed.status_code == 200
    assert proposed.json()["status"] == "proposed"


def test_journey_crm_rollback_brings_the_data_back_and_undo_puts_it_as_it_was(
    celery_worker, api, acme, alice, bob, helen, seeded
):
    snapshot = seeded["snapshot"]
    gone_ids = [c.pk for c in seeded["contacts"][:25]]
    as_backed_up = _contacts(gone_ids)
    request_id = _delete_and_file(api, acme, alice, bob, gone_ids, "crm_rollback")
    # Work goes on after the deletion: one contact added, one changed.
    newcomer = make(acme, "contact", name="Newcomer")
    changed = seeded["contacts"][29]
    assert (
        api(alice).patch(f"/api/v1/crm/contacts/{changed.pk}/", {"post": "Manager"}).status_code
        == 200
    )
    _propose(api, helen, request_id, snapshot, deleted=25)

    # The impact preview: 25 back, the newcomer lost, the change reverted; nothing changes.
    preview = api(alice).get(
        f"/api/v1/restore-requests/{request_id}/preview/?snapshot={snapshot.pk}&option=crm_rollback"
    )
    assert preview.status_code == 200
    rows = {e["entity_type"]: e for e in preview.json()["entities"]}
    assert (rows["contact"]["back"], rows["contact"]["lost"], rows["contact"]["reverted"]) == (
        25,
        1,
        1,
    )
    assert rows["contact"]["affected"] is True
    assert rows["product"]["affected"] is False
    assert Contact.objects.count() == 6

    before_rollback = _contacts()
    confirmed = api(alice).post(
        f"/api/v1/restore-requests/{request_id}/confirm/",
        {"snapshot": snapshot.pk, "option": "crm_rollback", "confirm_account_name": "Acme"},
    )
    assert confirmed.status_code == 202, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    assert _run(confirmed.json())["status"] in ("queued", "running", "completed")

    body, seen = _poll(api(alice), request_id, _finished(), "the rollback on the worker")
    run = _run(body)
    assert run["status"] == "completed", run["error"]
    assert body["status"] == "completed"
    assert (run["progress"], run["phase"]) == (100, "done")
    assert run["rows_done"] == run["rows_total"] > 0
    assert run["started_at"] and run["finished_at"]
    assert run["result"]["counts"]["contact"]["back"] == 25
    progress = [_run(b)["progress"] for b in seen if _run(b)]
    assert progress == sorted(progress)  # the bar never goes back
    assert body["undo_available"] is True
    assert body["download_url"] is None
    assert [t["to_status"] for t in body["transitions"]] == [
        "submitted",
        "proposed",
        "confirmed",
        "running",
        "completed",
    ]

    # The data is back: the deleted contacts with their ids and every field.
    assert _contacts(gone_ids) == as_backed_up
    assert not Contact.objects.filter(pk=newcomer.pk).exists()
    assert Contact.objects.get(pk=changed.pk).post == "Buyer"

    # The administrator heard from the worker when the run started and when it ended.
    mails = _wait_mails(celery_worker, request_id, 2)
    subjects = sorted(m["Subject"] for m in mails)
    assert subjects == [
        f"Your restore #{request_id} has finished",
        f"Your restore #{request_id} has started",
    ]
    assert all(m["To"] == "alice@example.com" for m in mails)

    # Undo: the account goes back to how it was just before the rollback.
    undone = api(alice).post(f"/api/v1/restore-requests/{request_id}/undo/")
    assert undone.status_code == 202, undone.content
    assert _run(undone.json(), "undo")["status"] in ("queued", "running", "completed")
    body, _ = _poll(api(alice), request_id, _finished("undo"), "the undo on the worker")
    assert _run(body, "undo")["status"] == "completed", _run(body, "undo")["error"]
    assert body["status"] == "completed"
    assert body["undo_available"] is False
    assert _contacts() == before_rollback
    notes = [t["note"] for t in body["transitions"] if t["from_status"] == t["to_status"]]
    assert [n.split(" (")[0] for n in notes] == ["Undo requested", "Undo started", "Undo completed"]
    again = api(alice).post(f"/api/v1/restore-requests/{request_id}/undo/")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_journey_csv_export_gives_the_administrators_a_zip_and_changes_nothing(
    celery_worker, api, page, acme, alice, bob, charlie, helen, seeded
):
    snapshot = seeded["snapshot"]
    gone = seeded["contacts"][:22]
    gone_ids = [c.pk for c in gone]
    request_id = _delete_and_file(api, acme, alice, bob, gone_ids, "csv_export")
    _propose(api, helen, request_id, snapshot, deleted=22)
    after_deletion = _contacts()

    confirmed = api(alice).post(
        f"/api/v1/restore-requests/{request_id}/confirm/",
        {"snapshot": snapshot.pk, "option": "csv_export"},
    )
    assert confirmed.status_code == 202
    body, _ = _poll(api(alice), request_id, _finished(), "the export on the worker")
    run = _run(body)
    assert run["status"] == "completed", run["error"]
    assert (run["progress"], run["rows_done"], run["rows_total"]) == (100, 31, 31)
    assert body["download_url"] == f"/api/v1/restore-requests/{request_id}/download/"
    assert body["undo_available"] is False
    assert _contacts() == after_deletion  # a CSV file changes nothing in the account

    # The administrator downloads the zip; its contacts.csv holds the deleted contacts.
    download = api(alice).get(body["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert "attachment;" in download["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert sorted(archive.namelist()) == [
        "companies.csv",
        "contacts.csv",
        "deals.csv",
        "leads.csv",
    ]
    contacts_csv = archive.read("contacts.csv").decode("utf-8-sig")
    for contact in gone:
        assert f"person{seeded['contacts'].index(contact)}@acme.example" in contacts_csv
    assert len(contacts_csv.strip().splitlines()) == 31  # header + 30 contacts
    assert Company.objects.count() == 1

    # Nobody else gets it.
    for user, status, code in (
        (bob, 403, "admin_required"),
        (charlie, 404, "not_found"),
        (helen, 403, "permission_denied"),
        (None, 401, "not_authenticated"),
    ):
        refused = api(user).get(body["download_url"])
        assert (refused.status_code, refused.json()["code"]) == (status, code)

    # The page offers a signed link that works for the account's administrators only.
    html = page(alice).get(f"/restore/{request_id}/").content.decode()
    assert "Download the CSV file (zip)" in html
    assert "Undo the rollback" not in html
    link = re.search(r'href="(/restore/download/[^"]+/)"', html).group(1)
    by_page = page(alice).get(link)
    assert by_page.status_code == 200
    assert by_page["Content-Type"] == "application/zip"
    assert b"".join(by_page.streaming_content)[:2] == b"PK"
    assert page(bob).get(link).status_code == 403
    assert page(charlie).get(link).status_code == 404
    assert page(None).get(link).status_code == 302

    # The link expires: one signed sixteen minutes ago, or a tampered one, is a 404.
    signer = signing.TimestampSigner(salt=downloads.LINK_SALT)
    past = int(time.time()) - downloads.LINK_MAX_AGE - 60
    stale = signing.Signer.sign(signer, f"{request_id}{signer.sep}{signing.b62_encode(past)}")
    assert signer.unsign(stale) == str(request_id)  # well signed, only old
    expired = page(alice).get(f"/restore/download/{stale}/")
    assert expired.status_code == 404
    assert "This download link has expired" in expired.content.decode()
    tampered = link.replace(f"/download/{request_id}:", f"/download/{request_id + 1}:")
    assert page(alice).get(tampered).status_code == 404

    # The worker's e-mails tell the administrator when the export starts and ends.
    subjects = sorted(m["Subject"] for m in _wait_mails(celery_worker, request_id, 2))
    assert subjects == [
        f"Your restore #{request_id} has finished",
        f"Your restore #{request_id} has started",
    ]
