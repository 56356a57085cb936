"""Undo in one action (issue 11): everything of the burst comes back with its
ids, fields, custom field values and links, parents first, all or nothing, after
a preview of the counts; refused with the reason when an id is taken, refused
cleanly the second time; on the Free plan, the R11 report and the upgrade."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from accounts.actors import Source
from accounts.models import Plan
from accounts.services import demo_start
from alerts.models import Alert
from crm import recycle_bin
from crm.models import Company, Contact
from crm.records import to_record
from crm.registry import entity
from crm_history.models import Event
from restore_requests.models import DeletionReport
from tests.factories import actor_for, make

from .conftest import API, alerts_of, bulk_delete, deletion_events, filler_contacts, fingerprint

pytestmark = pytest.mark.django_db(transaction=True)


def _rich_contacts(account, n, *, company, by):
    make(account, "custom_field", actor=actor_for(by), code="UF_CRM_SIZE", label="Size")
    ids = []
    for i in range(n):
        ids.append(
            make(
                account,
                "contact",
                actor=actor_for(by),
                honorific="HNR_EN_1",
                name=f"Mario{i}",
                second_name="G.",
                last_name=f"Rossi{i}",
                post="CEO",
                company_id=company.pk if i % 3 else None,
                phone="+39 06 1234",
                phone_mobile="+39 333 1234",
                email=f"mario{i}@rossi.it",
                type_id="PARTNER",
                source_id="WEB",
                assigned_by_id=by.pk,
                comments=f"Met at the fair;\nprefers e-mail. #{i}",
                custom_fields={"UF_CRM_SIZE": f"XL{i}"},
            ).pk
        )
    return ids


@pytest.fixture
def burst(acme, alice, bob, api):
    """bob deletes 150 contacts of a 1,000-contact account through the API; two
    thirds of them belong to a company that still exists."""
    company = make(acme, "company", actor=actor_for(alice), title="Rossi SpA")
    ids = _rich_contacts(acme, 150, company=company, by=alice)
    filler_contacts(acme, 850)
    response = api(bob).post("/api/v1/crm/contacts/bulk-delete/", {"ids": ids}, format="json")
    assert response.status_code == 200
    (alert,) = alerts_of(acme)
    return {
        "alert": alert,
        "ids": ids,
        "company": company,
        "events": deletion_events(acme, response.json()["operation"]),
    }


def test_undo_brings_back_all_150_field_for_field_with_ids_and_links(acme, alice, api, burst):
    alert = burst["alert"]
    kept_before = Contact.objects.filter(account=acme).count()

    response = api(alice).post(f"{API}{alert.pk}/undo/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["total"] == 150
    assert body["restored"] == {"contact": 150}
    assert body["unlinked"] == []
    assert Contact.objects.filter(account=acme).count() == kept_before + 150
    for event in burst["events"]:
        restored = Contact.objects.get(pk=event.entity_id)
        assert restored.account_id == acme.pk
        assert to_record(entity("contact"), restored) == event.data
    linked = Contact.objects.filter(pk__in=burst["ids"], company=burst["company"])
    assert linked.count() == 100  # contacts of a company that still exists keep the link
    assert Contact.objects.get(pk=burst["ids"][1]).custom_fields == {"UF_CRM_SIZE": "XL1"}
    restores = Event.objects.filter(account=acme, action="restore")
    assert restores.count() == 150
    assert {str(op) for op in restores.values_list("operation", flat=True)} == {body["operation"]}
    alert.refresh_from_db()
    assert alert.undone_at is not None
    assert alert.undone_by_id == alice.pk
    assert str(alert.undo_operation) == body["operation"]


def test_the_preview_counts_before_confirming(acme, alice, api, page, burst):
    alert = burst["alert"]

    response = api(alice).get(f"{API}{alert.pk}/preview/")

    assert response.status_code == 200
    assert response.json() == {
        "counts": {"contact": 150},
        "total": 150,
        "already_back": 0,
        "conflicts": [],
        "allowed": True,
        "reason": "",
    }
    text = page(alice).get(f"/alerts/{alert.pk}/").content.decode()
    assert "150 records come back with their ids, fields and links: 150 contacts." in text
    assert "Bring back 150 records" in text
    assert Contact.objects.filter(pk__in=burst["ids"]).count() == 0  # a preview changes nothing


def test_undo_from_the_alert_page(acme, alice, page, burst):
    client = page(alice)

    response = client.post(f"/alerts/{burst['alert'].pk}/undo/", follow=True)

    assert response.status_code == 200
    assert "150 records are back." in response.content.decode()
    assert Contact.objects.filter(pk__in=burst["ids"]).count() == 150
    assert "This burst has been undone already." in response.content.decode()


def test_undo_is_refused_with_the_reason_when_an_id_has_been_taken(acme, alice, api, burst):
    taken = burst["ids"][7]
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_contact (id, account_id, name, last_name, honorific, second_name, "
            "post, phone, phone_mobile, email, email_home, type_id, source_id, comments, "
            "custom_fields, created_at, updated_at) VALUES (%s, %s, 'Intruder', 'Row', '', '', "
            "'', '', '', '', '', 'CLIENT', '', '', '{}', %s, %s)",
            [taken, acme.pk, now, now],
        )
    before = fingerprint()
    alert = burst["alert"]

    preview = api(alice).get(f"{API}{alert.pk}/preview/").json()
    response = api(alice).post(f"{API}{alert.pk}/undo/")

    assert preview["allowed"] is False
    assert preview["total"] == 150  # the taken one is still part of the burst
    assert preview["conflicts"] == [
        f"Contact “Mario7 Rossi7” (#{taken}): its id is now used by another record"
    ]
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert f"(#{taken}): its id is now used by another record" in response.json()["detail"]
    assert fingerprint() == before
    alert.refresh_from_db()
    assert alert.undone_at is None


def test_undo_is_refused_when_another_account_has_taken_an_id(
    acme, globex, alice, api, page, burst
):
    taken = burst["ids"][0]
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_contact (id, account_id, name, last_name, honorific, second_name, "
            "post, phone, phone_mobile, email, email_home, type_id, source_id, comments, "
            "custom_fields, created_at, updated_at) VALUES (%s, %s, 'Theirs', '', '', '', '', "
            "'', '', '', '', 'CLIENT', '', '', '{}', %s, %s)",
            [taken, globex.pk, now, now],
        )
    before = fingerprint()

    response = page(alice).post(f"/alerts/{burst['alert'].pk}/undo/", follow=True)

    text = html.unescape(response.content.decode())
    assert f"(#{taken}): its id is now used by another record" in text
    assert "Theirs" not in text  # nothing of the other account's row is told
    assert fingerprint() == before


def test_a_second_undo_of_the_same_alert_is_refused_cleanly(acme, alice, api, burst):
    alert = burst["alert"]
    assert api(alice).post(f"{API}{alert.pk}/undo/").status_code == 200
    before = fingerprint()

    response = api(alice).post(f"{API}{alert.pk}/undo/")

    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        "detail": "This burst has been undone already.",
    }
    assert fingerprint() == before
    preview = api(alice).get(f"{API}{alert.pk}/preview/").json()
    assert preview["allowed"] is False
    assert preview["reason"] == "This burst has been undone already."


def test_records_already_back_are_left_out_of_the_undo(acme, alice, api, burst):
    back = burst["events"][:10]
    recycle_bin.restore_from_bin(
        account=acme,
        viewer_membership=alice.membership,
        event_ids=[e.pk for e in back],
        actor=actor_for(alice, Source.RECYCLE_BIN),
    )

    preview = api(alice).get(f"{API}{burst['alert'].pk}/preview/").json()
    response = api(alice).post(f"{API}{burst['alert'].pk}/undo/")

    assert (preview["total"], preview["already_back"]) == (140, 10)
    assert response.status_code == 200
    assert response.json()["total"] == 140
    assert Contact.objects.filter(pk__in=burst["ids"]).count() == 150


def test_parents_come_back_first_and_links_to_them_hold(acme, alice, bob, api):
    company = make(acme, "company", title="Verdi Srl")
    ids = [
        make(acme, "contact", last_name=f"Verdi{i}", company_id=company.pk).pk for i in range(110)
    ]
    filler_contacts(acme, 900)
    bulk_delete(acme, ids, by=bob)
    bulk_delete(acme, [company.pk], by=bob, entity_type="company")
    (alert,) = alerts_of(acme)
    assert alert.counts == {"contact": 110, "company": 1}

    response = api(alice).post(f"{API}{alert.pk}/undo/")

    assert response.status_code == 200, response.json()
    assert response.json()["restored"] == {"company": 1, "contact": 110}
    assert Company.objects.filter(pk=company.pk).exists()
    assert Contact.objects.filter(pk__in=ids, company_id=company.pk).count() == 110


def test_on_the_free_plan_undo_is_refused_and_the_page_offers_the_report_and_upgrade(
    acme, alice, bob, api, page
):
    acme.plan = Plan.FREE
    acme.save(update_fields=["plan"])
    ids = [make(acme, "contact", last_name=f"Bianchi{i}").pk for i in range(150)]
    filler_contacts(acme, 850)
    bulk_delete(acme, ids, by=bob)
    (alert,) = alerts_of(acme)
    before = fingerprint()

    response = api(alice).post(f"{API}{alert.pk}/undo/")

    assert response.status_code == 403
    assert response.json()["code"] == "plan_upgrade_required"
    assert fingerprint() == before
    client = page(alice)
    text = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert 'href="/plan/"' in text
    (link,) = re.findall(r'href="(/restore/report/\?[^"]+)"', text)
    link = html.unescape(link)
    facts = parse_qs(urlsplit(link).query)
    local_start = timezone.localtime(alert.started_at, acme.tzinfo)
    assert facts["deleted_at"] == [local_start.strftime("%Y-%m-%dT%H:%M")]
    assert facts["person"] == ["bob"]
    assert "bob deleted 150 contacts" in facts["description"][0]

    # The report form opens with those facts filled in, and files as it is.
    form = client.get(link).context["form"]
    assert form["person"].value() == "bob"
    assert form["deleted_at"].value() == local_start.strftime("%Y-%m-%dT%H:%M")
    assert "bob deleted 150 contacts" in form["description"].value()
    response = client.post(
        "/restore/report/",
        {name: form[name].value() for name in ("deleted_at", "person", "description")},
    )
    assert response.status_code == 302
    report = DeletionReport.objects.get(account=acme)
    assert report.person == "bob"
    assert abs((report.deleted_at - alert.started_at).total_seconds()) < 60


def test_the_demo_grants_the_undo_on_the_free_plan(acme, alice, bob, api):
    acme.plan = Plan.FREE
    acme.save(update_fields=["plan"])
    demo_start(account=acme, actor=alice)
    ids = [make(acme, "contact", last_name=f"Neri{i}").pk for i in range(100)]
    filler_contacts(acme, 900)
    bulk_delete(acme, ids, by=bob)
    (alert,) = alerts_of(acme)

    response = api(alice).post(f"{API}{alert.pk}/undo/")

    assert response.status_code == 200, response.json()
    assert Contact.objects.filter(pk__in=ids).count() == 100


def test_a_share_alert_undoes_every_actors_deletions_of_its_type(acme, alice, bob, api):
    ids = [make(acme, "contact", last_name=f"Gialli{i}").pk for i in range(50)]
    bulk_delete(acme, ids[:6], by=bob)
    bulk_delete(acme, ids[6:11], by=alice, source=Source.API)
    (alert,) = alerts_of(acme)
    assert alert.kind == Alert.Kind.SHARE

    response = api(alice).post(f"{API}{alert.pk}/undo/")

    assert response.status_code == 200, response.json()
    assert response.json()["total"] == 11
    assert Contact.objects.filter(pk__in=ids).count() == 50


def test_deletions_after_an_undo_are_a_new_burst_counted_from_zero(acme, alice, bob, api, burst):
    alert = burst["alert"]
    assert api(alice).post(f"{API}{alert.pk}/undo/").status_code == 200
    more = [make(acme, "contact", last_name=f"Later{i}").pk for i in range(100)]

    bulk_delete(acme, more[:99], by=bob)  # 99 after the undo: under the rule on their own

    assert alerts_of(acme) == [alert]
    alert.refresh_from_db()
    assert alert.counts == {"contact": 150}  # the undone alert is closed

    bulk_delete(acme, more[99:], by=bob)

    first, second = alerts_of(acme)
    assert first.pk == alert.pk
    assert second.counts == {"contact": 100}
    assert second.undone_at is None
    response = api(alice).post(f"{API}{second.pk}/undo/")
    assert response.status_code == 200
    assert response.json()["total"] == 100


def test_undo_links_again_what_the_burst_unlinked(acme, alice, bob, api):
    """A burst that deleted companies unlinked their contacts; the undo brings the
    companies back and links those contacts to them again, as the bin does."""
    companies = [
        make(acme, "company", actor=actor_for(alice), title=f"Firm {i}").pk for i in range(120)
    ]
    linked = [
        make(acme, "contact", actor=actor_for(alice), name="Linked", company_id=c).pk
        for c in companies[:10]
    ]
    response = api(bob).post(
        "/api/v1/crm/companies/bulk-delete/", {"ids": companies}, format="json"
    )
    assert response.status_code == 200
    assert not Contact.objects.filter(pk__in=linked, company__isnull=False).exists()
    (alert,) = alerts_of(acme)

    undo = api(alice).post(f"{API}{alert.pk}/undo/")

    assert undo.status_code == 200, undo.json()
    assert undo.json()["restored"] == {"company": 120}
    for contact_id, company_id in zip(linked, companies[:10], strict=True):
        assert Contact.objects.get(pk=contact_id).company_id == company_id
