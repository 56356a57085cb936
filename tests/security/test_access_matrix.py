"""Every URL pattern × every method it accepts × every caller gets the answer the
one table in tests/security/matrix.py says, and no answer shows another
account's data. Each case runs in a transaction that is rolled back, so no write
leaks into the next case.

Figures (printed, and written to var/security/access-matrix.json):
    pytest tests/security/test_access_matrix.py -s
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from restore_requests import downloads
from tests.conftest import reset_throttle_counters
from tests.factories import PASSWORD

from .matrix import (
    ADMIN_GROUP,
    ADMIN_LOGIN,
    AUTH,
    FORBIDDEN_MARKS,
    FUNCTION_VIEW_METHODS,
    HTTP_METHODS,
    LOGIN,
    TABLE,
    UNSAFE,
    Row,
    is_api,
    url_patterns,
)
from .world import CALLERS, CRM_MARK, CSRF_SECRET, NOTE_MARK, World, build_world

FIGURES = Path(__file__).resolve().parents[2] / "var" / "security" / "access-matrix.json"
REFUSALS_403 = {
    "permission_denied",
    "admin_required",
    "helpdesk_required",
    "plan_upgrade_required",
}


# --- The table covers the URL configuration, and nothing else --------------------------


def test_every_url_pattern_and_method_is_in_the_table():
    patterns = url_patterns()
    accepted = {(p.name, m) for p in patterns for m in p.methods}
    listed = {(r.name, r.method) for r in TABLE}
    missing = sorted(accepted - listed)
    assert not missing, "Add these to tests/security/matrix.py TABLE:\n" + "\n".join(
        f"  {method} {name}" for name, method in missing
    )
    stale = sorted(listed - accepted)
    assert not stale, f"TABLE rows for patterns or methods that do not exist: {stale}"
    for r in TABLE:
        assert set(r.expected) == set(CALLERS), r.label


def test_a_new_view_without_a_row_would_fail_the_table_check():
    """The walk finds views however they are included: one pattern of each kind."""
    names = {p.name: p for p in url_patterns()}
    assert names["crm:detail"].methods == ("GET", "HEAD", "OPTIONS")
    assert names["api-contacts-detail"].methods == (
        "GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"
    )  # fmt: skip
    assert names["api-contacts-list"].methods == ("GET", "HEAD", "POST", "OPTIONS")
    assert names["logout"].methods == ("POST", "OPTIONS")
    assert names["restore_requests:action"].methods == ("GET", "HEAD", "POST", "OPTIONS")
    assert not any(name.startswith("admin:") for name in names)


# --- Sending one case ----------------------------------------------------------------


def _resolve(value, world: World, caller: str):
    if isinstance(value, list):
        return [_resolve(v, world, caller) for v in value]
    if not isinstance(value, str) or not value.startswith("@"):
        return value
    key = value[1:]
    if key == "password":
        return PASSWORD
    if key == "acme":
        return world.acme.pk
    if key == "deleted_at_local":
        account = world.globex if caller == "other_admin" else world.acme
        moment = timezone.now() - timedelta(minutes=30)
        return timezone.localtime(moment, account.tzinfo).strftime("%Y-%m-%dT%H:%M")
    if key == "download_token":
        signer = signing.TimestampSigner(salt=downloads.LINK_SALT)
        return signer.sign(str(world.ids["request_csv_done"]))
    if key == "csv_upload":
        return SimpleUploadedFile(
            "contacts.csv", b"NAME;LAST_NAME\r\nImported;Person\r\n", content_type="text/csv"
        )
    return world.ids[key]


def _url(row: Row, world: World, caller: str = "admin") -> str:
    kwargs = {k: _resolve(v, world, caller) for k, v in row.kwargs.items()}
    url = reverse(row.name, kwargs=kwargs)
    if row.query:
        url += "?" + re.sub(r"@\w+", lambda m: str(_resolve(m.group(0), world, caller)), row.query)
    return url


def send(world: World, row: Row, caller: str, mode: str, *, csrf: bool = True):
    """mode: "session" (a page session, CSRF token sent back unless csrf=False) or
    "token" (Authorization: Token …, no session)."""
    url = _url(row, world, caller)
    client = world.client(caller, session=mode == "session", csrf=csrf)
    extra = {}
    if csrf:
        extra["HTTP_X_CSRFTOKEN"] = CSRF_SECRET
    if mode == "token" and caller in world.tokens:
        extra["HTTP_AUTHORIZATION"] = f"Token {world.tokens[caller]}"
    method = row.method.lower()
    body = None
    if row.body is not None:
        body = {k: _resolve(v, world, caller) for k, v in row.body.items()}
    if method in ("get", "head"):
        return url, getattr(client, method)(url, **extra)
    if is_api(url) and not row.multipart:
        data = json.dumps(body) if body is not None else ""
        return url, client.generic(row.method, url, data, content_type="application/json", **extra)
    if method == "post":
        return url, client.post(url, data=body or {}, **extra)
    return url, client.generic(row.method, url, **extra)


def content_of(response) -> str:
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
        response.close()
    else:
        data = response.content
    return data.decode("utf-8", errors="replace")


def problem_with(response, text: str, expected, api: bool, head: bool = False) -> str | None:
    """What is wrong with the answer, or None. An answer to HEAD has no body: its
    status and headers are checked."""
    status = response.status_code
    location = response.get("Location", "")
    if expected == AUTH:
        expected = 401 if api else LOGIN
    if expected == LOGIN:
        if status != 302 or not location.startswith(reverse("login")):
            return f"expected a redirect to the log-in page, got {status} {location}"
    elif expected == ADMIN_LOGIN:
        if status != 302 or not location.startswith("/admin/login/"):
            return f"expected a redirect to the admin's log-in, got {status} {location}"
    elif expected == 302:
        if status != 302 or location.startswith(reverse("login")):
            return f"expected 302, got {status} {location}"
    elif status != expected:
        return f"expected {expected}, got {status}: {text[:300]!r}"
    if api and status >= 400 and head:
        if not response.get("Content-Type", "").startswith("application/json"):
            return f"{status} to HEAD not as JSON: {response.get('Content-Type')!r}"
    elif api and status >= 400:
        try:
            body = json.loads(text)
        except ValueError:
            return f"{status} without a JSON body: {text[:200]!r}"
        if not {"code", "detail"} <= set(body):
            return f"{status} without code and detail: {body}"
        wanted = {401: {"not_authenticated"}, 404: {"not_found"}, 403: REFUSALS_403}
        if status in wanted and body["code"] not in wanted[status]:
            return f"{status} with code {body['code']!r}"
    return None


POST_FORM = re.compile(r"<form\b[^>]*method=[\"']?post[^>]*>(.*?)</form>", re.I | re.S)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
# The API docs page brings its own inline <style> (allowed there by recovery_portal.api).
OWN_STYLE_ALLOWED = ("/api/docs/",)


def page_problem(url: str, response, text: str) -> str | None:
    """A page must work under the Content Security Policy (no inline script, no
    event handler attribute, no <style> element) and post every form with CSRF."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return None
    if INLINE_SCRIPT.search(text):
        return "has an inline <script> (refused by the CSP)"
    if EVENT_HANDLER.search(text):
        return "has an on…= event handler attribute (refused by the CSP)"
    if STYLE_ELEMENT.search(text) and not url.startswith(OWN_STYLE_ALLOWED):
        return "has a <style> element (refused by the CSP)"
    if "Content-Security-Policy" not in response:
        return "has no Content-Security-Policy header"
    for form in POST_FORM.findall(text):
        if "csrfmiddlewaretoken" not in form:
            return "has a POST form without the CSRF token"
    return None


