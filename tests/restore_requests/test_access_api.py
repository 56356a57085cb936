"""Who may call what on the API (R9, R16, tenancy): an anonymous caller, an
employee, another account's administrator, helpdesk staff on the administrators'
endpoints and an administrator on the helpdesk's endpoints are each refused on
EVERY endpoint of the app, with the status and code that say why, and nothing
changes."""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from restore_requests import api_urls, services

from .conftest import file_request, picture, snapshot_row

ADMIN_LIST = [
    ("get", "/api/v1/restore-requests/", None),
    (
        "post",
        "/api/v1/restore-requests/",
        {"deleted_at": "{deleted_at}", "option": "csv_export", "note": "x"},
    ),
    ("get", "/api/v1/deletion-reports/", None),
    (
        "post",
        "/api/v1/deletion-reports/",
        {"deleted_at": "{deleted_at}", "person": "A visitor", "description": "Leads"},
    ),
]
ADMIN_ONE = [
    ("get", "/api/v1/restore-requests/{id}/", None),
    ("get", "/api/v1/restore-requests/{id}/preview/?snapshot={snapshot}", None),
    (
        "post",
        "/api/v1/restore-requests/{id}/confirm/",
        {"snapshot": "{snapshot}", "option": "crm_rollback", "confirm_account_name": "Acme"},
    ),
    ("post", "/api/v1/restore-requests/{id}/cancel/", None),
    ("post", "/api/v1/restore-requests/{id}/undo/", None),
    ("get", "/api/v1/restore-requests/{id}/download/", None),
    ("post", "/api/v1/restore-requests/{id}/messages/", {"body": "Hello?"}),
]
HELPDESK = [
    ("get", "/api/v1/helpdesk/restore-requests/", None),
    ("get", "/api/v1/helpdesk/restore-requests/{id}/", None),
    (
        "post",
        "/api/v1/helpdesk/restore-requests/{id}/propose/",
        {"snapshots": ["{snapshot}"], "message": "This one"},
    ),
    ("post", "/api/v1/helpdesk/restore-requests/{id}/reject/", {"reason": "No"}),
    ("post", "/api/v1/helpdesk/restore-requests/{id}/messages/", {"body": "Hello"}),
    ("get", "/api/v1/helpdesk/deletion-reports/", None),
    ("post", "/api/v1/helpdesk/deletion-reports/{report}/close/", {"note": "Done"}),
]
ALL = ADMIN_LIST + ADMIN_ONE + HELPDESK


def _ids(calls):
    return [f"{m} {p.split('?')[0]}" for m, p, _ in calls]


@pytest.fixture
def world(acme, alice, bob, charlie, helen, globex):
    """Acme's request with a proposed snapshot, and Acme's deletion report."""
    snapshot = snapshot_row(acme)
    request = file_request(acme, alice)
    services.request_propose(
        request=request, snapshot_ids=[snapshot.pk], message="This one", actor=helen
    )
    report = services.report_file(
        account=acme,
        actor=alice,
        deleted_at=request.deleted_at,
        person="A visitor",
        description="Some leads",
    )
    return {"request": request, "snapshot": snapshot, "report": report}


def _fill(value, world):
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    if isinstance(value, str):
        filled = value.format(
            id=world["request"].pk,
            snapshot=world["snapshot"].pk,
            report=world["report"].pk,
            deleted_at=world["request"].deleted_at.isoformat(),
        )
        return int(filled) if filled.isdigit() and value.startswith("{") else filled
    return value


def _call(client, method, path, body, world):
    path = _fill(path, world)
    if method == "get":
        return client.get(path)
    return client.post(path, _fill(body, world) or {}, format="json")


def _refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.json()


def test_every_endpoint_of_the_app_is_in_these_tables():
    tested = {p.split("?")[0] for _, p, _ in ALL}
    routes = set()
    for pattern in api_urls.urlpatterns:
        route = "/api/v1/" + str(pattern.pattern)
        routes.add(route.replace("<int:pk>", "{id}"))
    tested = {p.replace("{report}", "{id}") for p in tested}
    assert routes == tested
    assert get_resolver()  # the project's URLs load


