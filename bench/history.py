"""Benchmark of the History (issue 3): the timeline's keyset pages on a big event
table, and the cost of recording the events of a bulk delete.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rp_bench_history \\
        .venv/bin/python bench/history.py [--events 10000000] [--accounts 1000]

Not part of the test run. Self-contained: it creates the scratch database (its
name must contain "bench"), migrates it, and generates the events in SQL
(`INSERT … SELECT … FROM generate_series`, secondary indexes built after the
load, as a restore would), then ANALYZEs. An existing database holding exactly
the requested number of events is reused; `--fresh` starts over.

What it measures, through the same code the API uses:
1. The timeline (`crm_history.selectors.timeline_page`, plus `record_urls`, the
   per-page existence check the API runs): p50/p95 of the first page and of a
   page 10,000 events deep (its cursor computed from the 10,000th row, and
   checked once against the cursor reached by following `next` 200 times), for
   the delete filter (R2) and for no filter; on the account with the most
   events. The full API call (`GET /api/v1/history/events/`, permissions,
   filter set, keyset page, links and JSON) is reported beside it.
2. A bulk delete of 10,000 contacts with their 10,000 delete events
   (`crm.services.records_bulk_delete`) against the same DELETE without events,
   as a ratio, alternating the two over several rounds in one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid

from _common import bench_environment, ensure_database, say, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rp_bench_history"
# No query log, no debug pages: measure what production runs; the API through the
# test client.
bench_environment(DEFAULT_URL, test_client=True)

MAX_BIG_ACCOUNTS = 10  # a quarter of all events go to these (the worst case is measured)
DEEP = 10_000  # events before the deep page
BURST = 15_000  # per big account: one bulk delete, all its events at one timestamp
BULK = 10_000  # records of the bulk delete
DAYS = 90  # the events span this many days up to now


# --- Generation -------------------------------------------------------------------------


def big_accounts(total: int) -> int:
    """How many accounts share a quarter of the events: 10 at 10M (250,000 each)."""
    return max(1, min(MAX_BIG_ACCOUNTS, total // 1_000_000))


def _event_select(lo: int, hi: int, *, total: int, first_account: int, accounts: int) -> str:
    """The events lo..hi as one SELECT (integers only: no user input is formatted in)."""
    big = big_accounts(total)
    small = accounts - big
    step_us = DAYS * 86_400 * 1_000_000 // total
    return f"""
    SELECT
        CASE WHEN n % 4 = 0 THEN {first_account} + (n / 4) % {big}
             ELSE {first_account + big} + n % {small} END,
        md5((n / 50)::text)::uuid,
        (ARRAY['contact','contact','contact','company','deal','lead','product',
               'custom_field'])[1 + (n / 7) % 8],
        n,
        CASE WHEN n % 100 < 20 THEN 'delete' WHEN n % 100 < 55 THEN 'create'
             WHEN n % 100 < 95 THEN 'update' ELSE 'restore' END,
        NULL,
        'user' || (n % 13),
        CASE WHEN n % 10 = 0 THEN 'api' ELSE 'page' END,
        now() - interval '{DAYS} days' + ((n / 4) * 4) * {step_us} * interval '1 microsecond',
        'Mario Rossi ' || n,
        CASE WHEN n % 100 BETWEEN 55 AND 94
             THEN jsonb_build_object('post', jsonb_build_array('Buyer', 'Head buyer ' || n))
        END,
        CASE WHEN n % 100 NOT BETWEEN 55 AND 94 THEN jsonb_build_object(
            'id', n, 'honorific', '', 'name', 'Mario', 'second_name', '',
            'last_name', 'Rossi ' || n, 'post', 'Buyer', 'company_id', n / 10,
            'phone', '+39 06 ' || n, 'phone_mobile', '', 'email', 'mario' || n || '@example.com',
            'email_home', '', 'type_id', 'CLIENT', 'source_id', 'WEB', 'assigned_by_id', NULL,
            'comments', '', 'custom_fields', '{{}}'::jsonb,
            'created_at', '2026-01-02T03:04:05.000000Z',
            'updated_at', '2026-01-02T03:04:05.000000Z')
        END,
        1
    FROM generate_series({lo}::bigint, {hi}::bigint) AS n
    """


def generate(total: int, accounts: int) -> None:
    from django.db import connection, transaction

    from accounts.models import Account, Plan
    from crm_history.models import Event

    # The spread events have entity ids 1..regular and actors user0..user12, the bursts
    # entity ids from 5e9, the bulk deletes measured below from 9e9 (and their alerts).
    big = big_accounts(total)
    regular = total - big * BURST
    generated = Event.objects.filter(entity_id__lte=regular, actor_name__startswith="user").count()
    if generated == regular and Account.objects.count() >= accounts:
        say(f"Reusing the {total:,} events in the database (--fresh to regenerate).")
        return
    if Event.objects.exists():
        sys.exit("The database holds another data set: run with --fresh.")
    t0 = time.perf_counter()
    Account.objects.bulk_create(
        [
            Account(name=f"bench-{i:04d}", plan=Plan.PROFESSIONAL, timezone="Europe/Rome")
            for i in range(accounts)
        ]
    )
    first = Account.objects.order_by("id").values_list("id", flat=True).first()
    table = Event._meta.db_table
    columns = (
        "account_id, operation, entity_type, entity_id, action, actor_id, actor_name, source, "
        "occurred_at, title, changes, data, schema_version"
    )
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
            [table, f"{table}_pkey"],
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        # The rows are valid by construction: skip the per-row FK and trigger checks.
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET synchronous_commit = off")
    chunk = 1_000_000
    done = 0
    while done < regular:
        hi = min(regular, done + chunk)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {table} ({columns}) "
                + _event_select(done + 1, hi, total=total, first_account=first, accounts=accounts)
            )
        done = hi
        rate = done / (time.perf_counter() - t0)
        say(f"  events: {done:,}/{total:,} ({rate:,.0f} rows/s)")
    # The newest events of each big account: a bulk delete of BURST contacts an hour
    # ago, every event at the same instant (the keyset's tie-breaker at work).
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {table} ({columns})
            SELECT a, md5('burst' || a)::uuid, 'contact', 5000000000 + a * 100000 + k,
                   'delete', NULL, 'user1', 'page', date_trunc('second', now()) - interval '1 hour',
                   'Mario Rossi ' || k, NULL,
                   jsonb_build_object('id', 5000000000 + a * 100000 + k, 'name', 'Mario',
                                      'last_name', 'Rossi ' || k, 'type_id', 'CLIENT'), 1
            FROM generate_series({first}, {first + big - 1}) AS a,
                 generate_series(1, {BURST}) AS k
            """
        )
    say(f"  events: {total:,}/{total:,} (with {big} bulk deletes of {BURST:,} at one instant)")
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = origin")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET max_parallel_maintenance_workers = 2")
        for name, definition in indexes:
            t1 = time.perf_counter()
            cur.execute(definition)
            say(f"  index {name}: {time.perf_counter() - t1:.1f} s")
        cur.execute(f"ANALYZE {table}")
        cur.execute("ANALYZE accounts_account")
        cur.execute(f"SELECT pg_size_pretty(pg_total_relation_size('{table}'))")
        size = cur.fetchone()[0]
    say(
        f"Generated {total:,} events over {accounts:,} accounts in "
        f"{time.perf_counter() - t0:.0f} s ({size} with indexes)."
    )


