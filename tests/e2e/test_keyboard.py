"""Filing a restore request with the keyboard alone: Tab, Shift+Tab, Enter, Space,
the arrow keys of a radio group and typing; no click. Every control on the way
shows where the focus is."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from restore_requests.models import RestoreRequest
from tests.factories import PASSWORD

from .conftest import assert_accessible
from .world import bulk_delete, crm_data

pytestmark = [
    pytest.mark.e2e,
    # The live server needs committed data; small ids read better in the screenshots.
    pytest.mark.django_db(transaction=True, reset_sequences=True),
]

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  let label = '';
  if (el.labels && el.labels.length) {  // the label as read out: without aria-hidden parts
    const copy = el.labels[0].cloneNode(true);
    copy.querySelectorAll('[aria-hidden=true]').forEach((hidden) => hidden.remove());
    label = copy.textContent;
  }
  const style = getComputedStyle(el);
  return {
    name: (el.getAttribute('aria-label') || label || el.innerText || el.value || '').trim(),
    tag: el.tagName.toLowerCase(),
    outlined: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
  };
}"""


def focused(page: Page) -> dict | None:
    return page.evaluate(FOCUSED)


def tab_to(page: Page, name: str | re.Pattern, *, back: bool = False, limit: int = 80) -> dict:
    """Press Tab (Shift+Tab with `back`) until the focused control is called `name`."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if now is None:
            continue
        matches = name.search(now["name"]) if isinstance(name, re.Pattern) else now["name"] == name
        if matches:
            assert now["outlined"], f"{name!r} shows no focus outline"
            return now
    raise AssertionError(f"{key} never reached {name!r}")


def test_an_administrator_files_a_restore_request_with_the_keyboard_alone(
    new_context, acme, alice, bob, shot
):
    data = crm_data(acme, alice)
    bulk_delete(acme, bob, data["contacts"][:24])

    page = new_context().new_page()
    page.goto("/login/")
    tab_to(page, "Username")
    page.keyboard.type("alice")
    tab_to(page, "Password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/login/"))

    # The menu: Restore data, then the new request.
    tab_to(page, "Restore data")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Restore data")
    # The skip link leads past the menu, straight to the page's own content.
    tab_to(page, "Skip to content")
    page.keyboard.press("Enter")
    tab_to(page, "New restore request", limit=5)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("New restore request")

    # The form: the deletion time is offered (the burst's start); choose the option
    # with the arrow keys, type a note, send.
    request_form = page.locator("form", has=page.get_by_role("heading", name="2. Your request"))
    offered = request_form.get_by_label("When was the data deleted?").input_value()
    assert offered, "the burst's start is offered as the deletion time"
    tab_to(page, "Send the request to the helpdesk")
    tab_to(page, "Note for the helpdesk", back=True, limit=5)
    page.keyboard.type("Bob deleted 24 contacts; please restore them.")
    tab_to(page, "CSV file", back=True, limit=5)  # the group's checked radio
    page.keyboard.press("ArrowUp")
    expect(request_form.get_by_label("CRM module rollback")).to_be_checked()
    assert focused(page)["name"] == "CRM module rollback"
    page.keyboard.press("Space")  # stays chosen
    tab_to(page, "Note for the helpdesk", limit=5)
    shot(page, "filed with the keyboard")
    tab_to(page, "Send the request to the helpdesk", limit=5)
    page.keyboard.press("Enter")

    expect(page.locator(".messages")).to_contain_text("was sent to the helpdesk")
    request = RestoreRequest.objects.get(account=acme)
    assert (request.option, request.note, request.filed_by_id) == (
        "crm_rollback",
        "Bob deleted 24 contacts; please restore them.",
        alice.pk,
    )
    expect(page).to_have_url(re.compile(rf"/restore/{request.pk}/$"))
    assert_accessible(page)
