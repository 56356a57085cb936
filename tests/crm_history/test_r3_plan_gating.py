"""R3: viewing the History is for the commercial plans and the 15-day demo.
Other plans see what History is, which plans have it, Upgrade and the demo
button (administrators); the API answers 403 `plan_upgrade_required`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Plan
from tests.crm_history.conftest import EVENTS_URL, add_event


def _free(account, **changes):
    account.plan = Plan.FREE
    for name, value in changes.items():
        setattr(account, name, value)
    account.save()
    return account


def test_r3_the_api_answers_plan_upgrade_required_on_the_free_plan(acme, alice, bob, api):
    _free(acme)
    add_event(acme, at=datetime(2026, 11, 1, tzinfo=UTC))

    for user in (alice, bob):
        response = api(user).get(EVENTS_URL, {"action": "delete"})
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "plan_upgrade_required"
        assert "Basic, Standard, Professional, Enterprise" in body["detail"]
        assert "results" not in body


@pytest.mark.parametrize("plan", [Plan.BASIC, Plan.STANDARD, Plan.PROFESSIONAL, Plan.ENTERPRISE])
def test_r3_every_commercial_plan_sees_the_history(acme, alice, api, plan):
    acme.plan = plan
    acme.save()
    add_event(acme, at=datetime(2026, 11, 1, tzinfo=UTC))

    response = api(alice).get(EVENTS_URL)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_r3_the_running_demo_grants_the_history_and_its_end_takes_it_back(acme, alice, api):
    _free(acme, demo_started_at=timezone.now() - timedelta(days=14))
    add_event(acme, at=datetime(2026, 11, 1, tzinfo=UTC))

    assert api(alice).get(EVENTS_URL).status_code == 200

    _free(acme, demo_started_at=timezone.now() - timedelta(days=15, seconds=1))
    ended = api(alice).get(EVENTS_URL)
    assert ended.status_code == 403
    assert ended.json()["code"] == "plan_upgrade_required"


def test_r3_an_administrator_on_free_sees_what_history_is_upgrade_and_the_demo_button(
    acme, alice, page
):
    _free(acme)
    add_event(acme, at=datetime(2026, 11, 1, tzinfo=UTC), title="Secret deletion")

    response = page(alice).get("/history/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "What the History is" in html
    assert "It is part of: Basic, Standard, Professional, Enterprise" in html
    assert '<a class="button primary" href="/plan/">Upgrade</a>' in html
    assert '<form method="post" action="/plan/demo/"' in html
    assert '<input type="hidden" name="next" value="/history/">' in html
    assert "Start the 15-day demo" in html
    assert "Secret deletion" not in html  # no event is shown
    assert '<a href="/history/" aria-current="page">History</a>' in html


def test_r3_an_employee_on_free_is_told_to_ask_an_administrator(acme, alice, bob, page):
    _free(acme)

    html = page(bob).get("/history/").content.decode()

    assert "What the History is" in html
    assert "It is part of: Basic, Standard, Professional, Enterprise" in html
    assert 'id="ask-admin"' in html
    assert "ask alice" in html
    assert 'action="/plan/demo/"' not in html
    assert 'href="/plan/"' not in html


def test_r3_only_an_administrator_can_start_the_demo(acme, alice, bob, page):
    _free(acme)

    response = page(bob).post("/plan/demo/", {"next": "/history/"})

    assert response.status_code == 403
    acme.refresh_from_db()
    assert acme.demo_started_at is None


def test_r3_a_used_demo_is_not_offered_again(acme, alice, page):
    _free(acme, demo_started_at=timezone.now() - timedelta(days=40))

    html = page(alice).get("/history/").content.decode()

    assert "Start the 15-day demo" not in html
    assert "already used its 15-day demo" in html
    assert '<a class="button primary" href="/plan/">Upgrade</a>' in html
