"""The access matrix: every URL pattern of the site (walked from the URL
configuration), every method it accepts, and the answer each caller gets, in ONE
table (`TABLE`). tests/security/test_access_matrix.py asserts it; a pattern or a
method missing from the table fails that test, so a new page or endpoint cannot
escape it.

Methods: every one the view dispatches to a handler, HEAD (served as GET) and
OPTIONS (refused with 405, see OPTIONS_FIRST) included; their rows are made from
the GET rows and from each pattern's first row, below the table.

Callers: anonymous, Acme's employee (bob), Acme's administrator (alice), the
administrator of another account (charlie, Globex) and helpdesk staff (helen).
Pages are called with a session (CSRF enforced, the token sent back); API URLs
with a session and, separately, with an API token. Ids in URLs and bodies are
Acme's objects (tests/security/world.py), so charlie must get 404, never 403 or
a 2xx.

The Django admin (/admin/) is one group, checked apart (ADMIN_GROUP): it is
Django's own site with its own rule (staff status and model permissions), and
its hundreds of patterns would only repeat that rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from .world import CALLERS, CRM_MARK, NOTE_MARK

# --- The URL configuration, walked ---------------------------------------------------

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Function views accept whatever they are sent; these are the methods they serve.
FUNCTION_VIEW_METHODS = {"home": ("GET", "HEAD", "OPTIONS")}


@dataclass(frozen=True)
class Pattern:
    name: str  # namespaced URL name
    route: str  # the pattern as written, for messages
    methods: tuple[str, ...]


def _methods(pattern: URLPattern, name: str) -> tuple[str, ...]:
    """The methods the view dispatches to a handler: its own, HEAD wherever GET is
    (Django's View.setup and DRF's viewsets serve HEAD as GET), and OPTIONS (every
    class-based view has View.options; the site refuses it, see OPTIONS_FIRST)."""
    callback = pattern.callback
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        wrapped = getattr(callback, "__wrapped__", None)
        view_class = getattr(wrapped, "view_class", None) or getattr(wrapped, "cls", None)
    if view_class is None:
        return FUNCTION_VIEW_METHODS[name]
    allowed = getattr(view_class, "http_method_names", [m.lower() for m in HTTP_METHODS])
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset's route: its method -> action map, and the class's options
        handled = set(actions) | ({"head"} if "get" in actions else set()) | {"options"}
    else:
        handled = {m for m in allowed if hasattr(view_class, m)}
        if "get" in handled:
            handled.add("head")
    return tuple(m for m in HTTP_METHODS if m.lower() in handled and m.lower() in allowed)


def url_patterns() -> list[Pattern]:
    """Every named pattern of the site but the Django admin's, with its methods."""
    found: list[Pattern] = []

    def walk(resolver, prefix: str, namespace: str | None):
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route == "admin/":
                    continue  # ADMIN_GROUP
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, route, ns)
            else:
                assert entry.name, f"unnamed URL pattern {route}: name it"
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                found.append(Pattern(name, route, _methods(entry, name)))

    walk(get_resolver(), "", None)
    return found


# --- Expected answers ----------------------------------------------------------------

AUTH = "auth"  # anonymous: 302 to the log-in page on pages, 401 not_authenticated on the API
LOGIN = "login"  # a 302 to the log-in page
ADMIN_LOGIN = "admin-login"  # a 302 to the admin's log-in page


def expect(*, anonymous=AUTH, employee, admin, other_admin, helpdesk) -> dict[str, int | str]:
    return {
        "anonymous": anonymous,
        "employee": employee,
        "admin": admin,
        "other_admin": other_admin,
        "helpdesk": helpdesk,
    }


def members(ok, *, other=None, employee=None, anonymous=AUTH):
    """Any member of an account; charlie acts on his own account (or gets 404 for
    Acme's object); helpdesk staff belong to no account: 403."""
    return expect(
        anonymous=anonymous,
        employee=ok if employee is None else employee,
        admin=ok,
        other_admin=ok if other is None else other,
        helpdesk=403,
    )


