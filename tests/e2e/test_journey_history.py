"""Journeys a and b on the History page: an administrator finds who deleted contacts
with the delete filter (R2) and the deletions chart shows the hour; a Free-plan
administrator meets the upgrade prompt, starts the demo and then sees the
deletions made before it (R3, R4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Plan, Role
from tests.factories import AccountFactory, member

from .conftest import assert_accessible
from .world import bulk_delete, crm_data

pytestmark = [
    pytest.mark.e2e,
    # The live server needs committed data; small ids read better in the screenshots.
    pytest.mark.django_db(transaction=True, reset_sequences=True),
]


def test_r3_r4_a_free_plan_administrator_starts_the_demo_and_sees_the_deletions_made_before(
    login, shot
):
    free = AccountFactory(name="Bottega Verdi", plan=Plan.FREE, timezone="Europe/Rome")
    owner = member(free, Role.ADMIN, username="olga")
    clerk = member(free, Role.EMPLOYEE, username="carlo")
    data = crm_data(free, owner, contacts=5)
    gone = data["contacts"][:3]
    bulk_delete(free, clerk, gone)  # R4: recorded while the plan has no History

    page = login(owner)
    page.goto("/history/")
    expect(page.get_by_role("heading", level=1)).to_have_text("History")
    plans = page.locator("#history-plans")
    expect(plans).to_contain_text("Your plan, Free, does not include it.")
    expect(plans.get_by_role("link", name="Upgrade")).to_have_attribute("href", "/plan/")
    expect(page.locator("table")).to_have_count(0)
    shot(page, "the upgrade prompt", readme="history-upgrade")
    assert_accessible(page)

    # R3: the 15-day Professional demo, once, from the same page.
    plans.get_by_role("button", name="Start the 15-day demo").click()
    expect(page.locator(".messages")).to_contain_text("Your 15-day Professional demo has started")
    expect(page).to_have_url(re.compile(r"/history/$"))
    expect(page.locator(".badge-demo")).to_have_text("Demo: 15 days left")

    # R4: the deletions made before the demo are all there, with who and when.
    page.get_by_label("Action").select_option("delete")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("table.timeline tbody tr")
    expect(rows).to_have_count(3)
    for contact in gone:
        row = rows.filter(has_text=str(contact))
        expect(row).to_contain_text("carlo")
        expect(row).to_contain_text("no longer exists")
    shot(page, "the deletions made before the demo")
    assert_accessible(page)

    # The demo is once per account.
    page.goto("/plan/")
    expect(page.locator("main")).to_contain_text("Your 15-day Professional demo runs until")
    expect(page.get_by_role("button", name=re.compile("Start the 15-day"))).to_have_count(0)


def test_r2_an_administrator_finds_who_deleted_contacts_and_the_chart_shows_the_hour(
    login, acme, alice, bob, shot
):
    data = crm_data(acme, alice)
    gone = data["contacts"][:24]
    bulk_delete(acme, bob, gone)

    page = login(alice)
    page.goto("/history/")
    chart = page.locator("#deletions-chart")
    expect(chart).to_contain_text("24 in all")

    # R2: "delete" alone, every other filter empty: every deletion with its actor and time.
    page.get_by_label("Action").select_option("delete")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"action=delete"))
    rows = page.locator("table.timeline tbody tr")
    expect(rows).to_have_count(24)
    for i in range(24):
        expect(rows.nth(i)).to_contain_text("bob")
        expect(rows.nth(i).locator(".badge")).to_have_text("Deleted")
    expect(rows.filter(has_text=str(gone[0]))).to_contain_text("no longer exists")
    rows.first.locator("summary").click()
    expect(rows.first.locator("details dl")).to_be_visible()

    # The chart: today's bar holds the 24 deletions; selecting it shows them hour by hour.
    today = chart.locator("a.bar-link", has=page.locator("text.count", has_text="24"))
    expect(today).to_have_count(1)
    today.click()
    expect(page).to_have_url(re.compile(r"chart_day=\d{4}-\d{2}-\d{2}"))
    hours = page.locator("#deletions-chart a.bar-link")
    expect(hours).to_have_count(24)
    hour = page.locator("#deletions-chart a.bar-link", has=page.locator("text.count"))
    expect(hour).to_have_count(1)  # one hour stands out: the mass deletion
    expect(hour.locator("text.count")).to_have_text("24")
    label = hour.get_attribute("aria-label")
    assert re.search(r"\d{2}:00", label) and "24" in label, label
    shot(page, "the deletions hour by hour", readme="history-chart")
    hour.click()

    # The hour's bar filters the timeline to that hour's deletions.
    expect(page).to_have_url(re.compile(r"occurred_after=.*occurred_before="))
    expect(page.locator("#deletions-chart a.bar-link.selected")).to_have_count(1)
    expect(page.get_by_label("Action")).to_have_value("delete")
    expect(rows).to_have_count(24)
    shot(page, "the deletions of that hour")
    assert_accessible(page)
