"""Who may use alerts (issue 11): administrators of the account only. Employees
are refused every endpoint with 403 admin_required, another account's
administrator gets 404 not_found for our alerts, anonymous callers 401; the
pages answer the same way (403 page, 404 page, log-in)."""

from __future__ import annotations

import pytest

from accounts.models import Membership
from crm.models import Contact

from .conftest import API, alerts_of, bulk_delete, contacts, filler_contacts, fingerprint

pytestmark = pytest.mark.django_db(transaction=True)

ALERT_ENDPOINTS = [
    ("get", "{id}/"),
    ("get", "{id}/preview/"),
    ("post", "{id}/undo/"),
    ("post", "{id}/dismiss/"),
    ("post", "{id}/suspend-actor/"),
    ("post", "{id}/lift-suspension/"),
]
ENDPOINTS = [("get", ""), ("get", "rules/"), ("put", "rules/"), *ALERT_ENDPOINTS]
PAGES = [
    ("get", "{id}/"),
    *[("post", f"{{id}}/{a}/") for a in ("undo", "dismiss", "suspend", "lift")],
]


@pytest.fixture
def alert(acme, alice, bob):
    ids = contacts(acme, 100)
    filler_contacts(acme, 900)
    bulk_delete(acme, ids, by=bob)
    (alert,) = alerts_of(acme)
    return alert


def _call(client, method, path, alert):
    url = API + path.format(id=alert.pk)
    if method == "put":
        return client.put(url, {"burst_count": 2}, format="json")
    return getattr(client, method)(url)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_employees_are_refused_every_alert_endpoint(bob, api, alert, method, path):
    before = fingerprint()

    response = _call(api(bob), method, path, alert)

    assert response.status_code == 403
    assert response.json()["code"] == "admin_required"
    assert fingerprint() == before


@pytest.mark.parametrize(("method", "path"), ALERT_ENDPOINTS)
def test_another_accounts_administrator_gets_404(acme, bob, charlie, api, alert, method, path):
    before = fingerprint()

    response = _call(api(charlie), method, path, alert)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert fingerprint() == before
    alert.refresh_from_db()
    assert (alert.state, alert.undone_at) == ("open", None)
    assert Membership.objects.get(user=bob).deletions_suspended_at is None


def test_another_accounts_administrator_sees_only_their_own_alerts_and_rules(charlie, api, alert):
    client = api(charlie)

    assert client.get(API).json()["results"] == []
    assert client.put(f"{API}rules/", {"burst_count": 7}, format="json").status_code == 200
    assert api(charlie).get(f"{API}rules/").json()["burst_count"] == 7
    from alerts.models import AlertRules

    assert AlertRules.objects.get(account=alert.account).burst_count == 100


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_callers_get_401(api, alert, method, path):
    response = _call(api(None), method, path, alert)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_pages_refuse_employees_and_other_accounts(bob, charlie, page, alert, method, path):
    url = "/alerts/" + path.format(id=alert.pk)
    before = fingerprint()

    assert getattr(page(bob), method)(url).status_code == 403
    assert getattr(page(charlie), method)(url).status_code == 404
    anonymous = getattr(page(None), method)(url)
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]
    assert fingerprint() == before


@pytest.mark.parametrize("url", ["/alerts/", "/alerts/rules/"])
def test_list_and_rules_pages_are_for_administrators(bob, alice, page, url):
    assert page(bob).get(url).status_code == 403
    assert page(alice).get(url).status_code == 200


def test_list_api_newest_first_with_state_filter_and_cursor(acme, alice, bob, api, alert):
    from datetime import timedelta

    from django.utils import timezone

    from crm import services
    from tests.factories import actor_for

    older = contacts(acme, 100)
    services.records_bulk_delete(
        account=acme,
        entity_type="contact",
        ids=older,
        actor=actor_for(bob),
        now=timezone.now() - timedelta(hours=2),
    )
    first, second = alerts_of(acme)  # by id: the current one, then the backdated one
    client = api(alice)
    assert client.post(f"{API}{first.pk}/dismiss/").status_code == 200

    everything = client.get(API, {"page_size": 1})
    assert everything.status_code == 200
    page1 = everything.json()
    assert [a["id"] for a in page1["results"]] == [second.pk]  # created last
    page2 = client.get(page1["next"]).json()
    assert [a["id"] for a in page2["results"]] == [first.pk]
    assert [a["id"] for a in client.get(API, {"state": "open"}).json()["results"]] == [second.pk]
    assert [a["id"] for a in client.get(API, {"state": "dismissed"}).json()["results"]] == [
        first.pk
    ]
    bad = client.get(API, {"state": "closed"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"
    tampered = client.get(API, {"cursor": "not-a-cursor"})
    assert tampered.status_code == 400
    detail = client.get(f"{API}{first.pk}/").json()
    assert detail["state"] == "dismissed"
    assert detail["counts"] == {"contact": 100}
    assert detail["started_at"].endswith("Z")
    assert Contact.objects.filter(account=acme).count() == 900


def test_the_alert_services_themselves_refuse_anyone_but_the_accounts_administrators(
    acme, alice, bob, charlie, alert
):
    """Not only the pages and the API: every caller of the services (a command, a
    task) gets the same answer."""
    from alerts import services
    from recovery_portal.errors import AdminRequired, NotFound

    for call in (
        lambda who: services.alert_dismiss(alert=alert, actor=who),
        lambda who: services.suspend_actor(alert=alert, actor=who),
        lambda who: services.lift_suspension(alert=alert, actor=who),
        lambda who: services.undo_burst(alert=alert, actor=who),
        lambda who: services.rules_update(account=acme, values={"burst_count": 5}, actor=who),
    ):
        with pytest.raises(AdminRequired):
            call(bob)
        with pytest.raises(NotFound):
            call(charlie)
    alert.refresh_from_db()
    assert alert.state == "open" and alert.undone_at is None
