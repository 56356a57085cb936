"""Journey e: an employee sees no Restore menu and is refused the page by URL;
another account's record URL is a 404 page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible
from .world import make

pytestmark = [
    pytest.mark.e2e,
    # The live server needs committed data; small ids read better in the screenshots.
    pytest.mark.django_db(transaction=True, reset_sequences=True),
]


def test_r9_an_employee_has_no_restore_menu_is_refused_by_url_and_meets_404_for_other_accounts(
    login, acme, globex, alice, bob, charlie, shot
):
    ours = make(acme, "contact", name="Anna", last_name="Neri")
    theirs = make(globex, "contact", name="Walter", last_name="White")

    page = login(bob)
    page.goto("/crm/contacts/")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Contacts")).to_be_visible()
    expect(menu.get_by_role("link", name="History")).to_be_visible()
    expect(menu.get_by_role("link", name="Recycle Bin")).to_be_visible()
    for admin_only in ("Restore data", "Backups", "Plan", "Alerts"):
        expect(menu.get_by_role("link", name=admin_only)).to_have_count(0)
    shot(page, "the employee's menu")

    # R9: the restore pages by URL are refused, with the site's page that says why.
    for path in ("/restore/", "/restore/new/", "/backups/"):
        response = page.goto(path)
        assert response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
        expect(page.get_by_role("link", name="Back to the start")).to_be_visible()
    shot(page, "the restore page refused", readme="refused")
    assert_accessible(page)

    # Another account's record: a 404 page, the same as a record that never existed.
    response = page.goto(f"/crm/contacts/{ours.pk}/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anna Neri")
    for path in (f"/crm/contacts/{theirs.pk}/", f"/crm/contacts/{theirs.pk}/edit/"):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        expect(page.locator("main")).not_to_contain_text("Walter")
    missing = page.goto(f"/crm/contacts/{theirs.pk + 1000}/")
    assert missing.status == 404
    shot(page, "another account's record is not found")
    assert_accessible(page)

    # The administrator of the same account does see the menu and the page.
    admin = login(alice)
    admin.goto("/crm/contacts/")
    expect(
        admin.get_by_role("navigation", name="Main").get_by_role("link", name="Restore data")
    ).to_be_visible()
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Restore data").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Restore data")