@pytest.mark.parametrize(("method", "path", "body"), ALL, ids=_ids(ALL))
def test_anonymous_is_refused_401_everywhere(method, path, body, api, world):
    before = picture(world["request"])
    _refused(_call(api(None), method, path, body, world), 401, "not_authenticated")
    assert picture(world["request"]) == before


@pytest.mark.parametrize(
    ("method", "path", "body"), ADMIN_LIST + ADMIN_ONE, ids=_ids(ADMIN_LIST + ADMIN_ONE)
)
def test_r9_an_employee_is_refused_403_admin_required(method, path, body, api, world, bob):
    before = picture(world["request"])
    _refused(_call(api(bob), method, path, body, world), 403, "admin_required")
    assert picture(world["request"]) == before


@pytest.mark.parametrize(("method", "path", "body"), HELPDESK, ids=_ids(HELPDESK))
def test_an_employee_is_refused_403_helpdesk_required_on_the_console(
    method, path, body, api, world, bob
):
    before = picture(world["request"])
    _refused(_call(api(bob), method, path, body, world), 403, "helpdesk_required")
    assert picture(world["request"]) == before


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONE, ids=_ids(ADMIN_ONE))
def test_another_accounts_administrator_gets_404_for_our_request(
    method, path, body, api, world, charlie
):
    before = picture(world["request"])
    _refused(_call(api(charlie), method, path, body, world), 404, "not_found")
    assert picture(world["request"]) == before


def test_another_accounts_administrator_lists_only_his_own(api, world, charlie):
    assert api(charlie).get("/api/v1/restore-requests/").json()["results"] == []
    assert api(charlie).get("/api/v1/deletion-reports/").json()["results"] == []


@pytest.mark.parametrize(("method", "path", "body"), HELPDESK, ids=_ids(HELPDESK))
def test_administrators_are_refused_403_helpdesk_required_on_the_console(
    method, path, body, api, world, alice, charlie
):
    before = picture(world["request"])
    for admin in (alice, charlie):
        _refused(_call(api(admin), method, path, body, world), 403, "helpdesk_required")
    assert picture(world["request"]) == before


@pytest.mark.parametrize(
    ("method", "path", "body"), ADMIN_LIST + ADMIN_ONE, ids=_ids(ADMIN_LIST + ADMIN_ONE)
)
def test_helpdesk_staff_are_refused_on_the_administrators_endpoints(
    method, path, body, api, world, helen
):
    """R16: nobody but the account's administrators confirms, not even the helpdesk."""
    before = picture(world["request"])
    _refused(_call(api(helen), method, path, body, world), 403, "permission_denied")
    assert picture(world["request"]) == before


def test_r16_a_confirm_naming_another_accounts_snapshot_is_404(api, world, alice, globex):
    theirs = snapshot_row(globex)
    before = picture(world["request"])
    response = api(alice).post(
        f"/api/v1/restore-requests/{world['request'].pk}/confirm/",
        {"snapshot": theirs.pk, "option": "csv_export"},
    )
    _refused(response, 404, "not_found")
    assert picture(world["request"]) == before
    preview = api(alice).get(
        f"/api/v1/restore-requests/{world['request'].pk}/preview/?snapshot={theirs.pk}"
    )
    _refused(preview, 404, "not_found")


def test_r15_a_proposal_naming_another_accounts_snapshot_is_404(api, world, helen, globex):
    theirs = snapshot_row(globex)
    before = picture(world["request"])
    response = api(helen).post(
        f"/api/v1/helpdesk/restore-requests/{world['request'].pk}/propose/",
        {"snapshots": [world["snapshot"].pk, theirs.pk], "message": "Mixed up"},
    )
    _refused(response, 404, "not_found")
    assert picture(world["request"]) == before


def test_an_unknown_request_is_404_for_admins_and_helpdesk(api, world, alice, helen):
    _refused(api(alice).get("/api/v1/restore-requests/999999/"), 404, "not_found")
    _refused(api(helen).get("/api/v1/helpdesk/restore-requests/999999/"), 404, "not_found")
    _refused(
        api(helen).post("/api/v1/helpdesk/deletion-reports/999999/close/", {"note": "x"}),
        404,
        "not_found",
    )
