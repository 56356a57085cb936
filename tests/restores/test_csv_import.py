"""The CRM's CSV import (page and POST /api/v1/crm/import/): the round trip
(delete records, export a snapshot taken before, import the zip: the records are
back field for field, nothing else changed), the per-row report, hand-written
files (BOM or not, `;` or `,`, labels or codes), formula-like cells, bad
encodings, oversized uploads and the original-id rule."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backups.restores import open_export, start_run
from crm import services
from crm.registry import entity
from tests.factories import actor_for, make
from tests.restores.support import (
    CRM_TYPES,
    current_records,
    finished,
    rows_checksum,
    snapshot_records,
)

pytestmark = pytest.mark.django_db(transaction=True)

IMPORT_URL = "/api/v1/crm/import/"
PAGE_URL = "/crm/import/"

# Deleted after the snapshot (children first, so no link is cut on the way).
DELETED = {
    "deal": ["d1", "d2", "d3"],
    "contact": ["mario", "anna", "luca", "solo"],
    "company": ["formula_co", "citta"],
    "lead": ["show_lead", "plus_lead"],
}


def _delete_after_snapshot(w) -> None:
    for entity_type, keys in DELETED.items():
        services.records_bulk_delete(
            account=w.acme,
            entity_type=entity_type,
            ids=[w.ids[k] for k in keys],
            actor=actor_for(w.bob),
        )


def _export(w) -> bytes:
    run = finished(
        start_run(account=w.acme, snapshot=w.snapshot, option="csv_export", actor=w.alice)
    )
    assert run.status == "completed", run.error
    with open_export(run) as handle:
        return handle.read()


def _upload(name: str, data: bytes):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _assert_round_trip(w, report_counts) -> None:
    created, skipped, refused = report_counts
    assert created == sum(len(keys) for keys in DELETED.values())
    assert refused == 0
    assert skipped == sum(len(v) for v in snapshot_records(w.snapshot, CRM_TYPES).values()) - (
        created
    )
    # Field for field as in the snapshot: ids, links, custom field values, timestamps.
    assert current_records(w.acme.pk, CRM_TYPES) == snapshot_records(w.snapshot, CRM_TYPES)


@pytest.mark.worker
def test_round_trip_through_the_api_brings_the_deleted_records_back_field_for_field(
    celery_worker, world, api
):
    w = world
    _delete_after_snapshot(w)
    archive = _export(w)
    catalogue = current_records(w.acme.pk, ["product", "custom_field"])
    others = rows_checksum(other_than=w.acme.pk)

    answer = api(w.bob).post(
        IMPORT_URL, {"file": _upload("backup.zip", archive)}, format="multipart"
    )

    assert answer.status_code == 200, answer.content
    body = answer.json()
    _assert_round_trip(w, (body["created"], body["skipped"], body["refused"]))
    assert current_records(w.acme.pk, ["product", "custom_field"]) == catalogue
    assert rows_checksum(other_than=w.acme.pk) == others
    files = {f["name"]: f for f in body["files"]}
    assert list(files) == ["companies.csv", "contacts.csv", "leads.csv", "deals.csv"]
    companies = files["companies.csv"]
    assert (companies["created"], companies["skipped"], companies["refused"]) == (2, 1, 0)
    by_id = {r["original_id"]: r for r in companies["rows"]}
    assert by_id[w.ids["acme_srl"]]["outcome"] == "skipped"
    assert "Already present" in by_id[w.ids["acme_srl"]]["reason"]
    assert by_id[w.ids["citta"]] == {
        "row": by_id[w.ids["citta"]]["row"],
        "outcome": "created",
        "id": w.ids["citta"],
        "original_id": w.ids["citta"],
        "reason": "",
    }
    # Formula-like text came back unchanged.
    assert entity("company").model.objects.get(pk=w.ids["formula_co"]).title == (
        '=HYPERLINK("http://evil.example")'
    )
    assert entity("contact").model.objects.get(pk=w.ids["solo"]).name == "'=quoted"

    # Importing the same file again changes nothing: every row is already present.
    state = rows_checksum(account_id=w.acme.pk)
    again = (
        api(w.bob)
        .post(IMPORT_URL, {"file": _upload("backup.zip", archive)}, format="multipart")
        .json()
    )
    assert (again["created"], again["refused"]) == (0, 0)
    assert rows_checksum(account_id=w.acme.pk)["crm_contact"] == state["crm_contact"]


@pytest.mark.worker
def test_round_trip_through_the_page_reports_each_row(celery_worker, world, page):
    w = world
    _delete_after_snapshot(w)
    archive = _export(w)

    answer = page(w.alice).post(
        PAGE_URL, {"file": _upload("backup.zip", archive), "entity_type": ""}
    )

    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Import done: 11 created, 2 already present, 0 refused." in html
    assert "companies.csv (company): 2 created, 1 skipped, 0 refused" in html
    assert "Already present (a record with this ID exists)." in html
    report = answer.context["report"]
    _assert_round_trip(w, (report.created, report.skipped, report.refused))


def test_the_import_page_shows_its_form(alice, page):
    answer = page(alice).get(PAGE_URL)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert '<label for="id_file">' in html
    assert "<h1>Import records from CSV</h1>" in html


def _import(client, name: str, data: bytes, **extra):
    return client.post(IMPORT_URL, {"file": _upload(name, data), **extra}, format="multipart")


@pytest.mark.parametrize(
    "data",
    [
        "\ufeffFirst name;Last name;Work e-mail;Size\r\nJosé;Müller;jose@example.com;XL\r\n"
        'Ann;"O;Brien";;\r\n',
        'name,last_name,EMAIL_WORK,uf_crm_size\nJosé,Müller,jose@example.com,XL\nAnn,"O;Brien",,\n',
        "\ufeffNAME,LAST_NAME,EMAIL_WORK,UF_CRM_SIZE\nJosé,Müller,jose@example.com,XL\n"
        'Ann,"O;Brien",,\n',
        'NAME;LAST_NAME;EMAIL_WORK;UF_CRM_SIZE\nJosé;Müller;jose@example.com;XL\nAnn;"O;Brien";;\n',
    ],
    ids=["bom-semicolon-labels", "comma-codes", "bom-comma", "semicolon-no-bom"],
)
def test_hand_written_files_in_utf8_with_or_without_bom_and_either_separator(world, api, data):
    w = world
    answer = _import(api(w.alice), "contacts.csv", data.encode("utf-8"))

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["created"] == 2, body
    assert body["files"][0]["unknown_columns"] == []
    jose = entity("contact").model.objects.get(account=w.acme, name="José")
    assert (jose.last_name, jose.email, jose.custom_fields) == (
        "Müller",
        "jose@example.com",
        {"UF_CRM_SIZE": "XL"},
    )
    ann = entity("contact").model.objects.get(account=w.acme, name="Ann")
    assert ann.last_name == "O;Brien"  # quoted, a separator is text


def test_formula_cells_written_by_hand_or_defused_read_back_unchanged(world, api):
    w = world
    data = b"NAME,LAST_NAME,COMMENTS\n=1+2,'=SUM(A1),@handle\n+39 06,'-5,'''=x\n"
    body = _import(api(w.alice), "contacts.csv", data).json()
    assert body["created"] == 2, body
    first = entity("contact").model.objects.get(account=w.acme, name="=1+2")
    assert (first.last_name, first.comments) == ("=SUM(A1)", "@handle")
    second = entity("contact").model.objects.get(account=w.acme, name="+39 06")
    assert (second.last_name, second.comments) == ("-5", "''=x")


def test_rows_are_reported_created_skipped_or_refused_with_the_reason(world, api):
    w = world
    data = (
        "ID,TITLE,PROBABILITY,BEGINDATE,CONTACT_ID\n"
        f"{w.ids['d1']},Annual licence,40,2026-01-31,\n"
        ",Good,50,2026-01-02,\n"
        ",Too likely,150,,\n"
        ",Bad date,10,31/31/2026,\n"
        ",,10,,\n"
        f",Linked elsewhere,10,,{w.ids['hank']}\n"
    ).encode()
    before = current_records(w.acme.pk, ["deal"])["deal"]

    answer = _import(api(w.alice), "deals.csv", data)

    assert answer.status_code == 200, answer.content
    rows = answer.json()["files"][0]["rows"]
    assert [r["outcome"] for r in rows] == [
        "skipped",
        "created",
        "refused",
        "refused",
        "refused",
        "created",
    ]
    assert [r["row"] for r in rows] == [2, 3, 4, 5, 6, 7]
    assert "probability" in rows[2]["reason"]
    assert "BEGINDATE" in rows[3]["reason"] and "31/31/2026" in rows[3]["reason"]
    assert "title" in rows[4]["reason"]
    # A link to another account's record is never made: imported without it, and said so.
    assert "not found" in rows[5]["reason"]
    linked = entity("deal").model.objects.get(pk=rows[5]["id"])
    assert linked.account_id == w.acme.pk and linked.contact_id is None
    after = current_records(w.acme.pk, ["deal"])["deal"]
    assert after[w.ids["d1"]] == before[w.ids["d1"]]
    assert len(after) == len(before) + 2


def test_the_original_id_is_kept_only_if_free_and_never_another_accounts(world, api):
    w = world
    luca = w.ids["luca"]
    services.record_delete(
        account=w.acme, entity_type="contact", record_id=luca, actor=actor_for(w.alice)
    )
    gone = make(w.globex, "contact", actor_for(w.charlie), name="Globex", last_name="Gone").pk
    services.record_delete(
        account=w.globex, entity_type="contact", record_id=gone, actor=actor_for(w.charlie)
    )
    hank = w.ids["hank"]
    globex_before = rows_checksum(account_id=w.globex.pk)
    data = (
        "ID;NAME;LAST_NAME\n"
        f"{w.ids['mario']};Mario;Again\n"  # this account's: already present
        f"{luca};Luca;Bianchi\n"  # this account's, deleted: free, kept
        f"{hank};Hank;Copy\n"  # another account's row: a new id
        f"{gone};Gone;Copy\n"  # another account's deleted record: a new id
    ).encode()

    rows = _import(api(w.alice), "contacts.csv", data).json()["files"][0]["rows"]

    assert [r["outcome"] for r in rows] == ["skipped", "created", "created", "created"]
    assert rows[1]["id"] == luca
    assert rows[2]["original_id"] == hank and rows[2]["id"] not in (hank, gone, luca)
    assert rows[3]["original_id"] == gone and rows[3]["id"] not in (hank, gone, luca)
    Contact = entity("contact").model
    assert Contact.objects.get(pk=rows[2]["id"]).account_id == w.acme.pk
    assert Contact.objects.get(pk=hank).account_id == w.globex.pk
    assert rows_checksum(account_id=w.globex.pk) == globex_before
    # New records after an import with original ids get fresh ids.
    fresh = make(w.acme, "contact", actor_for(w.alice), name="Fresh")
    assert fresh.pk > max(r["id"] for r in rows)


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_a_file_not_in_utf8_is_refused_with_a_clear_message(world, api, page, encoding):
    w = world
    data = "NAME;LAST_NAME\nJosé;Müller\n".encode(encoding)
    before = rows_checksum(account_id=w.acme.pk)

    answer = _import(api(w.alice), "contacts.csv", data)

    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid"
    assert "not UTF-8" in body["detail"] and "contacts.csv" in body["detail"]
    assert "file" in body["fields"]
    shown = page(w.alice).post(PAGE_URL, {"file": _upload("contacts.csv", data)})
    assert shown.status_code == 400
    assert 'id="id_file_error"' in shown.content.decode()
    assert "is not UTF-8 text" in shown.content.decode()
    assert rows_checksum(account_id=w.acme.pk) == before


def test_a_file_that_is_not_csv_text_is_refused_with_400(world, api):
    w = world
    # UTF-16 without its BOM decodes as "UTF-8" full of NUL bytes.
    answer = _import(api(w.alice), "contacts.csv", "NAME\nJosé\n".encode("utf-16-le"))
    assert answer.status_code == 400
    assert "not UTF-8" in answer.json()["detail"]
    answer = _import(api(w.alice), "backup.zip", b"PK\x03\x04 not really a zip")
    assert answer.status_code == 400
    assert answer.json()["detail"] == "The zip file is damaged."


@pytest.mark.parametrize(
    "data, words",
    [
        (b'NAME;LAST_NAME\r\n"unclosed;x\r\nMario;Rossi\r\n', "cannot be read as CSV"),
        (b"FOO;BAR\r\n1;2\r\n", "no column is one the import knows (FOO, BAR)"),
    ],
    ids=["unclosed quote", "no known column"],
)
def test_a_malformed_file_is_refused_whole_with_400(world, api, data, words):
    w = world
    before = rows_checksum(account_id=w.acme.pk)
    answer = _import(api(w.alice), "contacts.csv", data)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert words in answer.json()["detail"]
    assert rows_checksum(account_id=w.acme.pk) == before


def test_an_oversized_upload_is_refused_with_413(world, api, page, settings):
    w = world
    settings.IMPORT_MAX_BYTES = 1000
    data = ("NAME\n" + "x\n" * 1000).encode()

    answer = _import(api(w.alice), "contacts.csv", data)

    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"
    assert answer.json()["detail"] == "The file is 2 kB; the import takes files up to 1 kB."
    shown = page(w.alice).post(PAGE_URL, {"file": _upload("contacts.csv", data)})
    assert shown.status_code == 413
    assert 'id="id_file_error"' in shown.content.decode()
    assert not entity("contact").model.objects.filter(account=w.acme, name="x").exists()


def test_a_zip_that_expands_too_much_is_refused_with_413(world, api, settings):
    import zipfile

    w = world
    settings.IMPORT_MAX_BYTES = 10_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("contacts.csv", "NAME\n" + "x\n" * 100_000)
    assert len(buffer.getvalue()) < 10_000

    answer = _import(api(w.alice), "backup.zip", buffer.getvalue())

    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"


def test_a_file_of_unknown_kind_asks_what_it_holds(world, api):
    answer = _import(api(world.alice), "export.csv", b"NAME\nx\n")
    assert answer.status_code == 400
    assert answer.json()["fields"]["entity_type"]
    answer = _import(api(world.alice), "export.csv", b"NAME\nx\n", entity_type="contact")
    assert answer.status_code == 200
    assert answer.json()["created"] == 1


def test_only_members_import_and_anonymous_calls_get_401(world, api, helen):
    data = b"NAME\nx\n"
    assert _import(api(None), "contacts.csv", data).status_code == 401
    assert _import(api(helen), "contacts.csv", data).status_code == 403
    assert not entity("contact").model.objects.filter(name="x").exists()
