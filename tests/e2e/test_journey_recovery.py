"""Journey c, the whole recovery, on a real Celery worker: the administrator files
a request with the deletion time taken from the chart (R14); the helpdesk sees it
in the queue with the nearest backups and proposes one (R15); the administrator
previews the impact, confirms by typing the account name (R16), watches the
progress bar reach the end without a reload, finds the contacts back (their old
detail URLs work again), then undoes the rollback and sees the state before it."""

from __future__ import annotations

import os
import re
import signal
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backups.restore_models import RestoreRun
from crm.models import Contact
from restore_requests import services as request_services
from restore_requests.models import RestoreRequest

from .conftest import assert_accessible
from .world import bulk_delete, crm_data, make, nightly_backup, wait_past_minute_of

pytestmark = [
    pytest.mark.e2e,
    # The live server needs committed data; small ids read better in the screenshots.
    pytest.mark.django_db(transaction=True, reset_sequences=True),
    pytest.mark.worker,
]

# Records each value the progress bar takes, with the document that showed it, in
# sessionStorage (which outlives a reload): the proof that the bar moved in place.
WATCH_PROGRESS = """() => {
  window.__e2eDocument = window.__e2eDocument || String(Math.random());
  const bar = document.querySelector('.run [role=progressbar]');
  const note = () => {
    const seen = JSON.parse(sessionStorage.getItem('e2e-progress') || '[]');
    seen.push([window.__e2eDocument, Number(bar.getAttribute('aria-valuenow'))]);
    sessionStorage.setItem('e2e-progress', JSON.stringify(seen));
  };
  sessionStorage.removeItem('e2e-progress');
  note();
  new MutationObserver(note).observe(bar, {attributes: true, attributeFilter: ['aria-valuenow']});
  return window.__e2eDocument;
}"""
PROGRESS_SEEN = "() => JSON.parse(sessionStorage.getItem('e2e-progress') || '[]')"


