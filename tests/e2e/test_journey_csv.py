"""Journey d: the CSV file option (R12.2) on a real worker. The administrator
confirms it, downloads the zip in the browser, finds in each file the columns of
domain.md, and brings the deleted contacts back with the import page."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import Contact

from .conftest import assert_accessible
from .world import bulk_delete, crm_data, nightly_backup, proposed_request

pytestmark = [
    pytest.mark.e2e,
    # The live server needs committed data; small ids read better in the screenshots.
    pytest.mark.django_db(transaction=True, reset_sequences=True),
    pytest.mark.worker,
]

# domain.md, "CRM fields and CSV columns": the columns each file has at least.
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


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict]:
    text = archive.read(name).decode("utf-8")
    assert text.startswith("\ufeff"), f"{name} has no UTF-8 BOM"
    dialect = csv.Sniffer().sniff(text[1:2000], delimiters=";,")
    return list(csv.DictReader(io.StringIO(text[1:]), dialect=dialect))


def test_r12_a_csv_export_is_downloaded_and_the_import_page_brings_the_records_back(
    celery_worker, login, acme, alice, bob, helen, shot, tmp_path
):
    data = crm_data(acme, alice)
    backup = nightly_backup(acme)
    gone = data["contacts"][:24]
    bulk_delete(acme, bob, gone)
    request = proposed_request(acme, alice, helen, backup, deleted_at=timezone.now())

    page = login(alice)
    page.goto(f"/restore/{request.pk}/")
    page.get_by_label("CSV file").check()
    page.get_by_role("button", name="Confirm and start").click()
    expect(page.locator("h1 .badge")).to_have_text("Completed", timeout=120_000)
    assert Contact.objects.filter(account=acme).count() == 4  # a CSV file changes nothing

    # The zip, downloaded as a person does.
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download the CSV file (zip)").click()
    download = caught.value
    assert re.search(r"\.zip$", download.suggested_filename), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    shot(page, "the CSV file is ready", readme="csv-ready")

    archive = zipfile.ZipFile(saved)
    assert sorted(archive.namelist()) == sorted(DOMAIN_COLUMNS)
    for name, columns in DOMAIN_COLUMNS.items():
        text = archive.read(name).decode("utf-8")
        delimiter = ";" if text.splitlines()[0].count(";") else ","
        header = text.splitlines()[0].lstrip("\ufeff").split(delimiter)
        assert header[: len(columns.split())] == columns.split(), (name, header)
    contacts = {int(row["ID"]): row for row in _rows(archive, "contacts.csv")}
    assert set(contacts) == {c.pk for c in data["contacts"]}
    assert contacts[gone[0].pk]["EMAIL_WORK"] == gone[0].email
    assert contacts[gone[0].pk]["LAST_NAME"] == gone[0].last_name

    # The import page: the zip as downloaded brings the deleted contacts back.
    page.get_by_role("link", name="CSV import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import records from CSV")
    assert_accessible(page)
    page.get_by_label("CSV file or zip").set_input_files(saved)
    page.get_by_role("button", name="Import").click()
    result = page.locator("#report-h")
    expect(result).to_contain_text("Result: 24 created")
    expect(result).to_contain_text("0 refused")
    expect(page.locator("h3", has_text="contacts.csv")).to_contain_text("24 created")
    shot(page, "the import's result", readme="csv-import", at=result)
    assert_accessible(page)

    back = {c.pk: c for c in Contact.objects.filter(account=acme)}
    assert set(back) == {c.pk for c in data["contacts"]}  # with their original ids
    for contact in gone:
        assert (back[contact.pk].email, back[contact.pk].company_id) == (
            contact.email,
            contact.company_id,
        )
    assert page.goto(f"/crm/contacts/{gone[0].pk}/").status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(gone[0]))
