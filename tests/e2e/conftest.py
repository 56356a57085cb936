"""What the end-to-end suite shares: Debian's Chromium driven by Playwright against
the app served on localhost (pytest-django's live server, on the test database,
with data committed: `transactional_db`), a log-in helper, a screenshot helper
and the axe-core accessibility check.

- `browser`: one Chromium for the e2e package. Playwright's sync API keeps an
  event loop running in this thread while it is started, which Django takes for
  an async context; the package-scoped fixture allows Django's sync calls for
  that time only and stops Playwright before any other test package runs.
- `login(user)`: a page of a new browser context logged in through the log-in
  form, once per user and test (django-axes counts failures only, and every test
  starts from an empty database); asking again for the same user gives another
  page of the same context.
- `shot(page, name, readme=None, at=None)`: a viewport screenshot saved to
  test-results/e2e/<test>/NN-name.png; with E2E_README_SHOTS=1 (`make
  screenshots`), the shots given a `readme` name are also copied to
  docs/screenshots/<readme>.png, the README's tour.
- `assert_accessible(page)`: axe-core on the page; no violation of impact
  "serious" or "critical".
- Every page's JavaScript errors and Content Security Policy refusals fail the
  test (a refused inline style or script is a page that looks or works wrong).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect, sync_playwright

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results" / "e2e"
README_SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = ("serious", "critical")

# Slow enough for a loaded two-core machine, short enough to fail fast.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="package")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"The e2e tests drive Debian's Chromium at {CHROMIUM}: "
            "install it with `apt-get install -y chromium` (never `playwright install`)."
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageProblems:
    """JavaScript errors and CSP refusals seen on the test's pages."""

    IGNORED = re.compile(r"Failed to load resource: the server responded with a status of")

    def __init__(self):
        self.seen: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.seen.append(f"{page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))

    def _console(self, page, message) -> None:
        if message.type == "error" and not self.IGNORED.search(message.text):
            self.seen.append(f"{page.url}: {message.text}")


@pytest.fixture
def page_problems():
    problems = PageProblems()
    yield problems
    assert not problems.seen, "The pages reported errors:\n" + "\n".join(problems.seen)


@pytest.fixture
def new_context(browser, live_server, page_problems):
    """new_context(viewport=DESKTOP) → a fresh browser context on the live server."""
    contexts = []

    def make(viewport=None, **kwargs):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or DESKTOP,
            locale="en-GB",
            accept_downloads=True,
            **kwargs,
        )
        context.set_default_timeout(15_000)
        context.on("page", page_problems.watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """The log-in form, filled and sent as a person does."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


@pytest.fixture
def login(new_context):
    """login(user, viewport=DESKTOP) → a Page logged in as the user (one log-in per
    user and test; later calls open another page of the same context)."""
    contexts = {}

    def make(user, viewport=None) -> Page:
        key = (user.get_username(), json.dumps(viewport or DESKTOP, sort_keys=True))
        if key in contexts:
            return contexts[key].new_page()
        context = new_context(viewport=viewport)
        page = context.new_page()
        log_in(page, user.get_username())
        contexts[key] = context
        return page

    return make


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@pytest.fixture
def shot(request):
    """shot(page, name, readme=None) → the path of a viewport screenshot of the page."""
    folder = RESULTS / _slug(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = 0
    to_docs = os.environ.get("E2E_README_SHOTS") == "1"

    def take(page: Page, name: str, readme: str | None = None, at=None) -> Path:
        """`at`: a locator to bring near the top of the viewport first."""
        nonlocal count
        count += 1
        page.wait_for_load_state("load")
        if at is not None:
            at.evaluate("el => window.scrollTo(0, el.getBoundingClientRect().top + scrollY - 16)")
        path = folder / f"{count:02d}-{_slug(name)}.png"
        page.screenshot(path=str(path), animations="disabled", caret="initial")
        if readme and to_docs:
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, README_SHOTS / f"{readme}.png")
        return path

    return take


_axe = Axe()


def axe_problems(page: Page) -> list[str]:
    """The serious and critical axe-core violations of the page, one line each."""
    results = _axe.run(page)
    problems = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        targets = "; ".join(
            f"{' '.join(node['target'])} ({(node.get('failureSummary') or '').strip()})"
            for node in violation["nodes"][:5]
        )
        problems.append(f"{violation['id']} [{violation['impact']}] {violation['help']}: {targets}")
    return problems


def assert_accessible(page: Page) -> None:
    problems = axe_problems(page)
    assert not problems, f"axe-core on {page.url}:\n" + "\n".join(problems)
