"""Benchmark of the recycle bin (issue 7): a bulk delete of 10,000 contacts (and
their 1,000 companies) brought back from the bin in one request, against the
physical floor of COPY-inserting the same rows; and the bin's list on a big
event table.

    .venv/bin/python bench/recycle_bin.py [--rounds 3] [--events 1000000] [--fresh]

(DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/rp_bench_bin.)
Not part of the test run. Self-contained: it creates its scratch database (the
name must contain "bench"), migrates it, seeds one account with 1,000
companies and 10,000 contacts (each linked to a company, with a custom field
value), and `--events` background History events (generated in SQL over 90
days, a tenth of them in the measured account, a third of those deletions of
records that no longer exist: bin entries, some restored since).

Each round, alternating, with the same rows:
1. restore: `records_bulk_delete` of the 10,000 contacts then of the 1,000
   companies (not timed), then `POST /api/v1/recycle-bin/restore/` with the
   10,000 contacts' delete events and `include_parents: true`, timed (the whole
   request: auth, validation, bin checks, the loader, 11,000 restore events,
   the JSON answer). Also, in another round of the same kind, the service
   `restore_from_bin` alone.
2. floor: the same 11,000 rows removed with a plain DELETE (not timed), then
   `COPY crm_company FROM STDIN` and `COPY crm_contact FROM STDIN` of their
   exact values (captured once as CSV) in one transaction, timed.
Best round of each, ratio restore / floor.

Then the list: `GET /api/v1/recycle-bin/` first page and a page 5,000 entries
deep inside a bulk delete (10,000 entries at one instant), p50 of 20 calls,
with the plan of the bin's query.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time

from _common import bench_environment, ensure_database, say, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rp_bench_bin"
# No query log: measure what production runs; the API through the test client.
bench_environment(DEFAULT_URL, test_client=True)

CONTACTS = 10_000
COMPANIES = 1_000
ACCOUNT = "bench-recycle-bin"
NOISE_ACCOUNT = "bench-noise"
DAYS = 90


# --- Seed ---------------------------------------------------------------------------------


def seed(events: int):
    """The measured account, its admin (with a token), its records, the background events."""
    from datetime import UTC, datetime

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from rest_framework.authtoken.models import Token

    from accounts.models import Account, Membership, Plan, Role
    from crm.models import Company, Contact
    from crm_history.models import Event

    account = Account.objects.filter(name=ACCOUNT).first()
    if account is not None:
        say("Reusing the seeded account (--fresh to start over).")
        user = Membership.objects.get(account=account, role=Role.ADMIN).user
        return account, user, Token.objects.get(user=user).key
    t0 = time.perf_counter()
    account = Account.objects.create(name=ACCOUNT, plan=Plan.PROFESSIONAL, timezone="Europe/Rome")
    noise = Account.objects.create(name=NOISE_ACCOUNT, plan=Plan.PROFESSIONAL)
    user = get_user_model().objects.create_user(username="bench-admin", password=None)
    Membership.objects.create(user=user, account=account, role=Role.ADMIN)
    token = Token.objects.create(user=user).key
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    Company.objects.bulk_create(
        [
            Company(
                account=account,
                title=f"Company {i}",
                industry="IT",
                revenue="125000.00",
                phone=f"+39 06 {i}",
                email=f"info{i}@example.com",
                assigned_by_id=user.pk,
                created_at=at,
                updated_at=at,
            )
            for i in range(COMPANIES)
        ]
    )
    company_ids = list(Company.objects.filter(account=account).values_list("pk", flat=True))
    Contact.objects.bulk_create(
        [
            Contact(
                account=account,
                honorific="HNR_EN_1",
                name="Mario",
                last_name=f"Rossi {i}",
                post="Buyer",
                company_id=company_ids[i % COMPANIES],
                phone=f"+39 06 {i}",
                email=f"mario{i}@example.com",
                source_id="WEB",
                assigned_by_id=user.pk,
                comments="Met at the fair",
                custom_fields={"UF_CRM_SIZE": str(i % 50)},
                created_at=at,
                updated_at=at,
            )
            for i in range(CONTACTS)
        ],
        batch_size=2000,
    )
    say(f"Seeded {COMPANIES:,} companies and {CONTACTS:,} contacts.")
    if events:
        table = Event._meta.db_table
        step_us = DAYS * 86_400 * 1_000_000 // events
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute(
                f"""
                INSERT INTO {table} (account_id, operation, entity_type, entity_id, action,
                    actor_id, actor_name, source, occurred_at, title, changes, data,
                    schema_version)
                SELECT CASE WHEN n %% 10 = 0 THEN %(account)s ELSE %(noise)s END,
                       md5((n / 50)::text)::uuid,
                       (ARRAY['contact','company','deal','lead'])[1 + n %% 4],
                       1000000000 + n / 3,
                       CASE WHEN n %% 3 = 0 THEN 'delete' WHEN n %% 3 = 1 THEN 'create'
                            WHEN n %% 9 = 2 THEN 'restore' ELSE 'update' END,
                       %(user)s, 'bench-admin', 'page',
                       now() - interval '{DAYS} days' + n * {step_us} * interval '1 microsecond',
                       'Background ' || n, NULL,
                       CASE WHEN n %% 3 = 0 THEN jsonb_build_object('id', 1000000000 + n / 3,
                            'title', 'Background ' || n) END,
                       1
                FROM generate_series(1::bigint, %(events)s::bigint) AS n
                """,
                {"account": account.pk, "noise": noise.pk, "user": user.pk, "events": events},
            )
            cur.execute(f"ANALYZE {table}")
        say(f"Generated {events:,} background events.")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    say(f"Seed done in {time.perf_counter() - t0:.0f} s.")
    return account, user, token


# --- The rounds -------------------------------------------------------------------------------


def capture_rows(account) -> dict[str, bytes]:
    """The exact rows of the companies and contacts as CSV (COPY TO), for the floor."""
    from django.db import connection

    from crm.registry import entity

    out = {}
    with connection.cursor() as cur:
        for et in (entity("company"), entity("contact")):
            buffer = io.StringIO()
            columns = ", ".join(["account_id", *et.field_names])
            cur.copy_expert(
                f"COPY (SELECT {columns} FROM {et.table} WHERE account_id = {int(account.pk)} "
                "ORDER BY id) TO STDOUT WITH (FORMAT csv)",
                buffer,
            )
            out[et.table] = (columns, buffer.getvalue())
    return out


def delete_through_the_services(account, user):
    """The bulk deletes whose events fill the bin; returns the contacts' delete event ids."""
    from accounts.actors import Actor, Source
    from crm import services
    from crm.models import Company, Contact
    from crm_history.models import Event

    actor = Actor.for_user(user, Source.API)
    contact_ids = list(Contact.objects.filter(account=account).values_list("pk", flat=True))
    company_ids = list(Company.objects.filter(account=account).values_list("pk", flat=True))
    gone = services.records_bulk_delete(
        account=account, entity_type="contact", ids=contact_ids, actor=actor
    )
    services.records_bulk_delete(
        account=account, entity_type="company", ids=company_ids, actor=actor
    )
    return list(
        Event.objects.filter(account=account, operation=gone.operation, action="delete")
        .order_by("id")
        .values_list("pk", flat=True)
    )


