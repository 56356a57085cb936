"""R4: History is recorded on every plan, always; after an upgrade, or once the
demo starts, the account sees all past events at once, deletions included."""

from __future__ import annotations

from accounts.models import Plan
from crm import services
from crm_history.models import Event
from tests.crm_history.conftest import EVENTS_URL
from tests.factories import actor_for, make


def _work_on_free_plan(acme, alice, bob) -> list[int]:
    """Creates, changes and deletes on the Free plan; returns the deleted ids."""
    acme.plan = Plan.FREE
    acme.save()
    company = make(acme, "company", actor=actor_for(alice), title="Old Srl")
    contacts = [
        make(acme, "contact", actor=actor_for(bob), name=f"N{i}", company_id=company.pk)
        for i in range(3)
    ]
    services.record_update(
        account=acme,
        entity_type="company",
        record_id=company.pk,
        values={"title": "New Srl"},
        actor=actor_for(alice),
    )
    services.records_bulk_delete(
        account=acme, entity_type="contact", ids=[c.pk for c in contacts], actor=actor_for(bob)
    )
    services.record_delete(
        account=acme, entity_type="company", record_id=company.pk, actor=actor_for(alice)
    )
    return [c.pk for c in contacts] + [company.pk]


def test_r4_history_is_recorded_on_the_free_plan(acme, alice, bob):
    deleted = _work_on_free_plan(acme, alice, bob)

    events = Event.objects.filter(account=acme)
    assert events.filter(action="create").count() == 4
    assert events.filter(action="update").count() == 1
    assert sorted(events.filter(action="delete").values_list("entity_id", flat=True)) == sorted(
        deleted
    )


def test_r4_after_an_upgrade_every_past_event_is_visible_at_once(acme, alice, bob, api, page):
    deleted = _work_on_free_plan(acme, alice, bob)
    assert api(alice).get(EVENTS_URL).status_code == 403

    response = page(alice).post("/plan/change/", {"plan": Plan.BASIC})
    assert response.status_code == 302

    body = api(bob).get(EVENTS_URL, {"action": "delete"}).json()
    assert sorted(r["entity_id"] for r in body["results"]) == sorted(deleted)
    everything = api(bob).get(EVENTS_URL).json()["results"]
    assert len(everything) == Event.objects.filter(account=acme).count() == 9
    html = page(bob).get("/history/", {"action": "delete"}).content.decode()
    assert html.count("no longer exists") == 4
    assert "New Srl" in html


def test_r4_once_the_demo_starts_every_past_deletion_is_visible(acme, alice, bob, page):
    deleted = _work_on_free_plan(acme, alice, bob)
    client = page(alice)
    assert "What the History is" in client.get("/history/").content.decode()

    response = client.post("/plan/demo/", {"next": "/history/"}, follow=True)

    assert response.redirect_chain == [("/history/", 302)]
    html = response.content.decode()
    assert "Your 15-day Professional demo has started" in html
    for entity_id in deleted:
        assert f"#{entity_id} · no longer exists" in html
    assert html.count('class="event-delete"') == 4
    assert "What the History is" not in html
