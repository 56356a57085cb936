"""R12.2: the CSV file of a snapshot, made by the worker: a zip of four files in
the columns of domain.md (the CRM's own import columns, then DATE_MODIFY and
the UF_CRM_ custom field codes), UTF-8 with a BOM, one row per record of the
snapshot with its values as they were, formula-like text defused."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from backups.restores import open_export, start_run
from crm.registry import entity
from tests.restores.support import finished, snapshot_records

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# domain.md, "CRM fields and CSV columns".
DOMAIN_COLUMNS = {
    "contacts.csv": "ID HONORIFIC NAME SECOND_NAME LAST_NAME POST COMPANY_ID PHONE_WORK "
    "PHONE_MOBILE EMAIL_WORK EMAIL_HOME TYPE_ID SOURCE_ID ASSIGNED_BY_ID COMMENTS DATE_CREATE",
    "companies.csv": "ID TITLE COMPANY_TYPE INDUSTRY EMPLOYEES REVENUE CURRENCY_ID PHONE_WORK "
    "EMAIL_WORK WEB ADDRESS ASSIGNED_BY_ID COMMENTS DATE_CREATE",
    "leads.csv": "ID TITLE NAME SECOND_NAME LAST_NAME COMPANY_TITLE POST STATUS_ID OPPORTUNITY "
    "CURRENCY_ID SOURCE_ID PHONE_WORK EMAIL_WORK ASSIGNED_BY_ID COMMENTS DATE_CREATE",
    "deals.csv": "ID TITLE CATEGORY_ID STAGE_ID PROBABILITY OPPORTUNITY CURRENCY_ID COMPANY_ID "
    "CONTACT_ID BEGINDATE CLOSEDATE CLOSED ASSIGNED_BY_ID COMMENTS DATE_CREATE",
}
ENTITY_OF = {
    "contacts.csv": "contact",
    "companies.csv": "company",
    "leads.csv": "lead",
    "deals.csv": "deal",
}
# The field each domain column holds (the model's attname).
FIELD_OF = {
    "ID": "id",
    "PHONE_WORK": "phone",
    "EMAIL_WORK": "email",
    "ASSIGNED_BY_ID": "assigned_by_id",
    "DATE_CREATE": "created_at",
    "DATE_MODIFY": "updated_at",
}


def _expected_cell(value) -> str:
    """What a cell must hold, written independently of the export's code."""
    if value is None:
        return ""
    if value is True:
        return "Y"
    if value is False:
        return "N"
    text = str(value)
    if isinstance(value, str) and (
        text[:1] in ("=", "+", "-", "@") or (text[:1] == "'" and text[1:2] in ("'=+-@"))
    ):
        return "'" + text
    return text


def _export_zip(world) -> zipfile.ZipFile:
    run = start_run(
        account=world.acme, snapshot=world.snapshot, option="csv_export", actor=world.alice
    )
    run = finished(run)
    assert run.status == "completed", run.error
    handle = open_export(run)
    assert handle is not None
    with handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def test_r12_csv_export_has_the_domain_columns_and_the_snapshot_rows(celery_worker, changed):
    w = changed
    archive = _export_zip(w)
    wanted = snapshot_records(w.snapshot)
    codes = {"contact": ["UF_CRM_SIZE"], "deal": ["UF_CRM_BUDGET"], "company": ["UF_CRM_VIP"]}

    assert sorted(archive.namelist()) == sorted(DOMAIN_COLUMNS)
    for name, columns in DOMAIN_COLUMNS.items():
        entity_type = ENTITY_OF[name]
        raw = archive.read(name)
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        header, body = rows[0], rows[1:]
        custom = codes.get(entity_type, [])
        assert header == [*columns.split(), "DATE_MODIFY", *custom]
        records = wanted[entity_type]
        assert [int(r[0]) for r in body] == sorted(records)
        for row in body:
            record = records[int(row[0])]
            cells = dict(zip(header, row, strict=True))
            for column, cell in cells.items():
                if column.startswith("UF_CRM_"):
                    value = (record["custom_fields"] or {}).get(column)
                else:
                    value = record[FIELD_OF.get(column, column.lower())]
                assert cell == _expected_cell(value), (name, record["id"], column)


