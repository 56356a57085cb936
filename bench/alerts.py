"""Benchmark of mass-deletion alerts (issue 11): what detection adds to a bulk
delete, and the undo of a large burst against the COPY floor.

    .venv/bin/python bench/alerts.py [--rounds 7] [--undo-rounds 2] [--burst 100000]

Not part of the test run. Self-contained: it (re)creates its scratch database
(rp_bench_alerts, or DATABASE_URL if its name contains "bench"), migrates it,
and makes one Professional account with an administrator, 1,000 companies and
200,000 contacts generated in SQL (realistic CRM text, custom field values,
two contacts in three linked to a company).

1. Detection. The same `crm.services.records_bulk_delete` of 10,000 fresh
   contacts (inserted in SQL before each measurement, untimed) by a new
   employee each time, so that every measurement with detection opens a new
   alert (tally rows, window sums, the bounded count of the share rule, the
   alert, its History event and its e-mails: the whole of the worst case).
   The control removes the detector from
   `crm_history.recorder._deletion_listeners`. Rounds alternate on/off and
   off/on; the ratio is of the medians. Target < 1.1x.
2. Undo. `--burst` contacts are inserted in SQL; the floor is `COPY crm_contact
   (…) FROM STDIN` of exactly those rows (exported beforehand with COPY … TO
   STDOUT, then deleted in SQL; the COPY and its commit are timed). Then one
   employee deletes them through the services in bulk deletes of 10,000 (one
   alert), and `alerts.services.undo_burst` brings them all back in one action
   (timed: reading the burst from the History, the id check, the recycle bin's
   loader with its restore events, the alert's update, the commit). Target:
   within 3x the floor. Each restored row is checked against its delete event.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import time

from _common import bench_environment, recreate_database, say, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rp_bench_alerts"
# No query log; tasks in this process (no worker), files in a scratch folder.
bench_environment(DEFAULT_URL, tasks_in_process=True, scratch_media="rp-bench-media-")
os.environ["EMAIL_URL"] = "memorymail://"  # the alert e-mails are sent, into memory

BULK = 10_000  # one bulk delete
BASE_CONTACTS = 200_000
COMPANIES = 1_000
CONTACT_COLUMNS = (
    "id, account_id, created_at, updated_at, assigned_by_id, comments, custom_fields, "
    "honorific, name, second_name, last_name, post, company_id, phone, phone_mobile, email, "
    "email_home, type_id, source_id"
)
FIRST = "ARRAY['Mario','Luca','Giulia','Anna','Marco','Sara','Paolo','Elena','Franco','Chiara','John','Mary','Peter','Olga','Ivan','Yuki']"  # noqa: E501
LAST = "ARRAY['Rossi','Bianchi','Verdi','Russo','Ferrari','Esposito','Romano','Colombo','Smith','Jones','Müller','Novak','Ivanova','Tanaka']"  # noqa: E501
COMMENTS = (
    "ARRAY['', '', '', 'Called back, interested in the annual plan.', "
    "'Met at the trade show; wants a demo next week.', '', "
    "'Asked for a quote, with a 10% discount for two years.', "
    "'Prefers e-mail. Do not call before 10:00.']"
)


def insert_contacts(account_id: int, n: int, first_company: int) -> list[int]:
    """`n` contacts in one INSERT … SELECT; their ids."""
    from django.db import connection

    t0 = "timestamptz '2026-01-01 09:00:00+00'"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO crm_contact (account_id, created_at, updated_at, assigned_by_id,
                    comments, custom_fields, honorific, name, second_name, last_name, post,
                    company_id, phone, phone_mobile, email, email_home, type_id, source_id)
                SELECT {int(account_id)}, {t0} + g * interval '3 seconds', {t0} + g * interval '4 seconds',
                    NULL, ({COMMENTS})[1 + g % 8],
                    CASE WHEN g % 2 = 0 THEN jsonb_build_object('UF_CRM_SIZE', (ARRAY['S','M','L','XL'])[1 + g % 4]) ELSE '{{}}'::jsonb END,
                    (ARRAY['HNR_EN_1','HNR_EN_2','HNR_EN_3',''])[1 + g % 4],
                    ({FIRST})[1 + g % 16], '', ({LAST})[1 + (g / 16) % 14],
                    (ARRAY['CEO','Sales manager','Buyer','','Engineer'])[1 + g % 5],
                    CASE WHEN g % 3 = 0 THEN NULL ELSE {int(first_company)} + g % {COMPANIES} END,
                    '+39 06 ' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0'),
                    CASE WHEN g % 2 = 0 THEN '+39 333 ' || lpad(((g::bigint * 104729) % 10000000)::text, 7, '0') ELSE '' END,
                    lower(({FIRST})[1 + g % 16]) || '.' || lower(({LAST})[1 + (g / 16) % 14]) || g || '@example.com',
                    '', (ARRAY['CLIENT','SUPPLIER','PARTNER','OTHER'])[1 + g % 4],
                    (ARRAY['CALL','EMAIL','WEB','ADVERTISING',''])[1 + g % 5]
                FROM generate_series(1, {int(n)}) g
                RETURNING id"""  # noqa: E501
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute("ANALYZE crm_contact")
    return ids


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_history_event")
        cursor.execute("ANALYZE crm_contact")


