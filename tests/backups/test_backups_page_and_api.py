"""The Backups page and GET /api/v1/backups/snapshots/: administrators see their
own account's snapshots; employees, other accounts and helpdesk staff do not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backups.models import Snapshot
from backups.snapshots import take_snapshot
from tests.factories import make

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/backups/snapshots/"


@pytest.fixture
def acme_snapshot(filled):
    return take_snapshot(filled)


def test_admin_lists_the_accounts_available_snapshots(api, alice, acme_snapshot, acme):
    old = take_snapshot(acme, kind="safety")
    Snapshot.objects.filter(pk=old.pk).update(taken_at=timezone.now() - timedelta(days=8))
    Snapshot.objects.create(account=acme, kind="safety", status="failed", day=timezone.now().date())

    response = api(alice).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None and body["previous"] is None
    assert [s["id"] for s in body["results"]] == [acme_snapshot.pk]  # R7: not the old one
    item = body["results"][0]
    assert item["status"] == "complete" and item["kind"] == "daily"
    assert item["records"] == acme_snapshot.records
    assert item["row_counts"] == acme_snapshot.row_counts
    assert item["size_bytes"] == acme_snapshot.size_bytes
    assert item["taken_at"].endswith("Z")

    detail = api(alice).get(f"{URL}{acme_snapshot.pk}/")
    assert detail.status_code == 200 and detail.json()["id"] == acme_snapshot.pk


def test_another_accounts_snapshots_are_never_listed(api, charlie, globex, acme_snapshot):
    make(globex, "contact")
    own = take_snapshot(globex)

    response = api(charlie).get(URL)
    assert [s["id"] for s in response.json()["results"]] == [own.pk]
    missing = api(charlie).get(f"{URL}{acme_snapshot.pk}/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_an_employee_is_refused(api, bob, acme_snapshot):
    response = api(bob).get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "admin_required"


def test_helpdesk_staff_and_anonymous_callers_are_refused(api, helen, acme_snapshot):
    assert api(helen).get(URL).status_code == 403
    response = api(None).get(URL)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_backups_page_explains_and_lists_in_the_accounts_time_zone(page, alice, acme_snapshot):
    failed = Snapshot.objects.create(
        account=acme_snapshot.account, kind="daily", status="failed", day=timezone.now().date()
    )
    response = page(alice).get("/backups/")

    assert response.status_code == 200
    text = response.content.decode()
    assert response.context["nav"] == "backups"
    assert "once a day" in text and "7 days" in text
    assert "does <strong>not</strong> hold the History" in text
    local = timezone.localtime(acme_snapshot.taken_at, acme_snapshot.account.tzinfo)
    assert f"{local:%H:%M}" in text and "Europe/Rome" in text
    assert f"{acme_snapshot.records:,}" in text
    assert "Complete" in text and "Failed" in text
    assert [row["snapshot"] for row in response.context["snapshots"]] == [failed, acme_snapshot]
    assert 'href="/backups/" aria-current="page"' in text


def test_backups_page_empty_state_and_access(page, alice, bob, charlie, helen, acme_snapshot):
    assert page(bob).get("/backups/").status_code == 403
    assert page(helen).get("/backups/").status_code == 403
    other = page(charlie).get("/backups/")
    assert other.status_code == 200
    assert other.context["snapshots"] == []
    assert "No backup has been taken in the last 7 days yet" in other.content.decode()
    assert page(None).get("/backups/").status_code == 302


def test_helpdesk_staff_view_any_accounts_snapshots_in_the_admin(page, helen, acme_snapshot):
    client = page(helen)
    listing = client.get("/admin/backups/snapshot/")
    assert listing.status_code == 200
    assert "Acme" in listing.content.decode()
    change = client.get(f"/admin/backups/snapshot/{acme_snapshot.pk}/change/")
    assert change.status_code == 200  # the read-only view
    assert client.post(f"/admin/backups/snapshot/{acme_snapshot.pk}/delete/").status_code == 403


def test_helpdesk_staff_view_restore_runs_in_the_admin_and_change_nothing(
    page, helen, alice, acme, acme_snapshot
):
    from backups.restore_models import RestoreRun

    run = RestoreRun.objects.create(
        account=acme, snapshot=acme_snapshot, option="csv_export", requested_by=alice,
        rows_total=acme_snapshot.records, status="completed",
    )  # fmt: skip
    client = page(helen)
    listing = client.get("/admin/backups/restorerun/")
    assert listing.status_code == 200
    assert "Acme" in listing.content.decode()
    assert client.get(f"/admin/backups/restorerun/{run.pk}/change/").status_code == 200
    assert client.post(f"/admin/backups/restorerun/{run.pk}/delete/").status_code == 403
    assert client.get("/admin/backups/restorerun/add/").status_code == 403
    assert RestoreRun.objects.filter(pk=run.pk, status="completed").exists()


def test_the_page_promises_another_attempt_only_while_the_day_has_attempts_left(page, alice, acme):
    from datetime import UTC

    today = timezone.now().astimezone(UTC).date()

    def failed():
        Snapshot.objects.create(account=acme, kind="daily", status="failed", day=today)

    failed()
    assert "another attempt follows today" in page(alice).get("/backups/").content.decode()
    failed()
    failed()  # the day's three attempts are used up
    assert "another attempt follows today" not in page(alice).get("/backups/").content.decode()