def admins(ok, *, other=None):
    """The account's administrators only: an employee gets 403 admin_required."""
    return expect(employee=403, admin=ok, other_admin=ok if other is None else other, helpdesk=403)


def helpdesk_only(ok):
    return expect(employee=403, admin=403, other_admin=403, helpdesk=ok)


def everyone(ok):
    return expect(anonymous=ok, employee=ok, admin=ok, other_admin=ok, helpdesk=ok)


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    expected: dict
    kwargs: dict = field(default_factory=dict)
    body: dict | None = None
    query: str = ""
    variant: str = ""
    multipart: bool = False  # an upload
    csrf_exempt: bool = False  # takes no cookie credentials (the token endpoint)

    @property
    def label(self) -> str:
        extra = f" [{self.variant}]" if self.variant else ""
        return f"{self.method} {self.name}{extra}"


def row(name, method, expected, *, variant="", query="", multipart=False, csrf_exempt=False,
        body=None, **kwargs) -> Row:  # fmt: skip
    return Row(name, method, expected, kwargs, body, query, variant, multipart, csrf_exempt)


# Each CRM list: its slug, the world's record of that type, a valid new record, a
# valid partial update, and what the page's form needs besides (its pre-filled choices).
CRM = [
    ("companies", "company", {"title": "New company"}, {"title": "Renamed"},
     {"company_type": "CUSTOMER", "currency_id": "EUR"}),
    ("contacts", "contact", {"name": "New", "last_name": "Person"}, {"post": "CEO"},
     {"type_id": "CLIENT"}),
    ("leads", "lead", {"title": "New lead"}, {"title": "Renamed"},
     {"status_id": "NEW", "currency_id": "EUR"}),
    ("deals", "deal", {"title": "New deal"}, {"title": "Renamed"},
     {"category_id": "0", "stage_id": "NEW", "currency_id": "EUR"}),
    ("products", "product", {"name": "New product", "price": "5.00"}, {"price": "6.00"},
     {"currency_id": "EUR", "sort": "100", "active": "on"}),
    ("custom-fields", "custom_field",
     {"entity_type": "contact", "code": "UF_CRM_NEW", "label": "New", "field_type": "string"},
     {"label": "Renamed"}, {"sort": "100"}),
]  # fmt: skip

# A custom field's code and type stay as created: a full update repeats them.
KEEP_ON_PUT = {"custom_field": {"code": "UF_CRM_SIZE"}}
CSV_UPLOAD = "@csv_upload"  # a small contacts.csv (see the runner)
DELETED_AT = "@deleted_at_local"  # half an hour ago, in the caller's account's zone