def leak_in(caller: str, text: str, response, expected) -> str | None:
    marks = [m for m in FORBIDDEN_MARKS[caller] if m in text]
    if marks:
        return f"shows {marks}"
    refused = expected in (AUTH, LOGIN, ADMIN_LOGIN) or (
        isinstance(expected, int) and expected >= 400
    )
    if refused and 200 <= response.status_code < 300:
        return f"answered {response.status_code} where it must refuse"
    return None


@dataclass
class Tally:
    cases: int = 0
    csrf_cases: int = 0
    failures: list = field(default_factory=list)
    leaks: list = field(default_factory=list)
    forms_checked: int = 0  # answers with a POST form, each checked for the CSRF token
    # caller -> marks seen in answers it may see (the marks are really on the pages,
    # so their absence from the others' answers means something)
    seen: dict = field(default_factory=dict)


def run_case(world, row, caller, mode, tally: Tally, *, csrf=True, expected=None):
    expected = row.expected[caller] if expected is None else expected
    with transaction.atomic():
        reset_throttle_counters()
        url, response = send(world, row, caller, mode, csrf=csrf)
        text = content_of(response)
        transaction.set_rollback(True)
    api = is_api(url)
    where = f"{row.label} as {caller} ({mode}{'' if csrf else ', no CSRF token'}): {url}"
    if csrf:
        tally.cases += 1
    else:
        tally.csrf_cases += 1
    problem = problem_with(response, text, expected, api, head=row.method == "HEAD")
    if problem:
        tally.failures.append(f"{where}: {problem}")
    page = page_problem(url, response, text)
    if page:
        tally.failures.append(f"{where}: {page}")
    if POST_FORM.search(text):
        tally.forms_checked += 1
    tally.seen.setdefault(caller, set()).update(m for m in (CRM_MARK, NOTE_MARK) if m in text)
    leak = leak_in(caller, text, response, expected)
    if leak:
        tally.leaks.append(f"{where}: {leak}")
    return response, text