# --- Timeline ---------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(fn, repeat: int) -> tuple[float, float]:
    for _ in range(5):  # warm up
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


def measure_timeline(repeat: int, total: int):
    from django.contrib.auth import get_user_model
    from django.http import QueryDict
    from rest_framework.test import APIClient

    from accounts.models import Account, Membership, Role
    from crm_history import selectors
    from crm_history.models import Event
    from recovery_portal.pagination import make_cursor

    # The last big account (the bulk deletes below run on the first one, so reruns
    # measure the same data).
    account = Account.objects.order_by("id")[big_accounts(total) - 1]
    events = Event.objects.filter(account=account).count()
    user, _ = get_user_model().objects.get_or_create(username="bench-reader")
    Membership.objects.update_or_create(
        user=user, defaults={"account": account, "role": Role.ADMIN}
    )
    client = APIClient()
    client.force_authenticate(user)
    deletions = Event.objects.filter(account=account, action="delete").count()
    say(f"Timeline of account {account.pk}: {events:,} events, {deletions:,} deletions.")

    rows = []
    for label, params in (("action=delete", "action=delete"), ("no filter", "")):
        filters = QueryDict(params)
        queryset = selectors.event_list(account=account, filters=filters)
        pivot = queryset.order_by(*selectors.TIMELINE_ORDERING).values_list("occurred_at", "id")[
            DEEP - 1
        ]
        deep_cursor = make_cursor(selectors.cursor_scope(account), list(pivot), "n")
        # The computed cursor is where following `next` 200 times leads.
        cursor = None
        for _ in range(DEEP // selectors.PAGE_SIZE):
            cursor = selectors.timeline_page(
                account=account, filters=filters, cursor=cursor
            ).next_cursor
        followed = selectors.timeline_page(account=account, filters=filters, cursor=cursor)
        computed = selectors.timeline_page(account=account, filters=filters, cursor=deep_cursor)
        assert [e.id for e in followed.items] == [e.id for e in computed.items]
        assert len(computed.items) == selectors.PAGE_SIZE

        for where, page_cursor in (("first page", None), (f"{DEEP:,} deep", deep_cursor)):

            def selector_call(page_cursor=page_cursor, filters=filters):
                page = selectors.timeline_page(account=account, filters=filters, cursor=page_cursor)
                selectors.record_urls(account=account, events=page.items)

            query = {"action": "delete"} if params else {}
            if page_cursor:
                query["cursor"] = page_cursor

            def api_call(query=query):
                response = client.get("/api/v1/history/events/", query)
                assert response.status_code == 200, response.content[:300]

            for line in explain(account, filters, page_cursor):
                say(f"    plan: {line.strip()}")
            s50, s95 = timed(selector_call, repeat)
            a50, a95 = timed(api_call, repeat)
            rows.append((label, where, s50, s95, a50, a95))
            say(
                f"  {label:14} {where:12} selector p50 {s50:6.2f} ms p95 {s95:6.2f} ms"
                f" | API p50 {a50:6.2f} ms p95 {a95:6.2f} ms"
            )
    # Filters without an index of their own, at their worst: nothing matches, so the
    # whole account's timeline is read (not part of the targets; said in BENCHMARKS.md).
    for params in ("actor=nobody", "q=zzz", "action=delete&actor=nobody"):
        filters = QueryDict(params)

        def rare_call(filters=filters):
            selectors.timeline_page(account=account, filters=filters)

        r50, r95 = timed(rare_call, 5)
        say(f"  {params:27} first page (no match) p50 {r50:8.1f} ms, worst of 5 {r95:8.1f} ms")
    return account, rows


def explain(account, filters, cursor) -> list[str]:
    """The plan of the timeline's own query for one page (captured, then EXPLAINed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm_history import selectors

    with CaptureQueriesContext(connection) as captured:
        selectors.timeline_page(account=account, filters=filters, cursor=cursor)
    sql = next(q["sql"] for q in captured.captured_queries if "crm_history_event" in q["sql"])
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = [row[0] for row in cur.fetchall()]
    return [line for line in plan if "Scan" in line or "Cond" in line or "Buffers" in line][:4]


# --- Bulk delete ------------------------------------------------------------------------


CHECKPOINT_FIRST = True  # --no-checkpoint: measure with pages already dirty since the last one


def _insert_contacts(account_id: int, first_id: int) -> list[int]:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO crm_contact (id, account_id, created_at, updated_at, assigned_by_id,
                comments, custom_fields, honorific, name, second_name, last_name, post,
                company_id, phone, phone_mobile, email, email_home, type_id, source_id)
            SELECT n, %s, now(), now(), NULL, 'Met at the fair', '{"UF_CRM_SIZE": "12"}',
                'HNR_EN_1', 'Mario', '', 'Rossi ' || n, 'Buyer', NULL, '+39 06 ' || n, '',
                'mario' || n || '@example.com', '', 'CLIENT', 'WEB'
            FROM generate_series(%s, %s) AS n
            """,
            [account_id, first_id, first_id + BULK - 1],
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE crm_contact")
        if CHECKPOINT_FIRST:
            # Every variant starts from a checkpoint: its first change of each page
            # writes a full-page image, as a delete of long-untouched records does.
            cur.execute("CHECKPOINT")
    return list(range(first_id, first_id + BULK))


class StatementTimer:
    """Times each SQL statement a block runs (Django's execute_wrapper): where the
    service's time goes, without copying its SQL here."""

    def __init__(self):
        self.times: dict[str, list[float]] = {}

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(sql.split())[:60]
            self.times.setdefault(key, []).append((time.perf_counter() - t0) * 1000)


def _events_only(account_id: int, ids: list[int], *, with_record: bool = True) -> None:
    """The physical floor of recording: the same 10,000 events inserted from the
    same rows (canonical record and title built in SQL, as the service does),
    without deleting anything; `with_record=False` leaves the record out."""
    from django.db import connection, transaction

    from crm.records import record_sql, title_sql
    from crm.registry import entity
    from crm_history.models import Event

    et = entity("contact")
    data = record_sql(et, "t") if with_record else "NULL"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {Event._meta.db_table} (account_id, operation, entity_type, entity_id,
                action, actor_id, actor_name, source, occurred_at, title, changes, data,
                schema_version)
            SELECT %s, %s::uuid, 'contact', t.id, 'delete', NULL, 'system', 'command',
                   now(), {title_sql(et, "t")}, NULL, {data}, 1
            FROM {et.table} t WHERE t.account_id = %s AND t.id = ANY(%s)
            """,
            [account_id, str(uuid.uuid4()), account_id, ids],  # one operation, as the service
        )
        assert cur.rowcount == BULK


def _copy_rows(account_id: int, ids: list[int]) -> None:
    """The floor of keeping what is deleted at all: the same rows copied as they are
    (no JSON, no index) into a plain table."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_contact_copy (LIKE crm_contact)")
        cur.execute(
            "INSERT INTO bench_contact_copy SELECT * FROM crm_contact "
            "WHERE account_id = %s AND id = ANY(%s)",
            [account_id, ids],
        )
        assert cur.rowcount == BULK