def prepare():
    recreate_database(os.environ["DATABASE_URL"])
    setup_django()
    from django.db import connection

    from accounts.models import Plan, Role
    from accounts.services import account_create, user_create

    account = account_create(
        name="Bench alerts",
        plan=Plan.PROFESSIONAL,
        timezone_name="Europe/Rome",
        admin_username="bench-admin",
        admin_password="bench-password-0123456789",
    )
    admin = account.memberships.get(role=Role.ADMIN).user
    admin.email = "admin@example.com"
    admin.save(update_fields=["email"])
    user_create(
        username="bench-admin-2",
        password="bench-password-0123456789",
        account=account,
        role=Role.ADMIN,
        email="admin2@example.com",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO crm_company (account_id, created_at, updated_at, comments,
                   custom_fields, title, company_type, industry, employees, currency_id, phone,
                   email, web, address)
               SELECT %s, now(), now(), '', '{}'::jsonb, 'Company ' || g, 'CUSTOMER', 'IT', '',
                   'EUR', '', '', '', ''
               FROM generate_series(1, %s) g RETURNING id""",
            [account.pk, COMPANIES],
        )
        first_company = min(row[0] for row in cursor.fetchall())
    say(f"Generating {BASE_CONTACTS:,} contacts and {COMPANIES:,} companies …")
    insert_contacts(account.pk, BASE_CONTACTS, first_company)
    analyze()
    return account, admin, first_company


_employees = 0


def new_employee(account):
    global _employees
    from accounts.actors import Actor, Source
    from accounts.models import Role
    from accounts.services import user_create

    _employees += 1
    user = user_create(
        username=f"employee{_employees}",
        password="bench-password-0123456789",
        account=account,
        role=Role.EMPLOYEE,
        email=f"employee{_employees}@example.com",
    )
    return user, Actor.for_user(user, Source.API)


# --- 1. Detection ------------------------------------------------------------------


def one_delete(account, first_company, *, detector: bool) -> float:
    from alerts.detection import on_deletions
    from alerts.models import Alert
    from crm import services
    from crm_history import recorder

    ids = insert_contacts(account.pk, BULK, first_company)
    _, actor = new_employee(account)
    alerts_before = Alert.objects.count()
    inside: list[float] = []

    def timed(notice):  # the detector, with a stopwatch around it
        started = time.perf_counter()
        on_deletions(notice)
        inside.append(time.perf_counter() - started)

    listeners = recorder._deletion_listeners
    position = listeners.index(on_deletions)
    if detector:
        listeners[position] = timed
    else:
        listeners.remove(on_deletions)  # the control: no detector at all
    try:
        started = time.perf_counter()
        result = services.records_bulk_delete(
            account=account, entity_type="contact", ids=ids, actor=actor
        )
        elapsed = time.perf_counter() - started
    finally:
        if detector:
            listeners[position] = on_deletions
        else:
            listeners.insert(position, on_deletions)
    assert result.deleted == BULK
    assert Alert.objects.count() == alerts_before + (1 if detector else 0)
    return elapsed, (inside[0] if inside else 0.0)


def detection(account, first_company, rounds: int) -> dict:
    from django.core import mail

    say(f"1. Detection: bulk delete of {BULK:,} contacts, with and without the detector")
    one_delete(account, first_company, detector=True)  # warm-up, not counted
    one_delete(account, first_company, detector=False)
    on, off, detector = [], [], []
    for n in range(rounds):
        order = (True, False) if n % 2 == 0 else (False, True)
        times = {d: one_delete(account, first_company, detector=d) for d in order}
        on.append(times[True][0])
        detector.append(times[True][1])
        off.append(times[False][0])
        say(
            f"  round {n + 1}: with detection {on[-1]:.3f} s (the detector {detector[-1]:.3f} s), "
            f"without {off[-1]:.3f} s ({on[-1] / off[-1]:.3f}x)"
        )
    assert len(mail.outbox) >= 2 * rounds  # every alert e-mailed both administrators
    return {
        "on_median": statistics.median(on),
        "off_median": statistics.median(off),
        "detector_median": statistics.median(detector),
        "ratio": statistics.median(on) / statistics.median(off),
        "detector_ratio": 1 + statistics.median(detector) / statistics.median(off),
    }


# --- 2. Undo ------------------------------------------------------------------------


def copy_floor(ids: list[int]) -> float:
    """Export the rows, delete them, and time COPY FROM STDIN of the same rows."""
    from django.db import connection, transaction

    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY (SELECT {CONTACT_COLUMNS} FROM crm_contact WHERE id = ANY(ARRAY{ids}::bigint[]) "
            "ORDER BY id) TO STDOUT",
            buffer,
        )
        cursor.execute("DELETE FROM crm_contact WHERE id = ANY(%s)", [ids])
    size = buffer.tell()
    buffer.seek(0)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.copy_expert(f"COPY crm_contact ({CONTACT_COLUMNS}) FROM STDIN", buffer)
    elapsed = time.perf_counter() - started
    say(f"  floor: COPY FROM STDIN of {len(ids):,} rows ({size / 1e6:.1f} MB) {elapsed:.2f} s")
    return elapsed


def one_undo(account, admin, first_company, burst: int) -> dict:
    from alerts.models import Alert
    from alerts.services import undo_burst
    from crm import services
    from crm.models import Contact
    from crm.records import to_record
    from crm.registry import entity
    from crm_history.models import Event

    ids = insert_contacts(account.pk, burst, first_company)
    floor = copy_floor(ids)
    _, actor = new_employee(account)
    started = time.perf_counter()
    for start in range(0, burst, BULK):
        services.records_bulk_delete(
            account=account, entity_type="contact", ids=ids[start : start + BULK], actor=actor
        )
    took = time.perf_counter() - started
    say(f"  the burst: {burst:,} deleted in bulk deletes of {BULK:,} ({took:.1f} s)")
    analyze()  # what autovacuum does after such a burst: the planner knows the History
    alert = Alert.objects.get(account=account, actor_id=actor.user_id)
    assert alert.counts == {"contact": burst}, alert.counts

    started = time.perf_counter()
    result = undo_burst(alert=alert, actor=admin)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert result.total == burst
    et = entity("contact")
    deleted = Event.objects.filter(
        account=account, action="delete", actor_id=actor.user_id
    ).values_list("entity_id", "data")
    for n, (entity_id, data) in enumerate(deleted.iterator(chunk_size=5000)):
        if n % 97 == 0:  # a sample: every 97th row, field for field
            assert to_record(et, Contact.objects.get(pk=entity_id)) == data
    assert Contact.objects.filter(pk__in=ids).count() == burst
    say(f"  undo_burst of {burst:,}: {elapsed:.2f} s ({elapsed / floor:.2f}x the floor)")
    return {"floor": floor, "undo": elapsed, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="detection rounds (on + off each)")
    parser.add_argument("--undo-rounds", type=int, default=2)
    parser.add_argument("--burst", type=int, default=100_000)
    args = parser.parse_args()

    account, admin, first_company = prepare()
    d = detection(account, first_company, args.rounds)
    say(f"2. Undo of a {args.burst:,}-record burst in one action, against the COPY floor")
    undos = [one_undo(account, admin, first_company, args.burst) for _ in range(args.undo_rounds)]
    best_floor = min(u["floor"] for u in undos)
    best_undo = min(u["undo"] for u in undos)
    ratios = [u["undo"] / u["floor"] for u in undos]
    say("")
    say(
        f"detection: bulk delete of {BULK:,} contacts, median of {args.rounds}: "
        f"{d['on_median']:.3f} s with, {d['off_median']:.3f} s without: "
        f"ratio {d['ratio']:.3f}x (target < 1.1x); the detector itself "
        f"{d['detector_median'] * 1000:.1f} ms = {d['detector_ratio']:.3f}x the delete without it"
    )
    say(
        f"undo of {args.burst:,} contacts: best {best_undo:.2f} s against the COPY floor's "
        f"best {best_floor:.2f} s = {best_undo / best_floor:.2f}x "
        f"(per round {', '.join(f'{r:.2f}x' for r in ratios)}; target within 3x); "
        f"peak memory of the process {max(u['peak_mb'] for u in undos):.0f} MB"
    )


if __name__ == "__main__":
    main()