def test_formula_like_text_is_defused_in_the_file(celery_worker, world):
    archive = _export_zip(world)

    companies = archive.read("companies.csv").decode("utf-8-sig")
    contacts = archive.read("contacts.csv").decode("utf-8-sig")
    leads = archive.read("leads.csv").decode("utf-8-sig")
    # OWASP: a cell starting with = + - @ is written after an apostrophe.
    assert '"\'=HYPERLINK(""http://evil.example"")"' in companies
    assert ",'+39 06 1234," in companies
    assert ",'-5 points," in contacts
    assert ",'@anna," in contacts
    assert ",''=quoted," in contacts  # an apostrophe already there is doubled, so it reads back
    assert ",'+lead from a fair," in leads
    # Multi-line text stays one quoted cell.
    assert '"He said ""hi"", then\nleft;\r\nfor good"' in contacts


@pytest.mark.django_db(transaction=True)
def test_the_postgresql_export_writes_the_same_bytes_as_the_portable_one(world):
    from django.db import connection

    from backups.export import write_archive
    from backups.snapshots import take_snapshot

    w = world
    contact = entity("contact")
    with connection.cursor() as cursor:
        # Values the services would normalise, written straight into the table.
        cursor.execute(
            f"UPDATE {contact.table} SET custom_fields = %s WHERE id = %s",
            ['{"UF_CRM_SIZE": "=1+1, \\"big\\"\\nreally", "UF_CRM_GONE": "x"}', w.ids["mario"]],
        )
        cursor.execute(
            f"UPDATE {contact.table} SET custom_fields = %s WHERE id = %s",
            ['{"UF_CRM_SIZE": true}', w.ids["anna"]],
        )
        cursor.execute(
            f"UPDATE {contact.table} SET custom_fields = %s WHERE id = %s",
            ['{"UF_CRM_SIZE": 42}', w.ids["luca"]],
        )
        # Every shape PostgreSQL gives a date-time: whole seconds, a short and a full fraction.
        for key, when in (
            ("acme_srl", "2026-01-01 09:00:07+00"),
            ("formula_co", "2026-01-01 09:00:07.5+00"),
            ("citta", "2026-01-01 09:00:07.123456+00"),
            ("d1", "2026-01-01 09:00:07.12+00"),
        ):
            table = entity("deal" if key == "d1" else "company").table
            cursor.execute(
                f"UPDATE {table} SET created_at = %s, updated_at = %s WHERE id = %s",
                [when, when, w.ids[key]],
            )
    snapshot = take_snapshot(w.acme, kind="safety")
    archives = {}
    for set_based in (True, False):
        target = io.BytesIO()
        counts = write_archive(snapshot, target, set_based=set_based)
        archives[set_based] = zipfile.ZipFile(io.BytesIO(target.getvalue()))
        assert counts == {t: snapshot.row_counts[t] for t in ENTITY_OF.values()}

    for name in DOMAIN_COLUMNS:
        assert archives[True].read(name) == archives[False].read(name), name
    contacts = archives[True].read("contacts.csv").decode("utf-8-sig")
    assert '"\'=1+1, ""big""\nreally"' in contacts
    assert ",true\n" in contacts and ",42\n" in contacts
    companies = archives[True].read("companies.csv").decode("utf-8-sig")
    for stamp in ("09:00:07.000000Z", "09:00:07.500000Z", "09:00:07.123456Z"):
        assert f"2026-01-01T{stamp},2026-01-01T{stamp}" in companies
    assert "2026-01-01T09:00:07.120000Z" in archives[True].read("deals.csv").decode()
