"""Accessibility checked by a machine: axe-core on every main page (no violation of
impact "serious" or "critical"), and at phone width (390 px) every control of
those pages reachable with the Tab key, with nothing wider than the screen."""

from __future__ import annotations

import pytest
from django.utils import timezone

from restore_requests import services as request_services

from .conftest import PHONE, assert_accessible, axe_problems, log_in
from .world import bulk_delete, crm_data, nightly_backup, proposed_request

pytestmark = [
    pytest.mark.e2e,
    # The live server needs committed data; small ids read better in the screenshots.
    pytest.mark.django_db(transaction=True, reset_sequences=True),
]


@pytest.fixture
def pages(acme, alice, bob, helen):
    """Acme with data, a mass deletion, a backup, a proposed request and a report; the
    main pages of each kind of user as (user, path, what the page must show)."""
    data = crm_data(acme, alice)
    snapshot = nightly_backup(acme)
    bulk_delete(acme, bob, data["contacts"][:20])
    request = proposed_request(
        acme, alice, helen, snapshot, deleted_at=timezone.now(), option="crm_rollback"
    )
    request_services.report_file(
        account=acme,
        actor=alice,
        person="A former temp",
        deleted_at=timezone.now(),
        description="Deleted two leads from a shared computer.",
    )
    contact = data["contacts"][-1]
    admin = [
        ("/crm/contacts/", "Contacts"),
        (f"/crm/contacts/{contact.pk}/", str(contact)),
        ("/crm/contacts/new/", "New contact"),
        (f"/crm/contacts/{contact.pk}/edit/", "Edit contact"),
        ("/crm/companies/", "Companies"),
        ("/crm/deals/", "Deals"),
        ("/crm/leads/", "Leads"),
        ("/crm/products/", "Products"),
        ("/crm/custom-fields/", "Custom fields"),
        ("/history/", "History"),
        ("/history/?action=delete", "History"),
        ("/recycle-bin/", "Recycle Bin"),
        ("/restore/", "Restore data"),
        ("/restore/new/", "New restore request"),
        (f"/restore/{request.pk}/", f"Restore request #{request.pk}"),
        (
            f"/restore/{request.pk}/?preview={snapshot.pk}&option=crm_rollback#impact",
            "Impact of",
        ),
        ("/restore/report/", "Report a deletion"),
        ("/backups/", "Backups"),
        ("/plan/", "Plan"),
        ("/crm/import/", "Import records from CSV"),
        ("/alerts/", "alerts"),
    ]
    employee = [("/recycle-bin/", "Recycle Bin"), ("/history/", "History")]
    helpdesk = [
        ("/helpdesk/", "Restore requests"),
        (f"/helpdesk/requests/{request.pk}/", f"Request #{request.pk}"),
        ("/helpdesk/reports/", "Deletion reports"),
        ("/helpdesk/accounts/", "Accounts"),
        (f"/helpdesk/accounts/{acme.pk}/", "Acme"),
    ]
    return {"alice": (alice, admin), "bob": (bob, employee), "helen": (helen, helpdesk)}


def _open(page, path, heading):
    response = page.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    main = page.locator("main").inner_text()
    assert heading.lower() in main.lower(), f"{path} does not show {heading!r}:\n{main[:1500]}"


def test_main_pages_have_no_serious_or_critical_axe_violation(new_context, login, pages, shot):
    anonymous = new_context().new_page()
    anonymous.goto("/login/")
    problems = axe_problems(anonymous)
    for user, paths in pages.values():
        page = login(user)
        for path, heading in paths:
            _open(page, path, heading)
            problems += axe_problems(page)
    assert not problems, "\n".join(problems)


# What Tab must reach: every visible control that is not disabled; a group of radio
# buttons counts once (Tab enters the group, the arrow keys move inside it).
FOCUSABLE = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]';
  const seen = [];
  document.querySelectorAll(selector).forEach((el, i) => {
    if (el.disabled || el.getAttribute('tabindex') === '-1') return;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') return;
    if (el.closest('[hidden], [aria-hidden=true]')) return;
    // A control clipped away (sr-only) is not shown; the skip link shows on focus.
    if (el.closest('.sr-only')) return;
    const key = el.type === 'radio' ? 'radio:' + el.name : String(i);
    el.dataset.e2eFocus = key;
    if (!seen.includes(key)) seen.push(key);
  });
  return seen;
}"""
ACTIVE = "() => document.activeElement && document.activeElement.dataset.e2eFocus || null"


def _tab_through(page, limit: int) -> set[str]:
    """Press Tab from the top of the page until focus comes back to the first control
    (a date field takes one Tab per part: day, month, year, hours, minutes)."""
    reached = []
    page.locator("body").focus()
    for _ in range(limit):
        page.keyboard.press("Tab")
        key = page.evaluate(ACTIVE)
        if reached and key == reached[0] and len(set(reached)) > 1 and reached[-1] != key:
            break  # round the page once
        if key is not None:
            reached.append(key)
    return set(reached)


def test_at_390px_every_control_is_reached_with_tab_and_nothing_overflows(new_context, pages, shot):
    problems = []
    for name, (user, paths) in pages.items():
        page = new_context(viewport=PHONE).new_page()
        log_in(page, user.get_username())
        for path, heading in paths:
            _open(page, path.split("#")[0], heading)
            expected = set(page.evaluate(FOCUSABLE))
            reached = _tab_through(page, limit=3 * len(expected) + 30)
            missed = expected - reached
            if missed:
                labels = page.evaluate(
                    "(ids) => ids.map(i => document.querySelector(`[data-e2e-focus='${i}']`)"
                    ".outerHTML.slice(0, 120))",
                    sorted(missed),
                )
                problems.append(f"{name} {path}: Tab never reaches {labels}")
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 1:
                problems.append(f"{name} {path}: the page is {overflow}px wider than the screen")
        if name == "alice":
            page.goto("/history/")
            shot(page, "history at 390px", readme="phone-history")
    assert not problems, "\n".join(problems)


def test_login_page_is_accessible(new_context):
    page = new_context().new_page()
    page.goto("/login/")
    assert_accessible(page)
