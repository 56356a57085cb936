"""Journeys g and h: a CRM list says how many records its filters hide (R5) and
clearing them shows the records; a form sent with bad input shows the error
beside the field and keeps what was typed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from crm.models import Contact

from .conftest import assert_accessible
from .world import crm_data

pytestmark = [
    pytest.mark.e2e,
    # The live server needs committed data; small ids read better in the screenshots.
    pytest.mark.django_db(transaction=True, reset_sequences=True),
]


def test_r5_filters_say_how_many_records_they_hide_and_clearing_them_shows_the_records(
    login, acme, alice, bob, shot
):
    crm_data(acme, alice)  # 28 contacts, one of them a Rossi
    page = login(bob)
    page.goto("/crm/contacts/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(28)

    # Bob searches for one surname and forgets the filter; the list says what it hides.
    page.get_by_label("Search").fill("Rossi")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]q=Rossi"))
    expect(rows).to_have_count(1)
    hidden = page.locator("#hidden-by-filters")
    expect(hidden).to_contain_text("27 records hidden by your filters")
    expect(hidden).to_contain_text("Rossi")
    shot(page, "filters hide 27 contacts", readme="filters-hide-records")
    assert_accessible(page)

    # "Clear filters" beside the notice shows every contact again.
    hidden.get_by_role("link", name="Clear filters").click()
    expect(page).to_have_url(re.compile(r"/crm/contacts/$"))
    expect(rows).to_have_count(28)
    expect(page.locator("#hidden-by-filters")).to_have_count(0)
    expect(page.get_by_label("Search")).to_have_value("")
    shot(page, "every contact again")


def test_a_form_sent_with_bad_input_shows_the_error_beside_the_field_and_keeps_the_input(
    login, acme, alice, bob, shot
):
    page = login(bob)
    page.goto("/crm/contacts/new/")
    page.get_by_label("First name").fill("Giulia")
    page.get_by_label("Last name").fill("Bianchi")
    page.get_by_label("Position").fill("Head chef")
    email = page.get_by_label("Work e-mail")
    email.fill("giulia.at.bellavista")
    page.get_by_role("button", name="Save").click()

    # Refused: the error sits in the e-mail's own field, tied to the input for
    # screen readers; everything typed is still there.
    field = page.locator(".field", has=email)
    expect(field).to_have_class(re.compile(r"has-error"))
    error = field.locator(".error")
    expect(error).to_contain_text(re.compile(r"valid e-?mail", re.I))
    expect(email).to_have_attribute("aria-invalid", "true")
    described = email.get_attribute("aria-describedby") or ""
    assert error.get_attribute("id") in described.split()
    expect(email).to_have_value("giulia.at.bellavista")
    expect(page.get_by_label("First name")).to_have_value("Giulia")
    expect(page.get_by_label("Last name")).to_have_value("Bianchi")
    expect(page.get_by_label("Position")).to_have_value("Head chef")
    assert Contact.objects.filter(account=acme).count() == 0
    shot(page, "the error beside the e-mail", readme="form-error")
    assert_accessible(page)

    # Corrected, it saves, with a message.
    email.fill("giulia@bellavista.example")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Giulia Bianchi")
    contact = Contact.objects.get(account=acme)
    assert (contact.name, contact.last_name, contact.post, contact.email) == (
        "Giulia",
        "Bianchi",
        "Head chef",
        "giulia@bellavista.example",
    )
    expect(page).to_have_url(re.compile(rf"/crm/contacts/{contact.pk}/$"))