def _csrf_caller(row: Row) -> str | None:
    """Someone the row lets in (the CSRF check must refuse them without the token)."""
    for caller in ("admin", "helpdesk", "employee", "anonymous"):
        expected = row.expected[caller]
        if expected not in (AUTH, LOGIN) and isinstance(expected, int) and expected < 400:
            return caller
    return None


def _probe_caller(row: Row) -> str:
    """Someone the row serves, for the 405 probes (a 2xx caller first: the log-in
    page redirects a signed-in user whatever the method)."""
    for caller in ("admin", "helpdesk", "employee", "anonymous"):
        expected = row.expected[caller]
        if isinstance(expected, int) and 200 <= expected < 300:
            return caller
    return _csrf_caller(row) or "admin"


@pytest.mark.django_db(transaction=True)
def test_access_matrix_every_pattern_method_and_caller():
    world = build_world()
    tally = Tally()
    patterns = {p.name for p in url_patterns()}
    for row in TABLE:
        api = is_api(_url(row, world))
        for caller in CALLERS:
            modes = ["session"]
            if api and caller != "anonymous":
                modes.append("token")
            for mode in modes:
                run_case(world, row, caller, mode, tally)
        # CSRF: a page session without the token is refused on every unsafe method.
        caller = _csrf_caller(row)
        if row.method in UNSAFE and caller is not None:
            expected = row.expected[caller] if row.csrf_exempt else 403
            run_case(world, row, caller, "session", tally, csrf=False, expected=expected)
    # A method a pattern does not take: 405 for someone it lets in (pages and API).
    first_rows = {}
    for row in TABLE:
        first_rows.setdefault(row.name, row)
    unaccepted = 0
    for pattern in url_patterns():
        row = first_rows[pattern.name]
        if pattern.name in FUNCTION_VIEW_METHODS:
            continue
        caller = _probe_caller(row)
        for method in sorted(set(HTTP_METHODS) - set(pattern.methods)):
            probe = replace(row, method=method, body=None, multipart=False)
            mode = "token" if is_api(_url(row, world)) and caller != "anonymous" else "session"
            response, text = run_case(world, probe, caller, mode, tally, expected=405)
            unaccepted += 1
    # The Django admin, as one group.
    admin_cases = 0
    for method, path, expected in ADMIN_GROUP:
        path = path.replace("@acme", str(world.acme.pk))
        for caller in CALLERS:
            client = world.client(caller, session=True)
            with transaction.atomic():
                response = getattr(client, method.lower())(
                    path, HTTP_X_CSRFTOKEN=CSRF_SECRET, data={} if method == "POST" else None
                )
                transaction.set_rollback(True)
            admin_cases += 1
            text = content_of(response)
            problem = problem_with(response, text, expected[caller], api=False)
            if problem:
                tally.failures.append(f"{method} {path} as {caller}: {problem}")
    figures = {
        "url_patterns": len(patterns),
        "pattern_methods": sum(len(p.methods) for p in url_patterns()),
        "table_rows": len(TABLE),
        "callers": len(CALLERS),
        "table_requests": tally.cases - unaccepted,
        "csrf_requests_checked": tally.csrf_cases,
        "unaccepted_method_requests": unaccepted,
        "admin_group_requests": admin_cases,
        "pages_with_post_forms_checked": tally.forms_checked,
        "requests_total": tally.cases + tally.csrf_cases + admin_cases,
        "failures": len(tally.failures),
        "leaks": len(tally.leaks),
    }
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2) + "\n")
    print("\nAccess matrix:", json.dumps(figures))
    assert tally.seen["admin"] == {CRM_MARK, NOTE_MARK}
    assert CRM_MARK in tally.seen["employee"] and NOTE_MARK in tally.seen["helpdesk"]
    report = [f"{len(tally.leaks)} leaks:", *tally.leaks]
    report += [f"{len(tally.failures)} answers differ from the table:", *tally.failures]
    assert not tally.leaks and not tally.failures, "\n".join(report)
