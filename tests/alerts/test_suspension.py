"""Stop the damage (issue 11): from the alert, an administrator suspends the
actor's deletions; every delete of that actor (pages, API with their token, bulk
actions) is refused with 403 deletions_suspended and deletes nothing, until an
administrator lifts it. Both are recorded in the History."""

from __future__ import annotations

import html

import pytest

from accounts.models import Membership, Role
from crm.models import Company, Contact
from crm_history.models import Event
from tests.factories import make, member

from .conftest import API, alerts_of, bulk_delete, contacts, filler_contacts, fingerprint

pytestmark = pytest.mark.django_db(transaction=True)

REFUSAL = (
    "An administrator has suspended your deletions after a mass deletion; ask them to lift it."
)


@pytest.fixture
def alert(acme, alice, bob):
    ids = contacts(acme, 100)
    filler_contacts(acme, 900)
    bulk_delete(acme, ids, by=bob)
    (alert,) = alerts_of(acme)
    return alert


@pytest.fixture
def suspended(alert, alice, api):
    response = api(alice).post(f"{API}{alert.pk}/suspend-actor/")
    assert response.status_code == 200, response.json()
    assert response.json()["actor_suspended"] is True
    return alert


def test_suspending_is_recorded_in_the_history(acme, alice, bob, suspended):
    membership = Membership.objects.get(user=bob)
    assert membership.deletions_suspended_at is not None
    assert membership.deletions_suspended_by_id == alice.pk
    event = Event.objects.get(account=acme, entity_type="alert", action="update")
    assert event.entity_id == suspended.pk
    assert event.title == "Deletions by bob suspended"
    assert (event.actor_id, event.actor_name, event.source) == (alice.pk, "alice", "api")


def test_a_suspended_actor_cannot_delete_through_the_api_with_their_token(
    acme, bob, api, suspended
):
    ids = contacts(acme, 3)
    before = fingerprint()
    client = api(bob)

    single = client.delete(f"/api/v1/crm/contacts/{ids[0]}/")
    bulk = client.post("/api/v1/crm/contacts/bulk-delete/", {"ids": ids}, format="json")

    for response in (single, bulk):
        assert response.status_code == 403
        assert response.json() == {"code": "deletions_suspended", "detail": REFUSAL}
    assert fingerprint() == before
    assert Contact.objects.filter(pk__in=ids).count() == 3


def test_a_suspended_actor_cannot_delete_on_pages(acme, bob, page, suspended):
    ids = contacts(acme, 3)
    before = fingerprint()
    client = page(bob)

    single = client.post(f"/crm/contacts/{ids[0]}/delete/", follow=True)
    bulk = client.post("/crm/contacts/bulk-delete/", {"ids": ids, "confirmed": "yes"}, follow=True)

    for response in (single, bulk):
        assert response.status_code == 200
        assert REFUSAL in html.unescape(response.content.decode())
    assert fingerprint() == before


def test_a_suspended_actor_cannot_bulk_delete_any_entity_type(acme, bob, api, suspended):
    companies = [make(acme, "company", title=f"Co {i}").pk for i in range(2)]

    response = api(bob).post(
        "/api/v1/crm/companies/bulk-delete/", {"ids": companies}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "deletions_suspended"
    assert Company.objects.filter(pk__in=companies).count() == 2


def test_other_members_still_delete(acme, alice, api, suspended):
    carol = member(acme, Role.EMPLOYEE, username="carol")
    ids = contacts(acme, 2)

    assert api(alice).delete(f"/api/v1/crm/contacts/{ids[0]}/").status_code == 204
    assert api(carol).delete(f"/api/v1/crm/contacts/{ids[1]}/").status_code == 204
    assert not Contact.objects.filter(pk__in=ids).exists()


def test_lifting_lets_the_actor_delete_again_and_is_recorded(acme, alice, bob, api, suspended):
    ids = contacts(acme, 1)

    response = api(alice).post(f"{API}{suspended.pk}/lift-suspension/")

    assert response.status_code == 200, response.json()
    assert response.json()["actor_suspended"] is False
    assert Membership.objects.get(user=bob).deletions_suspended_at is None
    lifted = Event.objects.filter(account=acme, entity_type="alert", action="update").latest("id")
    assert lifted.title == "Suspension of bob's deletions lifted"
    assert lifted.actor_id == alice.pk
    assert api(bob).delete(f"/api/v1/crm/contacts/{ids[0]}/").status_code == 204


def test_suspend_and_lift_from_the_alert_page(acme, alice, bob, page, alert):
    client = page(alice)

    text = client.post(f"/alerts/{alert.pk}/suspend/", follow=True).content.decode()
    assert "Deletions by bob are suspended." in text
    assert "Lift the suspension" in text
    assert Membership.objects.get(user=bob).deletions_suspended_at is not None

    text = client.post(f"/alerts/{alert.pk}/lift/", follow=True).content.decode()
    assert "bob can delete records again." in text
    assert Membership.objects.get(user=bob).deletions_suspended_at is None


def test_suspending_twice_or_lifting_what_is_not_suspended_is_a_409(alice, api, alert):
    client = api(alice)

    assert client.post(f"{API}{alert.pk}/lift-suspension/").status_code == 409
    assert client.post(f"{API}{alert.pk}/suspend-actor/").status_code == 200
    again = client.post(f"{API}{alert.pk}/suspend-actor/")
    assert again.status_code == 409
    assert again.json() == {"code": "conflict", "detail": "Deletions by bob are suspended already."}


def test_an_administrator_cannot_suspend_their_own_deletions(acme, alice, api):
    ids = contacts(acme, 100)
    filler_contacts(acme, 900)
    bulk_delete(acme, ids, by=alice)
    (alert,) = alerts_of(acme)

    response = api(alice).post(f"{API}{alert.pk}/suspend-actor/")

    assert response.status_code == 409
    assert response.json()["detail"] == "You cannot suspend your own deletions."
    assert Membership.objects.get(user=alice).deletions_suspended_at is None


def test_a_share_alert_has_nobody_to_suspend(acme, alice, bob, api):
    ids = contacts(acme, 50)
    bulk_delete(acme, ids[:11], by=bob)
    (alert,) = alerts_of(acme)
    assert alert.kind == "share"

    response = api(alice).post(f"{API}{alert.pk}/suspend-actor/")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
