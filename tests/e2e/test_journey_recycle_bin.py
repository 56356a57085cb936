"""Journey f, the recycle bin: an employee restores a contact they deleted; an
administrator restores a deal together with its deleted company."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from crm.models import Company, Contact, Deal

from .conftest import assert_accessible
from .world import actor, crm_data

pytestmark = [
    pytest.mark.e2e,
    # The live server needs committed data; small ids read better in the screenshots.
    pytest.mark.django_db(transaction=True, reset_sequences=True),
]


def test_an_employee_brings_back_a_contact_they_deleted_with_its_id(login, acme, alice, bob, shot):
    data = crm_data(acme, alice, contacts=6)
    contact = data["contacts"][2]
    url = f"/crm/contacts/{contact.pk}/"

    page = login(bob)
    page.goto(url)
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(contact))
    page.get_by_role("button", name="Delete").click()
    expect(page.locator(".messages")).to_contain_text(f"“{contact}” was deleted")
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert page.goto(url).status == 404

    page.goto("/recycle-bin/")
    row = page.locator("tbody tr", has_text=str(contact))
    expect(row).to_contain_text("bob")
    expect(page.locator("tbody tr")).to_have_count(1)  # an employee sees their own deletions
    shot(page, "the employee's recycle bin")
    assert_accessible(page)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Restore selected…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Restore 1 record?")
    page.get_by_role("button", name="Restore", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"Restored contact “{contact}”, with its id.")
    expect(page.locator(".empty")).to_contain_text("The recycle bin is empty")

    # Back with its id: the old URL works again, with every field.
    back = Contact.objects.get(pk=contact.pk)
    assert (back.name, back.last_name, back.email, back.company_id) == (
        contact.name,
        contact.last_name,
        contact.email,
        contact.company_id,
    )
    assert page.goto(url).status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(contact))


def test_an_administrator_brings_back_a_deal_with_its_deleted_company(
    login, acme, alice, bob, shot
):
    from crm import services

    data = crm_data(acme, alice, contacts=3)
    deal, company = data["deal"], data["companies"][1]
    assert deal.company_id == company.pk
    # Bob deletes the deal, then its company.
    services.record_delete(account=acme, entity_type="deal", record_id=deal.pk, actor=actor(bob))
    services.record_delete(
        account=acme, entity_type="company", record_id=company.pk, actor=actor(bob)
    )

    page = login(alice)
    page.goto("/recycle-bin/")
    expect(page.locator("tbody tr")).to_have_count(2)
    row = page.locator("tbody tr", has_text=deal.title)
    expect(row).to_contain_text(f"Its company “{company.title}” is in the bin too.")
    shot(page, "the recycle bin", readme="recycle-bin")
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Restore selected…").click()

    # The company is offered, ticked, so the deal's link holds.
    parents = page.locator("#parents")
    also = parents.get_by_label(re.compile(rf"Also bring back the company “{company.title}”"))
    expect(also).to_be_checked()
    shot(page, "the deal and its company")
    assert_accessible(page)
    page.get_by_role("button", name="Restore", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"“{deal.title}”")
    expect(page.locator(".messages")).to_contain_text(f"“{company.title}”")

    back = Deal.objects.get(pk=deal.pk)
    assert back.company_id == company.pk
    assert Company.objects.filter(pk=company.pk, title=company.title).exists()
    page.goto(f"/crm/deals/{deal.pk}/")
    expect(page.locator("main")).to_contain_text(company.title)
    shot(page, "the deal is back with its company")