TABLE: list[Row] = [
    # --- Accounts: log-in, tokens, the caller, plan ------------------------------------
    row(
        "home",
        "GET",
        expect(anonymous=LOGIN, employee=302, admin=302, other_admin=302, helpdesk=302),
    ),
    row(
        "login",
        "GET",
        expect(anonymous=200, employee=302, admin=302, other_admin=302, helpdesk=302),
    ),
    row(
        "login",
        "POST",
        expect(anonymous=200, employee=302, admin=302, other_admin=302, helpdesk=302),
        body={"username": "nobody", "password": "wrong"},
        variant="wrong password",
    ),
    row(
        "login",
        "PUT",
        expect(anonymous=200, employee=302, admin=302, other_admin=302, helpdesk=302),
        variant="Django's form view takes PUT as POST",
    ),
    row("logout", "POST", everyone(LOGIN)),
    row("plan", "GET", admins(200)),
    row("plan-change", "POST", admins(302), body={"plan": "standard"}),
    row("plan-demo", "POST", admins(302)),
    row(
        "api-token",
        "POST",
        everyone(200),
        csrf_exempt=True,
        body={"username": "alice", "password": "@password"},
    ),
    row(
        "api-token-revoke", "DELETE", expect(employee=204, admin=204, other_admin=204, helpdesk=204)
    ),
    row("api-me", "GET", expect(employee=200, admin=200, other_admin=200, helpdesk=200)),
    row("api-account", "GET", members(200)),
    row("api-account-plan", "POST", admins(200), body={"plan": "standard"}),
    row("api-account-demo", "POST", admins(200)),
    # --- CRM: import, lists, records, bulk delete --------------------------------------
    row("crm:import", "GET", members(200)),
    row("crm:import", "POST", members(200), body={"file": CSV_UPLOAD}, multipart=True),
    row("api-crm-import", "POST", members(200), body={"file": CSV_UPLOAD}, multipart=True),
    *[
        r
        for slug, key, values, patch, form_extra in CRM
        for r in (
            row("crm:list", "GET", members(200), slug=slug, variant=slug),
            row("crm:create", "GET", members(200), slug=slug, variant=slug),
            row(
                "crm:create",
                "POST",
                members(302),
                slug=slug,
                variant=slug,
                body={**values, **form_extra},
            ),
            row(
                "crm:bulk-delete",
                "POST",
                members(200, other=404),
                slug=slug,
                variant=f"{slug}, the confirmation step",
                body={"ids": [f"@{key}"]},
            ),
            row(
                "crm:bulk-delete",
                "POST",
                members(302, other=404),
                slug=slug,
                variant=f"{slug}, confirmed",
                body={"ids": [f"@{key}"], "confirmed": "yes"},
            ),
            row(
                "crm:detail", "GET", members(200, other=404), slug=slug, pk=f"@{key}", variant=slug
            ),
            row("crm:edit", "GET", members(200, other=404), slug=slug, pk=f"@{key}", variant=slug),
            row(
                "crm:edit",
                "POST",
                members(302, other=404),
                slug=slug,
                pk=f"@{key}",
                variant=slug,
                body={**values, **form_extra},
            ),
            row(
                "crm:delete", "GET", members(200, other=404), slug=slug, pk=f"@{key}", variant=slug
            ),
            row(
                "crm:delete", "POST", members(302, other=404), slug=slug, pk=f"@{key}", variant=slug
            ),
            row(f"api-{slug}-list", "GET", members(200)),
            row(f"api-{slug}-list", "POST", members(201), body=values),
            row(
                f"api-{slug}-bulk-delete",
                "POST",
                members(200, other=404),
                body={"ids": [f"@{key}"]},
            ),
            row(f"api-{slug}-detail", "GET", members(200, other=404), pk=f"@{key}"),
            row(
                f"api-{slug}-detail",
                "PUT",
                members(200, other=404),
                pk=f"@{key}",
                body={**values, **KEEP_ON_PUT.get(key, {})},
            ),
            row(f"api-{slug}-detail", "PATCH", members(200, other=404), pk=f"@{key}", body=patch),
            row(f"api-{slug}-detail", "DELETE", members(204, other=404), pk=f"@{key}"),
        )
    ],
    # --- Backups, History, recycle bin --------------------------------------------------
    row("backups:list", "GET", admins(200)),
    row("api-backups-snapshots-list", "GET", admins(200)),
    row("api-backups-snapshots-detail", "GET", admins(200, other=404), pk="@snapshot"),
    row("history:timeline", "GET", members(200)),
    row("api-history-events", "GET", members(200)),
    row("recycle_bin:list", "GET", members(200)),
    row(
        "recycle_bin:restore",
        "POST",
        members(200, other=404),
        body={"events": ["@bin_event"]},
        variant="the confirmation step",
    ),
    row(
        "recycle_bin:restore",
        "POST",
        members(302, other=404),
        body={"events": ["@bin_event"], "confirmed": "yes"},
        variant="confirmed",
    ),
    row("api-recycle-bin-list", "GET", members(200)),
    row(
        "api-recycle-bin-restore", "POST", members(200, other=404), body={"events": ["@bin_event"]}
    ),
    # --- Restore requests (administrators) ----------------------------------------------
    row("restore_requests:list", "GET", admins(200)),
    row("restore_requests:new", "GET", admins(200)),
    row(
        "restore_requests:new",
        "POST",
        admins(302),
        body={
            "deleted_at": DELETED_AT,
            "option": "csv_export",
            "note": "Lost",
            "file_anyway": "on",
        },
    ),
    row("restore_requests:report", "GET", admins(200)),
    row(
        "restore_requests:report",
        "POST",
        admins(302),
        body={"deleted_at": DELETED_AT, "person": "Someone", "description": "Deleted all"},
    ),
    row("restore_requests:download", "GET", admins(200, other=404), token="@download_token"),
    row("restore_requests:detail", "GET", admins(200, other=404), pk="@request_proposed"),
    row("restore_requests:confirm", "GET", admins(200, other=404), pk="@request_proposed"),
    row(
        "restore_requests:confirm",
        "POST",
        admins(302, other=404),
        pk="@request_proposed",
        body={"snapshot": "@snapshot", "option": "csv_export"},
    ),
    row(
        "restore_requests:confirm",
        "POST",
        admins(404),
        pk="@request_proposed",
        body={"snapshot": "@globex_snapshot", "option": "csv_export"},
        variant="another account's snapshot",
    ),
    row("restore_requests:progress", "GET", admins(200, other=404), pk="@request_csv_done"),
    row("restore_requests:action", "GET", admins(405), pk="@request_submitted", action="cancel"),
    row(
        "restore_requests:action",
        "POST",
        admins(302, other=404),
        pk="@request_submitted",
        action="cancel",
        variant="cancel",
    ),
    row(
        "restore_requests:action",
        "POST",
        admins(302, other=404),
        pk="@request_rollback_done",
        action="undo",
        variant="undo",
    ),
    row(
        "restore_requests:action",
        "POST",
        admins(302, other=404),
        pk="@request_proposed",
        action="message",
        body={"body": "Any news?"},
        variant="message",
    ),
    row(
        "restore_requests:action",
        "POST",
        admins(404),
        pk="@request_proposed",
        action="explode",
        variant="an unknown action",
    ),
    row("api-restore-requests", "GET", admins(200)),
    row(
        "api-restore-requests",
        "POST",
        admins(201),
        body={"deleted_at": DELETED_AT, "option": "csv_export", "note": "Lost"},
    ),
    row("api-restore-request", "GET", admins(200, other=404), pk="@request_proposed"),
    row(
        "api-restore-request-preview",
        "GET",
        admins(200, other=404),
        pk="@request_proposed",
        query="snapshot=@snapshot&option=csv_export",
    ),
    row(
        "api-restore-request-preview",
        "GET",
        admins(404),
        pk="@request_proposed",
        query="snapshot=@globex_snapshot&option=csv_export",
        variant="another account's snapshot",
    ),
    row(
        "api-restore-request-confirm",
        "POST",
        admins(202, other=404),
        pk="@request_proposed",
        body={"snapshot": "@snapshot", "option": "csv_export"},
    ),
    row(
        "api-restore-request-confirm",
        "POST",
        admins(404),
        pk="@request_proposed",
        body={"snapshot": "@globex_snapshot", "option": "csv_export"},
        variant="another account's snapshot",
    ),
    row("api-restore-request-cancel", "POST", admins(200, other=404), pk="@request_submitted"),
    row("api-restore-request-undo", "POST", admins(202, other=404), pk="@request_rollback_done"),
    row("api-restore-request-download", "GET", admins(200, other=404), pk="@request_csv_done"),
    row(
        "api-restore-request-messages",
        "POST",
        admins(201, other=404),
        pk="@request_proposed",
        body={"body": "Any news?"},
    ),
    row("api-deletion-reports", "GET", admins(200)),
    row(
        "api-deletion-reports",
        "POST",
        admins(201),
        body={"deleted_at": DELETED_AT, "person": "Someone", "description": "Deleted all"},
    ),
    # --- The helpdesk console -----------------------------------------------------------
    row("helpdesk:queue", "GET", helpdesk_only(200)),
    row("helpdesk:request", "GET", helpdesk_only(200), pk="@request_submitted"),
    row("helpdesk:propose", "GET", helpdesk_only(200), pk="@request_submitted"),
    row(
        "helpdesk:propose",
        "POST",
        helpdesk_only(302),
        pk="@request_submitted",
        body={"snapshots": ["@snapshot"], "message": "This one"},
    ),
    row(
        "helpdesk:propose",
        "POST",
        helpdesk_only(404),
        pk="@request_submitted",
        body={"snapshots": ["@globex_snapshot"], "message": "This one"},
        variant="another account's snapshot",
    ),
    row("helpdesk:reject", "GET", helpdesk_only(200), pk="@request_submitted"),
    row(
        "helpdesk:reject",
        "POST",
        helpdesk_only(302),
        pk="@request_submitted",
        body={"reason": "Too old"},
    ),
    row("helpdesk:message", "GET", helpdesk_only(200), pk="@request_submitted"),
    row(
        "helpdesk:message",
        "POST",
        helpdesk_only(302),
        pk="@request_submitted",
        body={"body": "Looking"},
    ),
    row("helpdesk:reports", "GET", helpdesk_only(200)),
    row("helpdesk:report-close", "POST", helpdesk_only(302), pk="@report", body={"note": "Done"}),
    row("helpdesk:accounts", "GET", helpdesk_only(200)),
    row("helpdesk:account", "GET", helpdesk_only(200), pk="@acme"),
    row("api-helpdesk-queue", "GET", helpdesk_only(200)),
    row("api-helpdesk-request", "GET", helpdesk_only(200), pk="@request_submitted"),
    row(
        "api-helpdesk-propose",
        "POST",
        helpdesk_only(200),
        pk="@request_submitted",
        body={"snapshots": ["@snapshot"], "message": "This one"},
    ),
    row(
        "api-helpdesk-propose",
        "POST",
        helpdesk_only(404),
        pk="@request_submitted",
        body={"snapshots": ["@globex_snapshot"], "message": "This one"},
        variant="another account's snapshot",
    ),
    row(
        "api-helpdesk-reject",
        "POST",
        helpdesk_only(200),
        pk="@request_submitted",
        body={"reason": "Too old"},
    ),
    row(
        "api-helpdesk-messages",
        "POST",
        helpdesk_only(201),
        pk="@request_submitted",
        body={"body": "Looking"},
    ),
    row("api-helpdesk-reports", "GET", helpdesk_only(200)),
    row(
        "api-helpdesk-report-close", "POST", helpdesk_only(200), pk="@report", body={"note": "Done"}
    ),
    # --- Alerts (administrators) --------------------------------------------------------
    row("alerts:list", "GET", admins(200)),
    row("alerts:rules", "GET", admins(200)),
    row(
        "alerts:rules",
        "POST",
        admins(302),
        body={
            "burst_enabled": "on",
            "burst_count": "50",
            "burst_minutes": "10",
            "share_percent": "20",
            "share_min_records": "50",
        },
    ),
    row("alerts:detail", "GET", admins(200, other=404), pk="@alert"),
    *[
        row(
            "alerts:action",
            "POST",
            admins(302, other=404),
            pk="@alert",
            action=action,
            variant=action,
        )
        for action in ("undo", "dismiss", "suspend", "lift")
    ],
    row(
        "alerts:action",
        "POST",
        admins(404),
        pk="@alert",
        action="explode",
        variant="an unknown action",
    ),
    row("api-alerts", "GET", admins(200)),
    row("api-alert-rules", "GET", admins(200)),
    row(
        "api-alert-rules",
        "PUT",
        admins(200),
        body={
            "burst_enabled": True,
            "burst_count": 50,
            "burst_minutes": 10,
            "share_enabled": True,
            "share_percent": 20,
            "share_min_records": 50,
        },
    ),
    row("api-alert", "GET", admins(200, other=404), pk="@alert"),
    row("api-alert-preview", "GET", admins(200, other=404), pk="@alert"),
    row("api-alert-undo", "POST", admins(200, other=404), pk="@alert"),
    row("api-alert-dismiss", "POST", admins(200, other=404), pk="@alert"),
    row("api-alert-suspend", "POST", admins(200, other=404), pk="@alert"),
    row("api-alert-lift", "POST", admins(409, other=404), pk="@alert"),
    # --- The schema and its docs: public ------------------------------------------------
    row("api-schema", "GET", everyone(200)),
    row("api-docs", "GET", everyone(200)),
]


