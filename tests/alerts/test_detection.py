"""Detection as deletions are recorded (issue 11): one alert per burst, within a
minute of the threshold being crossed, an e-mail to each administrator, an
event in the History; the actor rule and the share rule with their defaults and
as an administrator changes them.

"Within a minute" is shown without a worker: the detector runs in the deleting
process when the deletion commits, so the alert exists as soon as the delete
call has returned, and its created_at is less than 60 s after the deletion's
occurred_at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.actors import Source
from accounts.models import Plan, Role
from alerts.models import Alert, DeletionTally
from alerts.services import alert_dismiss
from crm_history.models import Event
from tests.factories import actor_for, make, member

from .conftest import API, alerts_of, bulk_delete, contacts, deletion_events, filler_contacts

pytestmark = pytest.mark.django_db(transaction=True)


def test_150_contacts_bulk_deleted_by_one_employee_make_one_alert_within_a_minute(
    acme, admins, bob, api
):
    ids = contacts(acme, 150)
    filler_contacts(acme, 850)  # 150 of 1,000 is 15%: the share rule is not crossed
    mail.outbox.clear()

    response = api(bob).post("/api/v1/crm/contacts/bulk-delete/", {"ids": ids}, format="json")

    assert response.status_code == 200, response.json()
    (alert,) = alerts_of(acme)
    assert alert.kind == Alert.Kind.ACTOR
    assert alert.state == Alert.State.OPEN
    assert (alert.actor_id, alert.actor_name) == (bob.pk, "bob")
    assert alert.counts == {"contact": 150}
    assert alert.paths == {"api": 150}
    deleted = deletion_events(acme, response.json()["operation"])
    assert len(deleted) == 150
    assert alert.started_at == alert.last_at == deleted[0].occurred_at
    assert alert.created_at - deleted[0].occurred_at < timedelta(seconds=60)
    # One e-mail to each administrator, none to the employee who deleted.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in admins)
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert "bob deleted 150 contacts" in mail.outbox[0].subject
    assert f"/alerts/{alert.pk}/" in mail.outbox[0].body


def test_one_alert_when_both_rules_would_fire(acme, alice, bob):
    ids = contacts(acme, 200)  # 150 of 200: the actor rule and the share rule both cross
    mail.outbox.clear()

    bulk_delete(acme, ids[:150], by=bob)

    (alert,) = alerts_of(acme)
    assert alert.kind == Alert.Kind.ACTOR
    assert alert.counts == {"contact": 150}
    assert alert.paths == {"bulk action": 150}
    assert len(mail.outbox) == 1


def test_99_deletions_make_no_alert(acme, alice, bob):
    ids = contacts(acme, 99)
    filler_contacts(acme, 900)
    mail.outbox.clear()

    bulk_delete(acme, ids, by=bob)

    assert alerts_of(acme) == []
    assert mail.outbox == []
    assert sum(DeletionTally.objects.filter(account=acme).values_list("count", flat=True)) == 99


def test_two_actors_deleting_60_each_make_no_alert_under_the_default_rule(acme, alice, bob):
    ids = contacts(acme, 120)
    filler_contacts(acme, 880)  # 120 of 1,000: 12%, under the share rule too
    mail.outbox.clear()

    bulk_delete(acme, ids[:60], by=bob)
    bulk_delete(acme, ids[60:], by=alice)

    assert alerts_of(acme) == []
    assert mail.outbox == []


def test_the_actor_rule_counts_every_crm_entity_type_together(acme, alice, bob):
    company_ids = [make(acme, "company", title=f"Company {i}").pk for i in range(60)]
    contact_ids = contacts(acme, 60)
    filler_contacts(acme, 940)
    for i in range(300):
        make(acme, "company", title=f"Kept {i}")  # 60 of 360 companies: 16.7%

    bulk_delete(acme, company_ids, by=bob, entity_type="company")
    assert alerts_of(acme) == []
    bulk_delete(acme, contact_ids, by=bob)

    (alert,) = alerts_of(acme)
    assert alert.counts == {"company": 60, "contact": 60}
    assert alert.total == 120
    assert alert.summary == "bob deleted 60 companies, 60 contacts"


def test_share_rule_fires_on_a_small_account(acme, alice, bob, admins):
    carol = member(acme, Role.EMPLOYEE, username="carol")
    ids = contacts(acme, 50)
    mail.outbox.clear()

    # Ten of fifty is exactly 20%: not more than the default share.
    bulk_delete(acme, ids[:4], by=bob)
    for contact_id in ids[4:8]:
        bulk_delete(acme, [contact_id], by=carol, source=Source.API)
    bulk_delete(acme, ids[8:10], by=alice)
    assert alerts_of(acme) == []

    bulk_delete(acme, [ids[10]], by=alice)  # the 11th: 22% of the contacts

    (alert,) = alerts_of(acme)
    assert alert.kind == Alert.Kind.SHARE
    assert alert.burst_key == "contact"
    assert alert.counts == {"contact": 11}
    assert alert.actors == ["bob", "carol", "alice"]
    assert alert.paths == {"bulk action": 6, "api": 4, "page": 1}
    assert alert.actor_id is None
    assert len(mail.outbox) == len(admins)

    # The burst goes on: the same alert grows.
    bulk_delete(acme, ids[11:13], by=carol)
    (alert,) = alerts_of(acme)
    assert alert.counts == {"contact": 13}
    assert len(mail.outbox) == len(admins)


def test_share_rule_leaves_types_with_fewer_records_than_the_minimum_alone(acme, alice, bob):
    ids = contacts(acme, 49)

    bulk_delete(acme, ids[:40], by=bob)

    assert alerts_of(acme) == []


def test_a_changed_rule_takes_effect_from_the_api(acme, alice, bob, api):
    ids = contacts(acme, 30)
    filler_contacts(acme, 970)
    response = api(alice).put(
        f"{API}rules/",
        {
            "burst_enabled": True,
            "burst_count": 25,
            "burst_minutes": 5,
            "share_enabled": True,
            "share_percent": 20,
            "share_min_records": 50,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["burst_count"] == 25
    assert api(alice).get(f"{API}rules/").json()["burst_minutes"] == 5

    bulk_delete(acme, ids[:24], by=bob)
    assert alerts_of(acme) == []
    bulk_delete(acme, ids[24:25], by=bob)

    (alert,) = alerts_of(acme)
    assert alert.counts == {"contact": 25}


def test_a_changed_rule_takes_effect_from_the_rules_page(acme, alice, bob, page):
    ids = contacts(acme, 10)
    filler_contacts(acme, 40)
    client = page(alice)
    assert client.get("/alerts/rules/").status_code == 200

    response = client.post(
        "/alerts/rules/",
        {
            "burst_enabled": "on",
            "burst_count": "100",
            "burst_minutes": "10",
            "share_enabled": "on",
            "share_percent": "5",
            "share_min_records": "20",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "The alert rules were saved." in response.content.decode()

    bulk_delete(acme, ids[:3], by=bob)  # 3 of 50 = 6% > 5%

    (alert,) = alerts_of(acme)
    assert alert.kind == Alert.Kind.SHARE
    assert alert.counts == {"contact": 3}


def test_rules_page_keeps_the_input_and_shows_the_error_beside_the_field(acme, alice, page):
    response = page(alice).post(
        "/alerts/rules/",
        {"burst_enabled": "on", "burst_count": "1", "burst_minutes": "10", "share_percent": "20",
         "share_min_records": "50"},
    )  # fmt: skip
    assert response.status_code == 400
    form = response.context["form"]
    assert "burst_count" in form.errors
    assert form["burst_count"].value() == "1"


def test_bad_rules_on_the_api_are_a_400_with_the_field(acme, alice, api):
    response = api(alice).put(f"{API}rules/", {"share_percent": 0}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "share_percent" in body["fields"]


def test_rules_turned_off_make_no_alert(acme, alice, bob, api):
    ids = contacts(acme, 200)
    response = api(alice).put(
        f"{API}rules/", {"burst_enabled": False, "share_enabled": False}, format="json"
    )
    assert response.status_code == 200, response.json()
    mail.outbox.clear()

    bulk_delete(acme, ids[:150], by=bob)

    assert alerts_of(acme) == []
    assert mail.outbox == []


def test_an_api_loop_of_single_deletes_counts_like_a_bulk_delete(acme, alice, bob, api):
    ids = contacts(acme, 150)
    filler_contacts(acme, 850)
    client = api(bob)
    mail.outbox.clear()

    for n, contact_id in enumerate(ids, start=1):
        response = client.delete(f"/api/v1/crm/contacts/{contact_id}/")
        assert response.status_code == 204
        if n == 99:
            assert alerts_of(acme) == []

    (alert,) = alerts_of(acme)
    assert alert.kind == Alert.Kind.ACTOR
    assert alert.counts == {"contact": 150}
    assert alert.paths == {"api": 150}
    first = Event.objects.filter(account=acme, action="delete").order_by("occurred_at").first()
    assert alert.started_at == first.occurred_at
    assert len(mail.outbox) == 1


def test_deletions_in_chunks_through_a_source_other_than_pages_count_alike(acme, alice, bob):
    """Whatever the source of the deletions (here a management command's, in
    chunks of 30), they count toward the same rule, and the alert names that path."""
    ids = contacts(acme, 150)
    filler_contacts(acme, 850)

    for start in range(0, 150, 30):
        bulk_delete(acme, ids[start : start + 30], by=bob, source=Source.COMMAND)

    (alert,) = alerts_of(acme)
    assert alert.counts == {"contact": 150}
    assert alert.paths == {"command": 150}


def test_later_deletions_of_the_same_burst_update_the_alert(acme, alice, bob):
    ids = contacts(acme, 200)
    filler_contacts(acme, 800)
    mail.outbox.clear()

    bulk_delete(acme, ids[:120], by=bob)
    (alert,) = alerts_of(acme)
    assert alert.counts == {"contact": 120}
    first_last_at = alert.last_at

    bulk_delete(acme, ids[120:150], by=bob, source=Source.API)

    (again,) = alerts_of(acme)
    assert again.pk == alert.pk
    assert again.counts == {"contact": 150}
    assert again.paths == {"bulk action": 120, "api": 30}
    assert again.last_at > first_last_at
    assert again.started_at == alert.started_at
    assert len(mail.outbox) == 1  # the e-mail is for the new alert only


def test_deletions_after_a_dismissal_make_a_new_alert_with_its_email_and_banner(
    acme, admins, bob, page
):
    """A dismissed alert is closed: it takes no more deletions, and the next alert
    counts only what was deleted after it."""
    ids = contacts(acme, 400)
    filler_contacts(acme, 1600)  # 250 of the remaining 1,850 is 13.5%: no share alert
    bulk_delete(acme, ids[:150], by=bob)
    (dismissed,) = alerts_of(acme)
    response = page(admins[0]).post(f"/alerts/{dismissed.pk}/dismiss/", follow=True)
    assert "The alert was dismissed." in response.content.decode()
    mail.outbox.clear()

    bulk_delete(acme, ids[150:], by=bob)

    first, second = alerts_of(acme)
    assert first.pk == dismissed.pk
    assert (first.state, first.counts) == (Alert.State.DISMISSED, {"contact": 150})
    assert (second.state, second.kind) == (Alert.State.OPEN, Alert.Kind.ACTOR)
    assert second.counts == {"contact": 250}
    assert second.actor_name == "bob"
    assert second.started_at > first.last_at
    # Its own e-mail, one to each administrator, and its own banner.
    assert sorted(m.to for m in mail.outbox) == sorted([u.email] for u in admins)
    assert "bob deleted 250 contacts" in mail.outbox[0].subject
    assert f"/alerts/{second.pk}/" in mail.outbox[0].body
    text = page(admins[1]).get("/crm/contacts/").content.decode()
    assert "Mass deletion: bob deleted 250 contacts since" in text
    assert f'href="/alerts/{second.pk}/"' in text


def test_a_few_deletions_after_a_dismissal_make_no_alert(acme, alice, bob):
    """What the dismissed alert told does not count again toward the next one."""
    ids = contacts(acme, 200)
    filler_contacts(acme, 1000)
    bulk_delete(acme, ids[:150], by=bob)
    (dismissed,) = alerts_of(acme)
    alert_dismiss(alert=dismissed, actor=alice)
    mail.outbox.clear()

    bulk_delete(acme, ids[150:151], by=bob)
    bulk_delete(acme, ids[151:], by=bob)  # 50 after the dismissal in all

    (alert,) = alerts_of(acme)
    assert alert.pk == dismissed.pk
    assert (alert.state, alert.counts) == (Alert.State.DISMISSED, {"contact": 150})
    assert mail.outbox == []


def test_a_dismissed_actor_alert_does_not_silence_the_share_rule(acme, alice, bob):
    """While bob's alert is open it tells of the contacts deleted; once dismissed,
    carol's deletions after it are counted for the share rule on their own."""
    carol = member(acme, Role.EMPLOYEE, username="carol")
    ids = contacts(acme, 300)
    bulk_delete(acme, ids[:120], by=bob)
    (dismissed,) = alerts_of(acme)
    alert_dismiss(alert=dismissed, actor=alice)

    bulk_delete(acme, ids[120:170], by=carol)  # 50 of the 180 left: 28%

    first, second = alerts_of(acme)
    assert first.pk == dismissed.pk
    assert first.counts == {"contact": 120}
    assert second.kind == Alert.Kind.SHARE
    assert second.counts == {"contact": 50}
    assert second.actors == ["carol"]


