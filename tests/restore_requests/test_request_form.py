"""The new request page: it shows what the History holds around the time and
advises against a restore for a few records without forbidding it (R8), says a
restore applies to the whole account (R10), explains each option and what it
loses (R12, R13), suggests one; plans without restores are told why and where
to upgrade (R17), on the page and on the API."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Plan
from accounts.services import demo_start
from restore_requests.forms import OPTION_HELP
from restore_requests.models import RestoreRequest
from tests.factories import AccountFactory, member

from .conftest import seed_deleted


def _typed(account, at) -> str:
    return at.astimezone(account.tzinfo).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def three_deleted(acme, alice):
    at = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    seed_deleted(acme, "contact", 3, at=at, by=alice)
    return at


def test_r8_the_check_shows_the_deletions_around_the_time_and_the_recycle_bin(
    page, acme, alice, three_deleted
):
    typed = _typed(acme, three_deleted)
    response = page(alice).get("/restore/new/", {"deleted_at": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 records deleted" in html
    assert "3 contacts" in html
    assert 'id="few-advice"' in html
    assert "a restore is impractical" in html
    assert 'href="/recycle-bin/?deleted_after=' in html
    assert "You may still file the request." in html
    # The request form below carries the time on, and offers the box to file anyway.
    assert f'name="deleted_at" value="{typed}"' in html
    assert 'name="file_anyway"' in html


def test_r8_the_recycle_bin_link_lists_the_deletions_the_check_counted(
    page, acme, alice, three_deleted
):
    """The link carries the counted period to the minute (twelve hours either side
    of the time typed), not whole days: the bin then lists exactly those three."""
    seed_deleted(acme, "contact", 2, at=three_deleted - timedelta(hours=13), by=alice)
    typed = _typed(acme, three_deleted)
    html = page(alice).get("/restore/new/", {"deleted_at": typed}).content.decode()
    assert "3 records deleted" in html

    link = re.search(r'href="(/recycle-bin/\?deleted_after=[^"]+)"', html).group(1)
    local = three_deleted.astimezone(acme.tzinfo)
    start, end = local - timedelta(hours=12), local + timedelta(hours=12)
    assert unescape(link) == (
        f"/recycle-bin/?deleted_after={start:%Y-%m-%d}%20{start:%H}%3A{start:%M}"
        f"&deleted_before={end:%Y-%m-%d}%20{end:%H}%3A{end:%M}"
    )
    listed = page(alice).get(unescape(link)).content.decode()
    assert listed.split("<tbody>")[1].split("</tbody>")[0].count("<tr") == 3


def test_r8_few_records_are_advised_against_and_nothing_is_filed_without_the_box(
    page, acme, alice, three_deleted
):
    typed = _typed(acme, three_deleted)
    response = page(alice).post(
        "/restore/new/", {"deleted_at": typed, "option": "crm_rollback", "note": "Three gone"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_file_anyway_error"' in html
    assert "only 3 deleted records around that time" in html
    assert 'href="/recycle-bin/?deleted_after=' in html
    # The input is kept: time, option, note.
    assert f'value="{typed}"' in html
    assert 'value="crm_rollback" checked' in html
    assert "Three gone" in html
    assert not RestoreRequest.objects.exists()


def test_r8_the_file_anyway_path_files_the_request(page, acme, alice, three_deleted):
    browser = page(alice)
    response = browser.post(
        "/restore/new/",
        {"deleted_at": _typed(acme, three_deleted), "option": "crm_rollback", "file_anyway": "on"},
    )
    obj = RestoreRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/restore/{obj.pk}/"
    assert (obj.option, obj.deleted_at, obj.status) == ("crm_rollback", three_deleted, "submitted")
    followed = browser.get(response["Location"])
    assert f"Your request #{obj.pk} was sent to the helpdesk." in followed.content.decode()


def test_r8_many_deletions_file_without_a_word_of_advice(page, acme, alice):
    at = (timezone.now() - timedelta(hours=3)).replace(second=0, microsecond=0)
    seed_deleted(acme, "contact", 25, at=at, by=alice)
    checked = page(alice).get("/restore/new/", {"deleted_at": _typed(acme, at)}).content.decode()
    assert "25 records deleted" in checked
    assert 'id="few-advice"' not in checked
    assert 'name="file_anyway"' not in checked
    response = page(alice).post(
        "/restore/new/", {"deleted_at": _typed(acme, at), "option": "csv_export"}
    )
    assert response.status_code == 302
    assert RestoreRequest.objects.get().deleted_at == at


def test_r8_the_api_does_not_forbid_a_request_for_a_few_records(api, acme, alice, three_deleted):
    response = api(alice).post(
        "/api/v1/restore-requests/",
        {"deleted_at": three_deleted.isoformat(), "option": "csv_export"},
    )
    assert response.status_code == 201
    filed = RestoreRequest.objects.get(account=acme)
    assert (filed.pk, filed.status, filed.deleted_at) == (
        response.json()["id"],
        "submitted",
        three_deleted,
    )


def test_r8_r12_the_check_suggests_an_option_with_its_reason(page, acme, alice, three_deleted):
    html = (
        page(alice)
        .get("/restore/new/", {"deleted_at": _typed(acme, three_deleted)})
        .content.decode()
    )
    # Nothing changed in the CRM since: the CRM module rollback, pre-selected below.
    assert "Suggested: CRM module rollback." in html
    assert 'value="crm_rollback" checked' in html


def test_r10_the_form_says_a_restore_applies_to_the_whole_account(page, acme, alice):
    html = page(alice).get("/restore/new/").content.decode()
    assert "A restore applies to the whole account" in html
    assert "never to one user or employee" in html


def test_r12_r13_the_form_explains_each_option_and_what_it_loses(page, acme, alice):
    html = page(alice).get("/restore/new/").content.decode()
    for option, text in OPTION_HELP.items():
        assert f'id="option-{option}"' in html
        assert escape(text) in html
    assert "Every CRM record added or changed after it is lost" in html
    assert "Nothing in the account changes" in html
    assert "products and custom fields included (the only way to get those back)" in html


def test_the_form_is_accessible_each_input_has_a_label(page, acme, alice):
    html = page(alice).get("/restore/new/").content.decode()
    assert "<h1>New restore request</h1>" in html
    for input_id in ("check_deleted_at", "id_deleted_at", "id_note"):
        assert f'for="{input_id}"' in html and f'id="{input_id}"' in html
    for option in OPTION_HELP:
        assert f'<label for="option-{option}">' in html
    assert "<legend>Which restore suits you?</legend>" in html
    assert html.count('id="id_deleted_at"') == 1


@pytest.mark.parametrize("plan", [Plan.FREE, Plan.BASIC])
def test_r17_plans_without_restores_see_why_and_the_upgrade_link(db, page, api, plan):
    account = AccountFactory(name="Tiny", plan=plan)
    admin = member(account, "admin", username="tina")
    for url in ("/restore/", "/restore/new/"):
        html = page(admin).get(url).content.decode()
        assert "Restores from backups are part of the Standard, Professional, Enterprise plans" in (
            html
        )
        assert 'href="/plan/"' in html
        assert "Recycle Bin</a> keeps them for 30 days." in html  # RECYCLE_BIN_DAYS
    with override_settings(RECYCLE_BIN_DAYS=45):
        assert "keeps them for 45 days." in page(admin).get("/restore/").content.decode()
    assert 'href="/restore/new/"' not in page(admin).get("/restore/").content.decode()
    assert 'name="option"' not in page(admin).get("/restore/new/").content.decode()

    at = (timezone.now() - timedelta(hours=1)).astimezone(account.tzinfo)
    posted = page(admin).post(
        "/restore/new/",
        {"deleted_at": at.strftime("%Y-%m-%dT%H:%M"), "option": "csv_export", "file_anyway": "on"},
    )
    assert posted.status_code == 403
    assert "Upgrade your plan" in posted.content.decode()

    response = api(admin).post(
        "/api/v1/restore-requests/", {"deleted_at": at.isoformat(), "option": "csv_export"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "plan_upgrade_required"
    assert "Upgrade" in response.json()["detail"]
    assert not RestoreRequest.objects.exists()


def test_r17_the_plan_is_checked_before_the_input(db, api):
    account = AccountFactory(name="Tiny", plan=Plan.FREE)
    admin = member(account, "admin", username="tina")
    response = api(admin).post("/api/v1/restore-requests/", {"deleted_at": "nonsense"})
    assert response.status_code == 403
    assert response.json()["code"] == "plan_upgrade_required"


def test_r17_the_demo_does_not_count_as_a_subscription(db, api, page):
    account = AccountFactory(name="Trying", plan=Plan.FREE)
    admin = member(account, "admin", username="tess")
    demo_start(account=account, actor=admin)
    response = api(admin).post(
        "/api/v1/restore-requests/",
        {"deleted_at": (timezone.now() - timedelta(hours=1)).isoformat(), "option": "csv_export"},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "plan_upgrade_required"
    assert "the demo does not either" in page(admin).get("/restore/").content.decode()


@pytest.mark.parametrize("plan", [Plan.STANDARD, Plan.PROFESSIONAL, Plan.ENTERPRISE])
def test_r17_standard_and_above_may_file(db, api, plan):
    account = AccountFactory(name="Paying", plan=plan)
    admin = member(account, "admin", username="pat")
    response = api(admin).post(
        "/api/v1/restore-requests/",
        {"deleted_at": (timezone.now() - timedelta(hours=1)).isoformat(), "option": "csv_export"},
    )
    assert response.status_code == 201
    filed = RestoreRequest.objects.get(account=account)
    assert (filed.status, filed.filed_by_id) == ("submitted", admin.pk)


def test_r17_a_downgraded_account_cannot_confirm(api, acme, alice, helen):
    from .conftest import bring_to, picture, snapshot_row

    snapshot = snapshot_row(acme)
    request = bring_to("proposed", account=acme, admin=alice, helpdesk=helen, snapshot=snapshot)
    acme.plan = Plan.BASIC
    acme.save()
    before = picture(request)
    response = api(alice).post(
        f"/api/v1/restore-requests/{request.pk}/confirm/",
        {"snapshot": snapshot.pk, "option": "csv_export"},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "plan_upgrade_required"
    assert picture(request) == before
