"""The CSV import's original-id rule against a shared id sequence: a row keeps
its ID only if the table has already issued it (and it is free and never another
account's); an ID above the sequence gets a fresh id, the report says so, and
the sequence that every account draws from never moves — so no employee can use
an import to exhaust it for every other account. Links written with the original
ids follow the records to their new ids."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from crm import services
from crm.registry import entity
from tests.factories import actor_for, make

IMPORT_URL = "/api/v1/crm/import/"
PAGE_URL = "/crm/import/"
LAST_BUT_ONE = 2**63 - 2  # 9223372036854775806


def _upload(name: str, data: bytes):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_an_id_at_the_end_of_the_sequence_is_not_kept_and_other_accounts_go_on(
    acme, bob, globex, charlie, api
):
    before = make(acme, "contact", actor_for(bob), name="Before").pk
    data = f"ID;NAME;LAST_NAME\n{LAST_BUT_ONE};Max;Id\n".encode()

    answer = api(bob).post(IMPORT_URL, {"file": _upload("contacts.csv", data)}, format="multipart")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["created"], body["skipped"], body["refused"]) == (1, 0, 0)
    [row] = body["files"][0]["rows"]
    assert row == {
        "row": 2,
        "outcome": "created",
        "id": before + 1,
        "original_id": LAST_BUT_ONE,
        "reason": f"ID {LAST_BUT_ONE} not kept: the record has a new ID",
    }
    Contact = entity("contact").model
    assert Contact.objects.get(pk=before + 1).name == "Max"
    assert not Contact.objects.filter(pk=LAST_BUT_ONE).exists()

    # Another account creates two contacts as usual: the next ids, no error.
    first = make(globex, "contact", actor_for(charlie), name="First")
    second = make(globex, "contact", actor_for(charlie), name="Second")
    assert (first.pk, second.pk) == (before + 2, before + 3)
    assert (first.account_id, second.account_id) == (globex.pk, globex.pk)


def test_an_id_not_yet_issued_even_a_small_one_gets_a_fresh_id(acme, alice, page):
    issued = make(acme, "contact", actor_for(alice), name="Latest").pk
    ahead = issued + 1000
    data = f"ID,NAME,LAST_NAME\n{ahead},Ahead,Of time\n".encode()

    answer = page(alice).post(PAGE_URL, {"file": _upload("contacts.csv", data), "entity_type": ""})

    assert answer.status_code == 200
    [row] = answer.context["report"].files[0].rows
    assert (row.outcome, row.id, row.original_id) == ("created", issued + 1, ahead)
    html = answer.content.decode()
    assert f"{issued + 1} (was {ahead})" in html
    assert f"ID {ahead} not kept: the record has a new ID" in html
    Contact = entity("contact").model
    assert not Contact.objects.filter(pk=ahead).exists()
    # The sequence did not move: the next contact follows the imported one.
    assert make(acme, "contact", actor_for(alice), name="Next").pk == issued + 2


def test_a_deleted_records_id_is_issued_free_and_ours_so_it_is_kept(acme, alice, api):
    gone = make(acme, "contact", actor_for(alice), name="Luca", last_name="Bianchi").pk
    make(acme, "contact", actor_for(alice), name="After")
    services.record_delete(
        account=acme, entity_type="contact", record_id=gone, actor=actor_for(alice)
    )
    data = f"ID;NAME;LAST_NAME\n{gone};Luca;Bianchi\n".encode()

    body = (
        api(alice)
        .post(IMPORT_URL, {"file": _upload("contacts.csv", data)}, format="multipart")
        .json()
    )

    [row] = body["files"][0]["rows"]
    assert (row["outcome"], row["id"], row["original_id"], row["reason"]) == (
        "created",
        gone,
        gone,
        "",
    )
    assert entity("contact").model.objects.get(pk=gone).account_id == acme.pk


def test_children_follow_parents_whose_ids_were_not_kept(acme, bob, api):
    issued = make(acme, "company", actor_for(bob), title="Latest").pk
    far_company, far_contact, far_deal = 9_000_000_001, 9_000_000_002, 9_000_000_003
    archive = _zip(
        {
            "companies.csv": f"ID,TITLE\n{far_company},Far Srl\n",
            "contacts.csv": f"ID,NAME,LAST_NAME,COMPANY_ID\n{far_contact},Fara,Way,{far_company}\n",
            "deals.csv": (
                f"ID,TITLE,COMPANY_ID,CONTACT_ID\n{far_deal},Far deal,{far_company},{far_contact}\n"
            ),
        }
    )

    answer = api(bob).post(IMPORT_URL, {"file": _upload("far.zip", archive)}, format="multipart")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["created"], body["skipped"], body["refused"]) == (3, 0, 0)
    rows = {f["entity_type"]: f["rows"][0] for f in body["files"]}
    company = entity("company").model.objects.get(pk=rows["company"]["id"])
    contact = entity("contact").model.objects.get(pk=rows["contact"]["id"])
    deal = entity("deal").model.objects.get(pk=rows["deal"]["id"])
    assert company.pk == issued + 1 and company.title == "Far Srl"
    assert contact.company_id == company.pk
    assert (deal.title, deal.company_id, deal.contact_id) == ("Far deal", company.pk, contact.pk)
    assert (deal.account_id, contact.account_id, company.account_id) == (acme.pk,) * 3
    # Each row says its own id was not kept, and nothing about a missing link.
    assert [rows[t]["reason"] for t in ("company", "contact", "deal")] == [
        f"ID {far_company} not kept: the record has a new ID",
        f"ID {far_contact} not kept: the record has a new ID",
        f"ID {far_deal} not kept: the record has a new ID",
    ]