# --- HEAD and OPTIONS, for every pattern ----------------------------------------------
#
# HEAD answers what GET answers (status and headers), without a body: one HEAD row for
# every GET row, the same callers, ids and expectations.
#
# OPTIONS is refused with 405 everywhere (nothing is looked up, so another account's
# ids answer as ours do; the site serves no CORS, so no preflight needs it):
# - on a page, before the view and before any log-in check: 405 for every caller,
#   anonymous included (recovery_portal.middleware.RefuseOptionsMiddleware);
# - on the API, by DRF after authentication and the view's permission classes (no
#   metadata class): who is refused by the permission first keeps that answer (401
#   not_authenticated anonymous, 403 to a role the endpoint is not for); everyone
#   else gets 405 method_not_allowed.
OPTIONS_FIRST = (AUTH, 403)  # the API's refusals that come before the method


def head_of(r: Row) -> Row:
    return Row(r.name, "HEAD", r.expected, r.kwargs, None, r.query, r.variant)


def options_of(r: Row) -> Row:
    if r.name.startswith("api-"):
        expected = {c: e if e in OPTIONS_FIRST else 405 for c, e in r.expected.items()}
    else:
        expected = everyone(405)
    return Row(r.name, "OPTIONS", expected, r.kwargs)


def _first_of_each_name(rows: list[Row]) -> list[Row]:
    first: dict[str, Row] = {}
    for r in rows:
        first.setdefault(r.name, r)
    return list(first.values())


