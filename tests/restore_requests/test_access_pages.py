"""Who may open what among the pages (R9, R16, tenancy): an anonymous visitor
goes to the log-in page; an employee, helpdesk staff on the administrators'
pages and administrators on the helpdesk console get 403; another account's
administrator gets 404 for our request (its download link included); nothing
changes on a refused POST."""

from __future__ import annotations

import pytest
from django.urls import reverse

from restore_requests import downloads, helpdesk_urls, services, urls

from .conftest import file_request, picture, snapshot_row

ADMIN_OWN = [
    ("get", "/restore/", None),
    ("get", "/restore/new/", None),
    (
        "post",
        "/restore/new/",
        {"deleted_at": "{local}", "option": "csv_export", "file_anyway": "on"},
    ),
    ("get", "/restore/report/", None),
    ("post", "/restore/report/", {"deleted_at": "{local}", "person": "X", "description": "Y"}),
]
ADMIN_ONE = [
    ("get", "/restore/{id}/", None),
    ("post", "/restore/{id}/confirm/", {"snapshot": "{snapshot}", "option": "csv_export"}),
    ("get", "/restore/{id}/progress/", None),
    ("post", "/restore/{id}/cancel/", {}),
    ("post", "/restore/{id}/undo/", {}),
    ("post", "/restore/{id}/message/", {"body": "Hello?"}),
    ("get", "{download}", None),
]
HELPDESK = [
    ("get", "/helpdesk/", None),
    ("get", "/helpdesk/requests/{id}/", None),
    ("post", "/helpdesk/requests/{id}/propose/", {"snapshots": "{snapshot}", "message": "x"}),
    ("post", "/helpdesk/requests/{id}/reject/", {"reason": "No"}),
    ("post", "/helpdesk/requests/{id}/message/", {"body": "Hello"}),
    ("get", "/helpdesk/reports/", None),
    ("post", "/helpdesk/reports/{report}/close/", {"note": "Done"}),
    ("get", "/helpdesk/accounts/", None),
    ("get", "/helpdesk/accounts/{account}/", None),
]
ADMIN = ADMIN_OWN + ADMIN_ONE
ALL = ADMIN + HELPDESK


def _ids(calls):
    return [f"{m} {p}" for m, p, _ in calls]


@pytest.fixture
def world(acme, alice, bob, charlie, helen):
    snapshot = snapshot_row(acme)
    request = file_request(acme, alice)
    services.request_propose(request=request, snapshot_ids=[snapshot.pk], message="", actor=helen)
    report = services.report_file(
        account=acme, actor=alice, deleted_at=request.deleted_at, person="A", description="B"
    )
    return {"request": request, "snapshot": snapshot, "report": report, "account": acme}


def _fill(value, world):
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    local = world["request"].deleted_at.astimezone(world["account"].tzinfo)
    return value.format(
        id=world["request"].pk,
        snapshot=world["snapshot"].pk,
        report=world["report"].pk,
        account=world["account"].pk,
        local=local.strftime("%Y-%m-%dT%H:%M"),
        download=downloads.signed_link(world["request"]),
    )


def _call(client, method, path, body, world):
    path = _fill(path, world)
    return client.get(path) if method == "get" else client.post(path, _fill(body, world) or {})


def test_every_page_of_the_app_is_in_these_tables():
    names = {p.name for p in urls.urlpatterns} | {p.name for p in helpdesk_urls.urlpatterns}
    assert names == {
        "list", "new", "report", "download", "detail", "confirm", "progress", "action",
        "queue", "request", "propose", "reject", "message", "reports", "report-close",
        "accounts", "account",
    }  # fmt: skip
    # "action" is cancel, undo and message; "new" and "report" are also POSTed.
    assert len(ALL) == len(names) + 2 + 2


@pytest.mark.parametrize(("method", "path", "body"), ALL, ids=_ids(ALL))
def test_anonymous_goes_to_the_login_page(method, path, body, page, world):
    before = picture(world["request"])
    response = _call(page(None), method, path, body, world)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert picture(world["request"]) == before


@pytest.mark.parametrize(("method", "path", "body"), ALL, ids=_ids(ALL))
def test_r9_an_employee_gets_403_everywhere(method, path, body, page, world, bob):
    before = picture(world["request"])
    assert _call(page(bob), method, path, body, world).status_code == 403
    assert picture(world["request"]) == before


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONE, ids=_ids(ADMIN_ONE))
def test_another_accounts_administrator_gets_404_for_our_request(
    method, path, body, page, world, charlie
):
    before = picture(world["request"])
    assert _call(page(charlie), method, path, body, world).status_code == 404
    assert picture(world["request"]) == before


def test_another_accounts_administrator_does_not_see_our_request_in_his_list(page, world, charlie):
    response = page(charlie).get("/restore/")
    assert response.status_code == 200
    assert f"#{world['request'].pk}" not in response.content.decode()


@pytest.mark.parametrize(("method", "path", "body"), HELPDESK, ids=_ids(HELPDESK))
def test_administrators_get_403_on_the_helpdesk_console(
    method, path, body, page, world, alice, charlie
):
    before = picture(world["request"])
    for admin in (alice, charlie):
        assert _call(page(admin), method, path, body, world).status_code == 403
    assert picture(world["request"]) == before


@pytest.mark.parametrize(("method", "path", "body"), ADMIN, ids=_ids(ADMIN))
def test_helpdesk_staff_get_403_on_the_administrators_pages(method, path, body, page, world, helen):
    before = picture(world["request"])
    assert _call(page(helen), method, path, body, world).status_code == 403
    assert picture(world["request"]) == before


def test_r9_an_employee_has_no_restore_menu_and_an_administrator_has(page, world, bob, alice):
    employee_home = page(bob).get("/crm/contacts/").content.decode()
    admin_home = page(alice).get("/crm/contacts/").content.decode()
    assert 'href="/restore/"' not in employee_home
    assert "Restore data" not in employee_home
    assert 'href="/restore/"' in admin_home


def test_helpdesk_staff_see_their_console_menu(page, world, helen):
    body = page(helen).get("/helpdesk/").content.decode()
    for link in ('href="/helpdesk/"', 'href="/helpdesk/reports/"', 'href="/helpdesk/accounts/"'):
        assert link in body
    assert 'href="/restore/"' not in body


def test_helpdesk_staff_view_requests_and_reports_in_the_admin_and_change_nothing(
    page, world, helen
):
    admin = page(helen)
    request = world["request"]
    assert admin.get("/admin/restore_requests/restorerequest/").status_code == 200
    detail = admin.get(f"/admin/restore_requests/restorerequest/{request.pk}/change/")
    assert detail.status_code == 200
    assert admin.get("/admin/restore_requests/deletionreport/").status_code == 200
    before = picture(request)
    refused = admin.post(
        f"/admin/restore_requests/restorerequest/{request.pk}/change/", {"status": "completed"}
    )
    assert refused.status_code == 403
    assert admin.get("/admin/restore_requests/restorerequest/add/").status_code == 403
    assert picture(request) == before
