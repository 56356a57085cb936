"""Helpers of the fault-injection tests: how many rounds to run, the random
source (seeded, and said on failure), the figures' report, big accounts
written in SQL, and waiting for a dead worker's locks to go.

Counts: `.ci/run` runs the small counts (FAULT_ROUNDS unset or "ci"); the full
counts whose figures are in SECURITY.md run with FAULT_ROUNDS=full (see
bench/faults.py, which runs this folder that way and prints the figures).
FAULT_SEED fixes the random choices (kill moments, damaged bytes, writes); a
failing round names the seed to replay it with.
"""

from __future__ import annotations

import json
import os
import random
import time

from django.db import connection

from crm.registry import entity

# name: (ci, full)
COUNTS = {
    "kill": (2, 20),
    "twice": (6, 50),
    "damage": (24, 100),
    "writes": (300, 1000),
}


def full() -> bool:
    return os.environ.get("FAULT_ROUNDS", "ci").strip().lower() == "full"


def count(name: str) -> int:
    ci, whole = COUNTS[name]
    return whole if full() else ci


def seeded(name: str) -> tuple[random.Random, int]:
    """A random source for one test, and its seed (FAULT_SEED, or a fresh one)."""
    seed = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(2**32))
    return random.Random(f"{seed}-{name}"), seed


def report(name: str, passed: int, total: int, **details) -> None:
    """Print a figure, and append it to FAULT_REPORT (JSON lines) when set."""
    line = {"fault": name, "passed": passed, "total": total, **details}
    print(f"\nFAULT {name}: {passed}/{total} {json.dumps(details, default=str)}")
    path = os.environ.get("FAULT_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line, default=str) + "\n")


def big_account(account, contacts: int) -> None:
    """`contacts` contacts and as many deals (linked to them), written with SQL."""
    c, d = entity("contact").table, entity("deal").table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {c} (account_id, created_at, updated_at, assigned_by_id, comments,
                  custom_fields, honorific, name, second_name, last_name, post, company_id,
                  phone, phone_mobile, email, email_home, type_id, source_id)
                SELECT %s, now(), now(), NULL, 'bulk ' || g, '{{}}', '', 'Name' || g, '',
                       'Last' || g, '', NULL, '', '', '', '', 'CLIENT', ''
                FROM generate_series(1, %s) g""",
            [account.pk, contacts],
        )
        cursor.execute(
            f"""INSERT INTO {d} (account_id, created_at, updated_at, assigned_by_id, comments,
                  custom_fields, title, category_id, stage_id, probability, opportunity,
                  currency_id, company_id, contact_id, begindate, closedate, closed)
                SELECT %s, now(), now(), NULL, '', '{{}}', 'Deal ' || id, 0, 'NEW', NULL,
                       NULL, 'EUR', NULL, id, NULL, NULL, false
                FROM {c} WHERE account_id = %s""",
            [account.pk, account.pk],
        )


def advisory_held(keys) -> bool:
    """Whether any session holds one of these advisory lock keys."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = ANY(%s)",
            [list(keys)],
        )
        return cursor.fetchone()[0] > 0


def wait_until(predicate, what: str, timeout: float = 120, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"Timed out waiting for {what}")