def check_back(account) -> None:
    from crm.models import Company, Contact

    contacts = Contact.objects.filter(account=account)
    assert contacts.count() == CONTACTS
    assert Company.objects.filter(account=account).count() == COMPANIES
    assert not contacts.filter(company__isnull=True).exists()


def restore_by_api(account, user, token, client) -> float:
    import json

    events = delete_through_the_services(account, user)
    body = json.dumps({"events": events, "include_parents": True})
    t0 = time.perf_counter()
    response = client.post(
        "/api/v1/recycle-bin/restore/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    seconds = time.perf_counter() - t0
    assert response.status_code == 200, response.content[:500]
    assert response.json()["restored"] == {"company": COMPANIES, "contact": CONTACTS}
    check_back(account)
    return seconds


def restore_by_service(account, user, events=None) -> float:
    from accounts.actors import Actor, Source
    from accounts.models import Membership
    from crm import recycle_bin

    if events is None:
        events = delete_through_the_services(account, user)
    t0 = time.perf_counter()
    result = recycle_bin.restore_from_bin(
        account=account,
        viewer_membership=Membership.objects.get(user=user),
        event_ids=events,
        include_parents=True,
        actor=Actor.for_user(user, Source.RECYCLE_BIN),
    )
    seconds = time.perf_counter() - t0
    assert result.counts() == {"company": COMPANIES, "contact": CONTACTS}
    check_back(account)
    return seconds


def floor(account, rows) -> float:
    """COPY the same rows in (one transaction), after a plain DELETE of them."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM crm_contact WHERE account_id = %s", [account.pk])
        cur.execute("DELETE FROM crm_company WHERE account_id = %s", [account.pk])
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        for table in ("crm_company", "crm_contact"):
            columns, csv = rows[table]
            cur.copy_expert(
                f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", io.StringIO(csv)
            )
    seconds = time.perf_counter() - t0
    check_back(account)
    return seconds


# --- The list -----------------------------------------------------------------------------------


def measure_list(account, user, token, client, repeat: int = 20):
    from accounts.models import Membership
    from crm import recycle_bin
    from recovery_portal.pagination import make_cursor

    # The bin now holds a bulk delete: 10,000 entries at one instant.
    events = delete_through_the_services(account, user)
    membership = Membership.objects.get(user=user)
    entries = recycle_bin.bin_entries(account, viewer_membership=membership)
    in_bin = entries.count()
    pivot = entries.values_list("occurred_at", "id")[5_000 - 1]
    deep = make_cursor("recycle-bin", list(pivot), "n")
    results = []
    for label, params in (("first page", {}), ("5,000 deep", {"cursor": deep})):

        def call(params=params):
            response = client.get(
                "/api/v1/recycle-bin/", params, HTTP_AUTHORIZATION=f"Token {token}"
            )
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()["results"]) == 50

        for _ in range(3):
            call()
        samples = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            call()
            samples.append((time.perf_counter() - t0) * 1000)
        results.append((label, statistics.median(samples), max(samples)))
    plan = explain_first_page(account, membership)
    restore_by_service(account, user, events)  # leave the records in place
    return in_bin, results, plan


def explain_first_page(account, membership) -> list[str]:
    from django.db import connection

    from crm import recycle_bin

    sql, params = recycle_bin.bin_entries(account, viewer_membership=membership)[
        :51
    ].query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
        plan = [row[0] for row in cur.fetchall()]
    keep = ("Scan", "Cond", "Execution", "Anti", "Limit")
    return [line.rstrip() for line in plan if any(k in line for k in keep)][:12]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"], fresh=args.fresh)
    setup_django()

    from django.db import connection
    from django.test import Client

    account, user, token = seed(args.events)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM crm_history_event")
        total_events = cur.fetchone()[0]
    say(f"History: {total_events:,} events.")
    rows = capture_rows(account)
    client = Client()
    api_times, service_times, floor_times = [], [], []
    for i in range(args.rounds):
        api_times.append(restore_by_api(account, user, token, client))
        floor_times.append(floor(account, rows))
        service_times.append(restore_by_service(account, user))
        floor_times.append(floor(account, rows))
        say(
            f"  round {i + 1}: API {api_times[-1]:.2f} s, service {service_times[-1]:.2f} s, "
            f"floor {floor_times[-2]:.2f} / {floor_times[-1]:.2f} s"
        )
    best_floor = min(floor_times)
    say("")
    say(f"Restore of {CONTACTS:,} contacts + {COMPANIES:,} companies from the bin:")
    say(f"  floor (COPY of the same rows)   {best_floor:.2f} s")
    say(
        f"  restore_from_bin (service)      {min(service_times):.2f} s  "
        f"ratio {min(service_times) / best_floor:.1f}x"
    )
    say(
        f"  POST /api/v1/recycle-bin/restore/ {min(api_times):.2f} s  "
        f"ratio {min(api_times) / best_floor:.1f}x"
    )
    in_bin, results, plan = measure_list(account, user, token, client)
    say(f"List ({in_bin:,} entries in the account's bin, {total_events:,} events in all):")
    for label, p50, worst in results:
        say(f"  GET /api/v1/recycle-bin/ {label:11} p50 {p50:6.1f} ms  max {worst:6.1f} ms")
    for line in plan:
        say(f"    plan: {line.strip()}")


if __name__ == "__main__":
    main()