TABLE += [head_of(r) for r in TABLE if r.method == "GET"]
TABLE += [options_of(r) for r in _first_of_each_name(TABLE)]

# The Django admin, as one group: staff only (helpdesk staff may look, never change).
ADMIN_GROUP = [
    ("GET", "/admin/", expect(anonymous=ADMIN_LOGIN, employee=ADMIN_LOGIN, admin=ADMIN_LOGIN,
                              other_admin=ADMIN_LOGIN, helpdesk=200)),
    ("GET", "/admin/crm/contact/", expect(anonymous=ADMIN_LOGIN, employee=ADMIN_LOGIN,
                                          admin=ADMIN_LOGIN, other_admin=ADMIN_LOGIN,
                                          helpdesk=403)),
    ("GET", "/admin/restore_requests/restorerequest/",
     expect(anonymous=ADMIN_LOGIN, employee=ADMIN_LOGIN, admin=ADMIN_LOGIN,
            other_admin=ADMIN_LOGIN, helpdesk=200)),
    ("POST", "/admin/accounts/account/@acme/change/",
     expect(anonymous=ADMIN_LOGIN, employee=ADMIN_LOGIN, admin=ADMIN_LOGIN,
            other_admin=ADMIN_LOGIN, helpdesk=403)),
]  # fmt: skip

# What must never be in an answer to a caller (besides the status).
FORBIDDEN_MARKS = {
    "anonymous": (CRM_MARK, NOTE_MARK),
    "other_admin": (CRM_MARK, NOTE_MARK),
    "helpdesk": (CRM_MARK,),  # the helpdesk sees tickets, never CRM data
    "employee": (NOTE_MARK,),  # tickets are for administrators
    "admin": (),
}
assert set(FORBIDDEN_MARKS) == set(CALLERS)


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def body_json(body: dict | None) -> str:
    return json.dumps(body or {})