def test_a_new_burst_after_the_window_makes_a_new_alert(acme, alice, bob):
    from crm import services

    ids = contacts(acme, 250)
    filler_contacts(acme, 1000)
    services.records_bulk_delete(
        account=acme,
        entity_type="contact",
        ids=ids[:120],
        actor=actor_for(bob),
        now=timezone.now() - timedelta(minutes=30),
    )
    bulk_delete(acme, ids[120:240], by=bob)

    first, second = alerts_of(acme)
    assert first.counts == second.counts == {"contact": 120}
    assert second.started_at - first.last_at >= timedelta(minutes=29)


def test_deletions_by_restores_and_the_system_make_no_alert(acme, alice):
    from accounts.actors import Actor
    from crm import services

    ids = contacts(acme, 200)
    services.records_bulk_delete(
        account=acme, entity_type="contact", ids=ids, actor=Actor.system(source=Source.RESTORE)
    )

    assert alerts_of(acme) == []


def test_the_alert_is_recorded_in_the_history(acme, alice, bob, api):
    ids = contacts(acme, 150)
    filler_contacts(acme, 850)

    bulk_delete(acme, ids, by=bob)

    (alert,) = alerts_of(acme)
    (event,) = Event.objects.filter(account=acme, entity_type="alert")
    assert event.entity_id == alert.pk
    assert event.action == "create"
    assert event.title == "Mass deletion alert: bob deleted 150 contacts"
    assert event.data["counts"] == {"contact": 150}
    page = api(alice).get("/api/v1/history/events/")
    assert page.status_code == 200
    assert any(
        e["entity_type"] == "alert" and e["entity_id"] == alert.pk for e in page.json()["results"]
    )


@pytest.mark.parametrize("plan", [Plan.FREE, Plan.BASIC])
def test_alerts_work_on_every_plan(acme, alice, bob, plan):
    acme.plan = plan
    acme.save(update_fields=["plan"])
    ids = contacts(acme, 150)
    filler_contacts(acme, 850)
    mail.outbox.clear()

    bulk_delete(acme, ids, by=bob)

    (alert,) = alerts_of(acme)
    assert alert.counts == {"contact": 150}
    assert [m.to for m in mail.outbox] == [[alice.email]]


def test_other_accounts_deletions_never_count_toward_ours(acme, globex, alice, bob, charlie):
    ours = contacts(acme, 60)
    theirs = contacts(globex, 60)
    filler_contacts(acme, 500)
    filler_contacts(globex, 500)

    bulk_delete(acme, ours, by=bob)
    bulk_delete(globex, theirs, by=charlie)

    assert alerts_of(acme) == []
    assert alerts_of(globex) == []