def pause_mid_run(worker, account, timeout: float = 60) -> bool:
    """Stop the worker (SIGSTOP) as soon as the account's run has started its work, so
    the page can be seen mid-run; False when the run ended before it was caught."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = RestoreRun.objects.filter(account=account).order_by("-id").values().first()
        if run["status"] in ("completed", "failed", "cancelled"):
            return False
        if run["status"] == "running":
            os.killpg(worker.process.pid, signal.SIGSTOP)
            return True
        time.sleep(0.005)
    raise AssertionError("The run did not start on the worker.")


@contextmanager
def worker_paused(worker):
    """The worker holds still (SIGSTOP) while the page opens, so the run is seen from
    its start; it goes on (SIGCONT) when the block ends."""
    os.killpg(worker.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(worker.process.pid, signal.SIGCONT)


def _contact_ids(account) -> set[int]:
    return set(Contact.objects.filter(account=account).values_list("pk", flat=True))


def test_r14_r16_the_whole_recovery_from_the_chart_to_the_undo(
    celery_worker, login, acme, alice, bob, globex, charlie, helen, shot
):
    data = crm_data(acme, alice)
    # Another account's request waits in the queue too (no backup of its own).
    request_services.request_file(
        account=globex,
        actor=charlie,
        deleted_at=timezone.now() - timedelta(days=2),
        option="csv_export",
        note="Lost a few deals",
    )
    backup = nightly_backup(acme)

    page = login(alice)
    page.goto("/backups/")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("Complete")
    shot(page, "the backups", readme="backups")
    assert_accessible(page)

    # Bob deletes 24 contacts at once; work goes on: Alice adds a contact.
    wait_past_minute_of(backup.taken_at)
    gone = data["contacts"][:24]
    bulk_delete(acme, bob, gone)
    newcomer = make(acme, "contact", name="Nuovo", last_name="Arrivo")
    before_rollback = _contact_ids(acme)
    assert len(before_rollback) == 5

    # 1. The request form: the chart, its burst, the hours of the day.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Restore data").click()
    page.get_by_role("link", name="New restore request").click()
    chart = page.locator("#deletions-chart")
    expect(chart).to_contain_text("24 in all")
    burst = page.locator("#burst")
    expect(burst).to_contain_text("24 records deleted within")
    today = chart.locator("a.bar-link", has=page.locator("text.count", has_text="24"))
    today.click()
    expect(page).to_have_url(re.compile(r"chart_day="))
    hour = page.locator("#deletions-chart a.bar-link", has=page.locator("text.count"))
    expect(hour).to_have_count(1)
    expect(hour.locator("text.count")).to_have_text("24")

    request_form = page.locator("form", has=page.get_by_role("heading", name="2. Your request"))
    when = request_form.get_by_label("When was the data deleted?")
    # R14: the start of the burst is offered as the deletion time.
    day, start = re.search(r"began on (\S+) at (\d{2}:\d{2})", burst.inner_text()).groups()
    expect(when).to_have_value(f"{day}T{start}")
    request_form.get_by_label("CRM module rollback").check()
    request_form.get_by_label("Note for the helpdesk").fill("Bob deleted our restaurant contacts.")
    shot(page, "the request form's chart", readme="request-form", at=page.locator(".chart-card"))
    shot(page, "the request filled in", at=request_form)
    assert_accessible(page)
    request_form.get_by_role("button", name="Send the request to the helpdesk").click()
    expect(page.locator(".messages")).to_contain_text("was sent to the helpdesk")
    request = RestoreRequest.objects.get(account=acme)
    assert request.option == "crm_rollback"
    assert (
        f"{timezone.localtime(request.deleted_at, acme.tzinfo):%Y-%m-%d %H:%M}" == f"{day} {start}"
    )
    assert request.deleted_at > backup.taken_at

    # 2. The helpdesk's queue: the request with its nearest backup, which holds them all.
    desk = login(helen)
    desk.goto("/helpdesk/")
    row = desk.locator("tbody tr", has_text=f"#{request.pk}")
    expect(row).to_contain_text("Acme")
    expect(row).to_contain_text("Professional")
    expect(row).to_contain_text("24 of 24")
    shot(desk, "the helpdesk queue", readme="helpdesk-queue")
    assert_accessible(desk)
    row.get_by_role("link", name=f"#{request.pk}").click()
    nearest = desk.locator("tbody tr", has_text="recommended")
    expect(nearest).to_contain_text("24 of 24")
    nearest.get_by_role("checkbox").check()
    desk.get_by_label("Message to the administrator").fill(
        "Last night's backup holds all 24 contacts."
    )
    shot(desk, "the helpdesk proposes the backup", readme="helpdesk-request")
    assert_accessible(desk)
    desk.get_by_role("button", name="Propose the selected backups").click()
    expect(desk.locator(".messages")).to_be_visible()
    request.refresh_from_db()
    assert request.status == "proposed"

    # 3. The impact preview, then the confirmation with the account's name.
    page.goto(f"/restore/{request.pk}/")
    expect(page.locator(".message-item")).to_contain_text("Last night's backup holds all 24")
    page.get_by_role("link", name="CRM module rollback").first.click()
    impact = page.locator("#impact")
    expect(impact).to_contain_text("Impact of CRM module rollback")
    contacts_row = impact.locator("tbody tr", has=page.locator("th", has_text="Contacts"))
    expect(contacts_row.locator("td").nth(0)).to_have_text("24")  # back
    expect(contacts_row.locator("td").nth(1)).to_have_text("1")  # lost: the newcomer
    expect(impact).to_contain_text("Nuovo Arrivo")
    shot(page, "the impact preview", readme="impact-preview", at=impact)
    assert_accessible(page)
    page.get_by_label("CRM module rollback").check()
    page.get_by_label("Type the account's name to confirm a rollback").fill("Acme")

    with worker_paused(celery_worker):
        page.get_by_role("button", name="Confirm and start").click()
        bar = page.locator("#run [role=progressbar]")
        expect(bar).to_have_attribute("aria-valuenow", "0")
        document = page.evaluate(WATCH_PROGRESS)

    # 4. The bar moves to the end in the same document (no reload); then the page
    # reloads once to show the result.
    # The worker is held mid-run a moment, long enough for a picture of the bar moving.
    if pause_mid_run(celery_worker, acme):
        try:
            expect(page.locator("#run .run-status")).to_have_text("Running")
            shot(page, "the restore in progress", readme="restore-progress")
        finally:
            os.killpg(celery_worker.process.pid, signal.SIGCONT)
    page.wait_for_function(
        "() => JSON.parse(sessionStorage.getItem('e2e-progress') || '[]')"
        ".some(([doc, value]) => value === 100)",
        timeout=120_000,
    )
    expect(page.locator("h1 .badge")).to_have_text("Completed", timeout=60_000)
    assert page.evaluate("() => window.__e2eDocument || null") is None  # reloaded since
    seen = page.evaluate(PROGRESS_SEEN)
    values = [value for _, value in seen]
    assert {doc for doc, _ in seen} == {document}, seen  # every value in one document
    assert values[0] == 0 and values[-1] == 100 and values == sorted(values), values
    result = page.locator("#run table")
    expect(result.locator("tr", has_text="Contacts").locator("td").first).to_have_text("24")
    shot(page, "the rollback completed", readme="restore-completed")
    assert_accessible(page)

    # 5. The contacts are back with their ids: their old URLs work again.
    assert _contact_ids(acme) == {c.pk for c in data["contacts"]}
    for contact in (gone[0], gone[-1]):
        assert page.goto(f"/crm/contacts/{contact.pk}/").status == 200
        expect(page.get_by_role("heading", level=1)).to_contain_text(str(contact))
    assert page.goto(f"/crm/contacts/{newcomer.pk}/").status == 404
    page.goto("/crm/contacts/")
    expect(page.locator("table tbody tr")).to_have_count(28)

    # 6. Undo: the account as it was just before the rollback.
    page.goto(f"/restore/{request.pk}/")
    page.get_by_role("button", name="Undo the rollback").click()
    expect(page.locator(".timeline")).to_contain_text("Undo completed", timeout=120_000)
    expect(page.get_by_role("button", name="Undo the rollback")).to_have_count(0)
    shot(page, "the rollback undone")
    assert _contact_ids(acme) == before_rollback
    assert page.goto(f"/crm/contacts/{newcomer.pk}/").status == 200
    assert page.goto(f"/crm/contacts/{gone[0].pk}/").status == 404
    page.goto("/crm/contacts/")
    expect(page.locator("table tbody tr")).to_have_count(5)
