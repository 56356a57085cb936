"""What administrators see (issue 11): the banner on every page while an alert is
open (never for employees), the alert page with who, what, when and by which
path, dismissing it, and the list with its empty state."""

from __future__ import annotations

import html

import pytest
from django.utils import timezone

from accounts.models import Plan
from tests.factories import make

from .conftest import API, alerts_of, bulk_delete, contacts, filler_contacts

pytestmark = pytest.mark.django_db(transaction=True)

BANNER = "Mass deletion: bob deleted 150 contacts since"
EVERY_PAGE = ["/", "/crm/contacts/", "/crm/companies/", "/history/", "/recycle-bin/", "/plan/",
              "/alerts/", "/alerts/rules/", "/backups/", "/restore/"]  # fmt: skip


@pytest.fixture
def alert(acme, alice, bob):
    ids = contacts(acme, 150)
    filler_contacts(acme, 850)
    bulk_delete(acme, ids, by=bob)
    (alert,) = alerts_of(acme)
    return alert


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_banner_is_on_every_page_for_administrators_until_dismissed(acme, alice, page, alert):
    client = page(alice)
    start = timezone.localtime(alert.started_at, acme.tzinfo)
    for url in EVERY_PAGE:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        text = _text(response)
        assert f"{BANNER} {start:%d %b %H:%M}." in text, url
        assert f'href="/alerts/{alert.pk}/"' in text, url

    response = client.post(f"/alerts/{alert.pk}/dismiss/", follow=True)

    assert "The alert was dismissed." in _text(response)
    for url in EVERY_PAGE:
        assert BANNER not in _text(client.get(url, follow=True)), url
    alert.refresh_from_db()
    assert alert.state == "dismissed"
    assert alert.dismissed_by_id == alice.pk


def test_employees_never_see_the_banner(bob, page, alert):
    client = page(bob)
    for url in ["/", "/crm/contacts/", "/history/", "/recycle-bin/"]:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert "See what happened and undo it" not in _text(response), url
        assert BANNER not in _text(response), url


def test_dismissing_through_the_api_takes_the_banner_away(alice, api, page, alert):
    response = api(alice).post(f"{API}{alert.pk}/dismiss/")

    assert response.status_code == 200
    assert response.json()["state"] == "dismissed"
    assert BANNER not in _text(page(alice).get("/crm/contacts/"))
    again = api(alice).post(f"{API}{alert.pk}/dismiss/")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_the_alert_page_says_who_what_when_and_how(acme, alice, page, alert):
    response = page(alice).get(f"/alerts/{alert.pk}/")

    assert response.status_code == 200
    text = _text(response)
    assert "<h1>Mass deletion: bob deleted 150 contacts</h1>" in text
    # From and To in the account's time zone (Acme's is Europe/Rome), named.
    start = timezone.localtime(alert.started_at, acme.tzinfo)
    end = timezone.localtime(alert.last_at, acme.tzinfo)
    assert f"<dt>From</dt><dd>{start:%Y-%m-%d %H:%M} (Europe/Rome)</dd>" in text
    assert f"<dt>To</dt><dd>{end:%Y-%m-%d %H:%M} (Europe/Rome)</dd>" in text
    assert "bulk action (150)" in text
    assert "Suspend bob's deletions" in text
    assert "Dismiss the alert" in text


def test_the_alert_page_names_counts_with_the_crm_labels(acme, alice, bob, page):
    """ "120 companies", not the entity type with an s ("120 companys")."""
    ids = [make(acme, "company", title=f"Company {i}").pk for i in range(120)]
    bulk_delete(acme, ids, by=bob, entity_type="company")
    (alert,) = alerts_of(acme)

    text = _text(page(alice).get(f"/alerts/{alert.pk}/"))

    assert "<dd>120 companies</dd>" in text
    assert "120 records come back with their ids, fields and links: 120 companies." in text
    assert "compan" + "ys" not in text


def test_the_list_shows_alerts_and_an_empty_state(acme, alice, globex, charlie, page, alert):
    text = _text(page(alice).get("/alerts/"))
    assert "bob deleted 150 contacts" in text
    assert f'href="/alerts/{alert.pk}/"' in text

    empty = _text(page(charlie).get("/alerts/"))
    assert "No alerts." in empty
    assert "bob" not in empty


def test_the_free_plan_alert_page_offers_the_report_and_the_upgrade(acme, alice, page, alert):
    acme.plan = Plan.FREE
    acme.save(update_fields=["plan"])

    text = _text(page(alice).get(f"/alerts/{alert.pk}/"))

    assert "Upgrade or start the demo" in text
    assert "report this deletion to the helpdesk" in text
    assert "Bring back" not in text
