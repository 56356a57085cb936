"""The demo path, as `make demo` runs it: no PostgreSQL, no Redis, no broker.

In a subprocess, in a fresh copy of the project, with none of the services'
variables (the settings' defaults: SQLite under var/, Celery eager): migrate,
seed the demo, serve it with runserver, and walk in through the login form as
a seeded user to the contacts list.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from crm.management.commands.seed_demo import ACCOUNTS, DEMO_PASSWORD

BASE_DIR = Path(__file__).resolve().parent.parent
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "MEDIA_ROOT",
    "STATIC_ROOT",
)


def _fresh_copy(folder: Path) -> Path:
    """The project's files as a fresh clone has them (no var/), so the demo runs on
    its true defaults: the SQLite file and media under the copy's own var/."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    names = listed.stdout.splitlines() if listed.returncode == 0 else []
    if not names:  # not a git checkout: everything but the local state
        names = [
            str(p.relative_to(BASE_DIR))
            for p in BASE_DIR.rglob("*")
            if p.is_file() and not {".venv", "var", ".git"} & set(p.relative_to(BASE_DIR).parts)
        ]
    tree = folder / "clone"
    for name in names:
        source = BASE_DIR / name
        if source.is_file():
            target = tree / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return tree


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A migrated and seeded demo database in a fresh copy of the project, on the
    settings' defaults (no DATABASE_URL: SQLite under the copy's var/)."""
    tree = _fresh_copy(tmp_path_factory.mktemp("demo"))
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    manage = [sys.executable, str(tree / "manage.py")]
    migrate = subprocess.run(
        [*manage, "migrate", "--noinput"], env=env, capture_output=True, text=True, cwd=tree
    )
    assert migrate.returncode == 0, migrate.stderr
    seed = subprocess.run([*manage, "seed_demo"], env=env, capture_output=True, text=True, cwd=tree)
    assert seed.returncode == 0, seed.stderr
    return {
        "env": env,
        "manage": manage,
        "db": tree / "var" / "db.sqlite3",
        "seed_output": seed.stdout,
        "tree": tree,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo):
    """runserver on a free port, as `make demo` starts it; stopped after the module."""
    port = _free_port()
    process = subprocess.Popen(
        [*demo["manage"], "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=demo["env"],
        cwd=demo["tree"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # until it answers, or it has died
            if process.poll() is not None:
                pytest.fail(f"runserver exited: {process.stderr.read()}")
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_seed_demo_prints_every_login_with_its_role_account_and_plan(demo):
    out = demo["seed_output"]
    for spec in ACCOUNTS:
        for person, role in ((spec.admin, "administrator"), (spec.employee, "employee")):
            lines = [
                x for x in out.splitlines() if x.split()[:2] == [person.username, DEMO_PASSWORD]
            ]
            assert len(lines) == 1 and role in lines[0] and spec.name in lines[0]
    assert "helpdesk staff" in out


def test_seed_demo_a_second_time_says_the_data_exists_and_writes_nothing(demo):
    def counts():
        with sqlite3.connect(demo["db"]) as db:
            return [
                db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("accounts_account", "crm_contact", "crm_history_event", "auth_user")
            ]

    before = counts()
    again = subprocess.run(
        [*demo["manage"], "seed_demo"],
        env=demo["env"],
        capture_output=True,
        text=True,
        cwd=demo["tree"],
    )
    assert again.returncode == 0, again.stderr
    assert "demo data exists" in again.stdout
    assert "giulia" in again.stdout  # the logins again
    assert counts() == before


def test_the_seed_holds_a_week_of_history_with_the_mass_deletion(demo):
    with sqlite3.connect(demo["db"]) as db:
        per_account = db.execute(
            "SELECT a.name, count(*) FROM crm_history_event e JOIN accounts_account a "
            "ON a.id = e.account_id GROUP BY a.name"
        ).fetchall()
        days = db.execute(
            "SELECT count(DISTINCT date(occurred_at)) FROM crm_history_event"
        ).fetchone()[0]
        bulk = db.execute(
            "SELECT actor_name, count(*) FROM crm_history_event WHERE action = 'delete' "
            "AND entity_type = 'contact' GROUP BY operation ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        records = db.execute(
            "SELECT (SELECT count(*) FROM crm_company) + (SELECT count(*) FROM crm_contact) "
            "+ (SELECT count(*) FROM crm_lead) + (SELECT count(*) FROM crm_deal)"
        ).fetchone()[0]
    assert {name for name, _n in per_account} == {spec.name for spec in ACCOUNTS}
    assert min(n for _name, n in per_account) > 2000
    assert days >= 6
    assert bulk == ("yui", 150)
    assert records > 4 * 2000


def test_the_demo_serves_a_login_page_and_a_seeded_login_reaches_the_contacts(demo, server):
    spec = next(s for s in ACCOUNTS if s.mass_deletion is False)
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    login_page = browser.open(f"{server}/login/").read().decode()
    assert "<h1>Log in</h1>" in login_page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {
            "username": spec.employee.username,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": token,
            "next": "/crm/contacts/",
        }
    ).encode()
    request = urllib.request.Request(
        f"{server}/login/", data=form, headers={"Referer": f"{server}/login/"}
    )
    answer = browser.open(request)
    assert answer.status == 200
    assert answer.geturl() == f"{server}/crm/contacts/"
    page = answer.read().decode()

    with sqlite3.connect(demo["db"]) as db:
        first, last = db.execute(
            "SELECT c.name, c.last_name FROM crm_contact c JOIN accounts_account a "
            "ON a.id = c.account_id WHERE a.name = ? ORDER BY c.id DESC LIMIT 1",
            [spec.name],
        ).fetchone()
    assert "<h1>Contacts</h1>" in page
    assert f"{first} {last}" in page  # the newest contact, first in the list
    assert spec.name in page  # the header names the account


def test_the_seed_holds_a_nightly_snapshot_per_account_for_the_week(demo):
    """R6: the demo has its daily backups, so the whole recovery can be tried at once."""
    with sqlite3.connect(demo["db"]) as db:
        rows = db.execute(
            "SELECT a.name, count(*), max(s.taken_at) FROM backups_snapshot s "
            "JOIN accounts_account a ON a.id = s.account_id "
            "WHERE s.status = 'complete' AND s.kind = 'daily' GROUP BY a.name"
        ).fetchall()
    assert {name for name, _n, _last in rows} == {spec.name for spec in ACCOUNTS}
    for _name, count, _last in rows:
        assert 5 <= count <= 7


def _printed_logins(output: str) -> list[tuple[str, str, str, str]]:
    """(username, password, role, account) of each row the seed printed."""
    table = output.split("Demo logins", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    rows = [re.split(r"\s{2,}", line.strip()) for line in table if line.strip()]
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _log_in(server: str, username: str, password: str):
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = browser.open(f"{server}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{server}/login/", data=form, headers={"Referer": f"{server}/login/"}
    )
    return browser.open(request)


def test_every_login_the_seed_prints_works_and_lands_on_its_start_page(demo, server):
    logins = _printed_logins(demo["seed_output"])
    assert len(logins) == 2 * len(ACCOUNTS) + 1
    for username, password, role, account in logins:
        answer = _log_in(server, username, password)
        page = answer.read().decode()
        if role == "helpdesk staff":
            assert answer.geturl() == f"{server}/helpdesk/", username
            assert "<h1>Restore requests</h1>" in page, username
        else:
            assert answer.geturl() == f"{server}/crm/contacts/", username
            assert "<h1>Contacts</h1>" in page and account in page, username