def _delete_alone(account_id: int, ids: list[int]) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "DELETE FROM crm_contact WHERE account_id = %s AND id = ANY(%s)", [account_id, ids]
        )
        assert cur.rowcount == BULK


def _wal_position() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_current_wal_insert_lsn()")
        return cur.fetchone()[0]


def _wal_since(lsn: str) -> float:
    """MB of WAL written since `lsn` (the timed variants only: it is read right after)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [lsn])
        return float(cur.fetchone()[0]) / 1e6


def measure_bulk_delete(rounds: int) -> dict:
    from django.db import connection, transaction

    from accounts.actors import Actor, Source
    from accounts.models import Account
    from crm import services
    from crm_history.models import Event

    account = Account.objects.order_by("id").first()
    actor = Actor.system(source=Source.COMMAND)
    first_id = 9_000_000_000
    variants = ["service", "delete", "events", "no-record", "row-copy"]
    samples: dict[str, list[float]] = {v: [] for v in variants}
    wal: dict[str, list[float]] = {v: [] for v in variants}
    timer = StatementTimer()
    commits: list[float] = []
    for r in range(rounds):
        shift = r % len(variants)
        order = variants[shift:] + variants[:shift]  # rotated: no variant always goes first
        for variant in order:
            ids = _insert_contacts(account.pk, first_id)
            before = Event.objects.filter(account=account, action="delete").count()
            lsn = _wal_position()
            t0 = time.perf_counter()
            if variant == "service":
                with connection.execute_wrapper(timer):
                    with transaction.atomic():  # to time the commit on its own
                        result = services.records_bulk_delete(
                            account=account, entity_type="contact", ids=ids, actor=actor
                        )
                        before_commit = time.perf_counter()
                    commits.append((time.perf_counter() - before_commit) * 1000)
                elapsed = time.perf_counter() - t0
                assert result.deleted == BULK
            elif variant == "delete":
                _delete_alone(account.pk, ids)
                elapsed = time.perf_counter() - t0
            elif variant == "row-copy":
                _copy_rows(account.pk, ids)
                elapsed = time.perf_counter() - t0
                _delete_alone(account.pk, ids)  # not timed
            else:
                _events_only(account.pk, ids, with_record=variant == "events")
                elapsed = time.perf_counter() - t0
                _delete_alone(account.pk, ids)  # not timed: clear the rows for the next round
            wal[variant].append(_wal_since(lsn))
            after = Event.objects.filter(account=account, action="delete").count()
            assert after - before == (0 if variant in ("delete", "row-copy") else BULK)
            samples[variant].append(elapsed * 1000)
            say(f"  round {r + 1} {variant:9}: {elapsed * 1000:7.1f} ms")
    medians = {v: statistics.median(samples[v]) for v in variants}
    medians.update({f"wal:{v}": statistics.median(wal[v]) for v in variants})
    say("  Where the service's time goes (median per statement, then the commit):")
    for sql, times in sorted(timer.times.items(), key=lambda kv: -statistics.median(kv[1]))[:5]:
        say(f"    {statistics.median(times):7.1f} ms  {sql}")
    say(f"    {statistics.median(commits):7.1f} ms  COMMIT (WAL flush; on-commit listeners)")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per figure")
    parser.add_argument("--rounds", type=int, default=6, help="bulk delete rounds per variant")
    parser.add_argument("--fresh", action="store_true", help="drop and regenerate the data")
    parser.add_argument(
        "--no-checkpoint",
        action="store_true",
        help="do not CHECKPOINT before each timed bulk delete (no full-page images)",
    )
    args = parser.parse_args()
    global CHECKPOINT_FIRST
    CHECKPOINT_FIRST = not args.no_checkpoint
    if args.accounts <= MAX_BIG_ACCOUNTS:
        sys.exit(f"--accounts must be more than {MAX_BIG_ACCOUNTS}.")
    if args.events < 250_000:
        sys.exit("--events must be at least 250,000 (a page 10,000 deletions deep).")

    url = os.environ["DATABASE_URL"]
    ensure_database(url, fresh=args.fresh)
    setup_django()
    t0 = time.perf_counter()
    generate(args.events, args.accounts)
    say(f"Data ready in {time.perf_counter() - t0:.0f} s.")

    say(f"\nTimeline (ms, over {args.repeat} calls each):")
    account, rows = measure_timeline(args.repeat, args.events)

    say(f"\nBulk delete of {BULK:,} contacts, {args.rounds} rounds (order rotated):")
    medians = measure_bulk_delete(args.rounds)
    service, delete, events = medians["service"], medians["delete"], medians["events"]
    for variant, label in (
        ("service", "records_bulk_delete (rows + events)"),
        ("delete", "the same DELETE without events"),
        ("events", "the same 10,000 events inserted alone"),
        ("no-record", "the same events without the record (data)"),
        ("row-copy", "the same rows copied as they are (no index)"),
    ):
        say(
            f"  {label:44} median {medians[variant]:6.0f} ms, "
            f"WAL {medians['wal:' + variant]:5.1f} MB"
        )
    say(f"  ratio service / DELETE: {service / delete:.2f} (target < 1.5)")
    say(f"  ratio service / (DELETE + events alone): {service / (delete + events):.2f}")

    worst = max(r[3] for r in rows)
    say(
        f"\nWorst selector p95: {worst:.2f} ms (target < 20 ms); "
        f"worst API p95: {max(r[5] for r in rows):.2f} ms."
    )


if __name__ == "__main__":
    main()
