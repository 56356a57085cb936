"""Benchmark of the pages (issue 9): each main page rendered in-process by
Django's test client, as the person who opens it, on an account of 100,000
CRM records and 1,000,000 History events; server time p50/p95 per page
against a target of 300 ms.

    .venv/bin/python bench/pages.py [--records 100000] [--events 1000000]
                                    [--runs 20] [--only history] [--fresh]

(DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/rp_bench_pages.)
Not part of the test run. Self-contained: it creates its scratch database (the
name must contain "bench"), migrates it, and generates the data in SQL
(`INSERT … SELECT … FROM generate_series`; the History's secondary indexes are
built after the load), then VACUUM ANALYZE. An existing data set of the same
size is reused; `--fresh` starts over.

The data: one Professional account in Europe/Rome with an administrator
(alice) and an employee (bob): 20% companies, 50% contacts, 15% leads, 14%
deals (one company has 2,000 contacts and 1,000 deals, for its detail page),
products and custom field definitions; 1,000,000 History events over 90 days
(20% deletions of records that are gone, with their saved record, in the
recycle bin for the last 30 days; creates and updates of existing records),
plus bob's mass deletion of 10,000 contacts two days ago at one instant, with
its mass-deletion alert; eight daily backups, 30 restore requests (one with
candidates), 50 plan changes. Around it, 300 other accounts, each with an open
restore request, a backup, a few deletions and deletion reports (the helpdesk
console's queue, reports and accounts).

The floor, in the same run: a page that does nothing but the layout (an
unknown CRM list, answered by the 404 page with the header and menu: session,
middleware, context processors, base template).

Each page: 3 warm-up calls, then `--runs` timed calls (wall time of
`Client.get`, the whole request in-process, no network), p50 and p95, and the
number of queries of one call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from _common import bench_environment, ensure_database, say
from _common import setup_django as django_with_migrations

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rp_bench_pages"
# No query log, cached templates: what production runs; pages through the test client.
bench_environment(DEFAULT_URL, test_client=True)
# Production serves hashed static names from a manifest: collect into a scratch folder.
os.environ.setdefault("STATIC_ROOT", "/tmp/rp_bench_pages_static")
os.environ.setdefault("MEDIA_ROOT", "/tmp/rp_bench_pages_media")

ACCOUNT = "bench-pages"
OTHERS = 300  # other accounts: the helpdesk's queue, reports and accounts
DAYS = 90  # the events span this many days up to now
BURST = 10_000  # bob's mass deletion two days ago
TARGET_MS = 300
SHARES = {"company": 0.20, "contact": 0.50, "lead": 0.15, "deal": 0.14, "product": 0.0097}


def setup_django() -> None:
    django_with_migrations()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


# --- Generation ----------------------------------------------------------------------------


def counts(records: int) -> dict[str, int]:
    c = {t: int(records * s) for t, s in SHARES.items()}
    c["custom_field"] = 30
    c["contact"] += records - sum(c.values())
    return c


def _records(cur, a: int, c: dict[str, int], admin: int) -> None:
    """The account's CRM records, in SQL (integers only are formatted in)."""
    t0 = "now() - interval '200 days'"
    cur.execute(
        f"""INSERT INTO crm_customfield (account_id, created_at, updated_at, entity_type, code,
                label, field_type, mandatory, sort)
            SELECT {a}, {t0}, {t0}, (ARRAY['contact','company','lead','deal'])[1 + g % 4],
                   'UF_CRM_F' || g, 'Field ' || g, 'string', false, g
            FROM generate_series(1, {c["custom_field"]}) g"""
    )
    cur.execute(
        f"""INSERT INTO crm_product (account_id, created_at, updated_at, name, code, description,
                price, currency_id, active, sort)
            SELECT {a}, {t0}, {t0}, 'Licence ' || g, 'P-' || g, '', g * 10.5, 'EUR', true, 500
            FROM generate_series(1, {c["product"]}) g"""
    )
    cur.execute(
        f"""INSERT INTO crm_company (account_id, created_at, updated_at, assigned_by_id, comments,
                custom_fields, title, company_type, industry, employees, revenue, currency_id,
                phone, email, web, address)
            SELECT {a}, {t0} + g * interval '7 seconds', {t0} + g * interval '9 seconds',
                CASE WHEN g % 2 = 0 THEN {admin} END, '', '{{}}'::jsonb,
                (ARRAY['Rossi','Bianchi','Verdi','Ferrari','Esposito'])[1 + g % 5] || ' Srl ' || g,
                (ARRAY['CUSTOMER','SUPPLIER','PARTNER','OTHER'])[1 + g % 4],
                (ARRAY['IT','TELECOM','MANUFACTURING','BANKING',''])[1 + g % 5],
                (ARRAY['EMPLOYEES_1','EMPLOYEES_2',''])[1 + g % 3],
                (g % 1000) * 1000.25, 'EUR', '+39 02 ' || g, 'info' || g || '@example.com',
                'https://example.com/c' || g, 'Via Roma ' || (g % 200)
            FROM generate_series(1, {c["company"]}) g"""
    )
    cur.execute("SELECT min(id) FROM crm_company WHERE account_id = %s", [a])
    co = cur.fetchone()[0]
    n_co = c["company"]
    # Every 25th contact and 14th deal belong to the first company (its detail page).
    cur.execute(
        f"""INSERT INTO crm_contact (account_id, created_at, updated_at, assigned_by_id, comments,
                custom_fields, honorific, name, second_name, last_name, post, company_id, phone,
                phone_mobile, email, email_home, type_id, source_id)
            SELECT {a}, {t0} + g * interval '3 seconds', {t0} + g * interval '4 seconds',
                CASE WHEN g % 2 = 0 THEN {admin} END, '', '{{}}'::jsonb, 'HNR_EN_1',
                (ARRAY['Mario','Anna','Luca','Giulia','Marco','Sara'])[1 + g % 6], '',
                (ARRAY['Rossi','Bianchi','Verdi','Russo','Romano'])[1 + (g / 6) % 5] || ' ' || g,
                'Buyer',
                CASE WHEN g % 25 = 0 THEN {co} WHEN g % 3 = 0 THEN NULL
                     ELSE {co} + g % {n_co} END,
                '+39 06 ' || g, '', 'person' || g || '@example.com', '', 'CLIENT', 'WEB'
            FROM generate_series(1, {c["contact"]}) g"""
    )
    cur.execute("SELECT min(id) FROM crm_contact WHERE account_id = %s", [a])
    ct = cur.fetchone()[0]
    cur.execute(
        f"""INSERT INTO crm_lead (account_id, created_at, updated_at, assigned_by_id, comments,
                custom_fields, title, name, second_name, last_name, company_title, post,
                status_id, opportunity, currency_id, source_id, phone, email)
            SELECT {a}, {t0} + g * interval '5 seconds', {t0} + g * interval '6 seconds',
                CASE WHEN g % 2 = 0 THEN {admin} END, '', '{{}}'::jsonb,
                'Website enquiry #' || g, 'Anna', '', 'Bianchi ' || g, 'Acme SpA', '',
                (ARRAY['NEW','IN_PROCESS','PROCESSED','CONVERTED','JUNK'])[1 + g % 5],
                (g % 200) * 50.00, 'EUR', 'WEB', '+39 011 ' || g, 'lead' || g || '@example.com'
            FROM generate_series(1, {c["lead"]}) g"""
    )
    cur.execute(
        f"""INSERT INTO crm_deal (account_id, created_at, updated_at, assigned_by_id, comments,
                custom_fields, title, category_id, stage_id, probability, opportunity,
                currency_id, company_id, contact_id, begindate, closedate, closed)
            SELECT {a}, {t0} + g * interval '5 seconds', {t0} + g * interval '8 seconds',
                CASE WHEN g % 2 = 0 THEN {admin} END, '', '{{}}'::jsonb,
                'Annual licence ' || g, 0,
                (ARRAY['NEW','PREPARATION','EXECUTING','WON','LOSE'])[1 + g % 5], 50,
                (g % 300) * 100.00, 'EUR',
                CASE WHEN g % 14 = 0 THEN {co} ELSE {co} + g % {n_co} END,
                {ct} + g % {c["contact"]}, current_date - 30, current_date + (g % 200), false
            FROM generate_series(1, {c["deal"]}) g"""
    )


CONTACT_RECORD = """jsonb_build_object(
    'id', {id}, 'honorific', 'HNR_EN_1', 'name', 'Mario', 'second_name', '',
    'last_name', 'Rossi ' || {n}, 'post', 'Buyer', 'company_id', NULL,
    'phone', '+39 06 ' || {n}, 'phone_mobile', '', 'email', 'mario' || {n} || '@example.com',
    'email_home', '', 'type_id', 'CLIENT', 'source_id', 'WEB', 'assigned_by_id', NULL,
    'comments', '', 'custom_fields', '{{}}'::jsonb,
    'created_at', '2026-01-02T03:04:05.000000Z', 'updated_at', '2026-01-02T03:04:05.000000Z')"""


def _events(cur, a: int, events: int, firsts: dict[str, tuple[int, int]], users) -> None:
    """`events` History events of the account over DAYS days, and the burst."""
    from crm_history.models import Event

    table = Event._meta.db_table
    alice, bob = users
    step_us = DAYS * 86_400 * 1_000_000 // events
    types = ["contact", "contact", "company", "lead", "deal", "contact", "product", "lead"]
    type_sql = "(ARRAY[" + ",".join(f"'{t}'" for t in types) + "])"
    first_sql = "(ARRAY[" + ",".join(str(firsts[t][0]) for t in types) + "])"
    size_sql = "(ARRAY[" + ",".join(str(firsts[t][1]) for t in types) + "])"
    columns = (
        "account_id, operation, entity_type, entity_id, action, actor_id, actor_name, source, "
        "occurred_at, title, changes, data, schema_version"
    )
    cur.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
        [table, f"{table}_pkey"],
    )
    indexes = [row[0] for row in cur.fetchall()]
    cur.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
        [table, f"{table}_pkey"],
    )
    definitions = [row[0] for row in cur.fetchall()]
    for name in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    cur.execute("SET session_replication_role = replica")  # valid rows: skip trigger checks
    chunk = 250_000
    for lo in range(1, events + 1, chunk):
        hi = min(events, lo + chunk - 1)
        cur.execute(
            f"""INSERT INTO {table} ({columns})
            SELECT {a}, md5((n / 20)::text)::uuid, {type_sql}[1 + n % 8],
                CASE WHEN n % 100 < 20 THEN 2000000000 + n
                     ELSE {first_sql}[1 + n % 8] + n % {size_sql}[1 + n % 8] END,
                CASE WHEN n % 100 < 20 THEN 'delete' WHEN n % 100 < 55 THEN 'create'
                     WHEN n % 100 < 95 THEN 'update' ELSE 'restore' END,
                CASE WHEN n % 3 = 0 THEN {bob} ELSE {alice} END,
                CASE WHEN n % 3 = 0 THEN 'bob' ELSE 'alice' END, 'page',
                now() - interval '{DAYS} days' + n * {step_us} * interval '1 microsecond',
                'Mario Rossi ' || n,
                CASE WHEN n % 100 BETWEEN 55 AND 94
                     THEN jsonb_build_object('post', jsonb_build_array('Buyer', 'Head buyer'))
                END,
                CASE WHEN n % 100 NOT BETWEEN 55 AND 94
                     THEN {CONTACT_RECORD.format(id="2000000000 + n", n="n")} END,
                1
            FROM generate_series({lo}::bigint, {hi}::bigint) AS n"""
        )
        say(f"  events: {hi:,}/{events:,}")
    # bob's mass deletion: BURST contacts two days ago, one instant (one bulk delete).
    cur.execute(
        f"""INSERT INTO {table} ({columns})
        SELECT {a}, md5('burst')::uuid, 'contact', 3000000000 + n, 'delete', {bob}, 'bob',
            'page', date_trunc('minute', now() - interval '2 days 3 hours') + interval '17 seconds',
            'Mario Rossi ' || n, NULL, {CONTACT_RECORD.format(id="3000000000 + n", n="n")}, 1
        FROM generate_series(1::bigint, {BURST}::bigint) AS n"""
    )
    cur.execute("SET session_replication_role = DEFAULT")
    for definition in definitions:
        cur.execute(definition)


def generate(records: int, events: int) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Account, Membership, Plan, PlanChange, Role
    from alerts.models import Alert
    from backups.models import Snapshot
    from crm_history.models import Event
    from restore_requests.models import Candidate, DeletionReport, RestoreRequest, Status

    password = make_password("bench-password-not-used")  # once: the hasher is slow by design

    def UserFactory(username):  # noqa: N802
        return get_user_model().objects.create(username=username, password=password)

    account = Account.objects.filter(name=ACCOUNT).first()
    if account is not None:
        have = Event.objects.filter(account=account).count()
        if have == events + BURST:
            say(f"Reusing the data set in the database ({have:,} events; --fresh to regenerate).")
            return
        sys.exit("The database holds another data set: run with --fresh.")
    t0 = time.perf_counter()
    c = counts(records)
    account = Account.objects.create(name=ACCOUNT, plan=Plan.PROFESSIONAL, timezone="Europe/Rome")
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    helen = UserFactory(username="helen")
    Membership.objects.create(user=alice, account=account, role=Role.ADMIN)
    Membership.objects.create(user=bob, account=account, role=Role.EMPLOYEE)
    from django.conf import settings

    helen.groups.add(Group.objects.get_or_create(name=settings.HELPDESK_GROUP)[0])
    with transaction.atomic(), connection.cursor() as cur:
        _records(cur, account.pk, c, alice.pk)
        say(f"  records: {sum(c.values()):,} ({', '.join(f'{t} {n:,}' for t, n in c.items())})")
        firsts = {}
        for et, table in (
            ("contact", "crm_contact"),
            ("company", "crm_company"),
            ("lead", "crm_lead"),
            ("deal", "crm_deal"),
            ("product", "crm_product"),
        ):
            cur.execute(
                f"SELECT min(id), count(*) FROM {table} WHERE account_id = %s", [account.pk]
            )
            firsts[et] = cur.fetchone()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        _events(cur, account.pk, events, firsts, (alice.pk, bob.pk))
    now = timezone.now()
    burst_at = Event.objects.filter(account=account, entity_id__gte=3_000_000_000).first()
    Alert.objects.create(
        account=account,
        kind=Alert.Kind.ACTOR,
        burst_key=f"user:{bob.pk}",
        actor_id=bob.pk,
        actor_name="bob",
        actors=["bob"],
        counts={"contact": BURST},
        paths={"page": BURST},
        started_at=burst_at.occurred_at,
        last_at=burst_at.occurred_at,
    )
    row_counts = dict(c)

    def snapshot(acc, at, kind=Snapshot.Kind.DAILY):
        return Snapshot(
            account=acc,
            kind=kind,
            status=Snapshot.Status.COMPLETE,
            day=at.date(),
            taken_at=at,
            started_at=at,
            finished_at=at,
            created_at=at,
            row_counts=row_counts,
            size_bytes=12_345_678,
            storage_path=f"snapshots/{acc.pk}/none/",
        )

    from datetime import timedelta

    days = [now - timedelta(days=d, hours=2) for d in range(8)]
    snaps = Snapshot.objects.bulk_create([snapshot(account, at) for at in days])
    requests = RestoreRequest.objects.bulk_create(
        [
            RestoreRequest(
                account=account,
                filed_by=alice,
                filed_at=now - timedelta(days=i % 6, hours=i),
                deleted_at=burst_at.occurred_at,
                option="csv_export",
                status=list(Status.values)[i % len(Status.values)],
            )
            for i in range(30)
        ]
    )
    proposed = next(r for r in requests if r.status == Status.PROPOSED)
    Candidate.objects.bulk_create(
        [
            Candidate(request=proposed, snapshot=s, proposed_by=helen, recommended=i == 0)
            for i, s in enumerate(snaps[2:4])
        ]
    )
    PlanChange.objects.bulk_create(
        [
            PlanChange(
                account=account,
                kind=PlanChange.Kind.UPGRADE,
                from_plan=Plan.STANDARD,
                to_plan=Plan.PROFESSIONAL,
                changed_by=alice,
                changed_by_name="alice",
            )
            for _ in range(50)
        ]
    )
    others = Account.objects.bulk_create(
        [
            Account(name=f"bench-other-{i:04d}", plan=Plan.STANDARD, timezone="Europe/Berlin")
            for i in range(OTHERS)
        ]
    )
    admins = []
    for other in others:
        user = UserFactory(username=f"admin-{other.pk}")
        Membership.objects.create(user=user, account=other, role=Role.ADMIN)
        admins.append(user)
    Snapshot.objects.bulk_create([snapshot(o, now - timedelta(days=3)) for o in others])
    RestoreRequest.objects.bulk_create(
        [
            RestoreRequest(
                account=o,
                filed_by=u,
                filed_at=now - timedelta(hours=i),
                deleted_at=now - timedelta(days=2, hours=i % 24),
                option="crm_rollback",
            )
            for i, (o, u) in enumerate(zip(others, admins, strict=True))
        ]
    )
    DeletionReport.objects.bulk_create(
        [
            DeletionReport(
                account=o,
                reported_by=u,
                deleted_at=now - timedelta(days=1),
                person="a former employee",
                description="Contacts of the north region",
            )
            for o, u in zip(others, admins, strict=True)
            for _ in range(2)
        ]
    )
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO {Event._meta.db_table} (account_id, operation, entity_type,
                entity_id, action, actor_id, actor_name, source, occurred_at, title, changes,
                data, schema_version)
            SELECT a.id, md5(a.id::text)::uuid, 'contact', 4000000000 + a.id * 100 + n, 'delete',
                NULL, 'someone', 'page', now() - interval '2 days', 'Gone ' || n, NULL,
                jsonb_build_object('id', 4000000000 + a.id * 100 + n), 1
            FROM accounts_account a, generate_series(1, 20) n
            WHERE a.name LIKE 'bench-other-%%'"""
        )
        cur.execute("VACUUM ANALYZE")
    say(f"Generated in {time.perf_counter() - t0:.0f} s.")


# --- Measuring -------------------------------------------------------------------------------


def pages():
    """(name, who, url, expected status) of every main page."""
    from django.utils import timezone

    from accounts.models import Account
    from alerts.models import Alert
    from crm.models import Company, Deal
    from restore_requests.models import RestoreRequest, Status

    account = Account.objects.get(name=ACCOUNT)
    company = Company.objects.filter(account=account).order_by("id").first()
    deal = Deal.objects.filter(account=account).order_by("id").first()
    request = RestoreRequest.objects.filter(account=account, status=Status.PROPOSED).first()
    queued = RestoreRequest.objects.exclude(account=account).order_by("filed_at").first()
    alert = Alert.objects.filter(account=account).first()
    burst_day = timezone.localtime(alert.started_at, account.tzinfo).date().isoformat()
    return [
        ("floor: the layout alone (404 page)", "bob", "/crm/nothing-here/", 404),
        ("CRM list: companies", "bob", "/crm/companies/", 200),
        ("CRM list: contacts", "bob", "/crm/contacts/", 200),
        ("CRM list: leads", "bob", "/crm/leads/", 200),
        ("CRM list: deals", "bob", "/crm/deals/", 200),
        ("CRM list: products", "bob", "/crm/products/", 200),
        ("CRM list: custom fields", "bob", "/crm/custom-fields/", 200),
        ("CRM list: contacts, search (R5 hidden count)", "bob", "/crm/contacts/?q=Rossi+1", 200),
        ("CRM list: contacts sorted by company", "bob", "/crm/contacts/?sort=company__title", 200),
        ("CRM list: deals, page 200", "bob", "/crm/deals/?page=200", 200),
        ("CRM detail: company (2,000 contacts)", "bob", f"/crm/companies/{company.pk}/", 200),
        ("CRM form: new contact", "bob", "/crm/contacts/new/", 200),
        ("CRM form: edit deal", "bob", f"/crm/deals/{deal.pk}/edit/", 200),
        ("Import", "bob", "/crm/import/", 200),
        ("History", "bob", "/history/", 200),
        ("History: deletions", "bob", "/history/?action=delete", 200),
        (
            "History: hourly chart of the burst's day",
            "bob",
            f"/history/?chart_day={burst_day}",
            200,
        ),
        ("Recycle Bin (administrator)", "alice", "/recycle-bin/", 200),
        ("Recycle Bin (employee: own deletions)", "bob", "/recycle-bin/", 200),
        ("Restore data", "alice", "/restore/", 200),
        ("New restore request (chart, burst)", "alice", "/restore/new/", 200),
        ("Restore request", "alice", f"/restore/{request.pk}/", 200),
        ("Backups", "alice", "/backups/", 200),
        ("Plan", "alice", "/plan/", 200),
        ("Alerts", "alice", "/alerts/", 200),
        ("Alert: the 10,000-contact burst", "alice", f"/alerts/{alert.pk}/", 200),
        ("Helpdesk: queue", "helen", "/helpdesk/", 200),
        ("Helpdesk: request", "helen", f"/helpdesk/requests/{queued.pk}/", 200),
        ("Helpdesk: request of the big account", "helen", f"/helpdesk/requests/{request.pk}/", 200),
        ("Helpdesk: reports", "helen", "/helpdesk/reports/", 200),
        ("Helpdesk: accounts", "helen", "/helpdesk/accounts/", 200),
        ("Helpdesk: the big account", "helen", f"/helpdesk/accounts/{account.pk}/", 200),
    ]


def measure(runs: int, only: str | None) -> list[tuple]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for username in ("alice", "bob", "helen"):
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        clients[username] = client
    results = []
    for name, who, url, expected in pages():
        if only and only.lower() not in name.lower():
            continue
        client = clients[who]
        for _ in range(3):
            response = client.get(url)
            assert response.status_code == expected, (url, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries = len(captured)  # now: the log is reset by the next request
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        size = len(response.content)
        results.append((name, url, p50, p95, queries, size))
        mark = "" if p95 < TARGET_MS else "  <-- over target"
        timing = f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
        say(f"{name:55s} {timing}  {queries:3d} q  {size:>9,} B{mark}")
    return results


def measure_chart(runs: int) -> list[tuple[str, float, float]]:
    """The chart's selectors alone on the big account: one grouped query each."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Account
    from crm_history import chart

    account = Account.objects.get(name=ACCOUNT)
    now = timezone.now()
    burst_day = chart.local_today(account, now - timedelta(days=2, hours=3))
    calls = [
        ("deletions_per_day (7 days)", lambda: chart.deletions_per_day(account)),
        (
            "deletions_per_hour (the burst's day)",
            lambda: chart.deletions_per_hour(account, burst_day),
        ),
        (
            "largest_burst (7 days)",
            lambda: chart.largest_burst(account, start=now - timedelta(days=7), end=now),
        ),
    ]
    results = []
    for name, call in calls:
        call()
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            call()
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        results.append((name, statistics.median(times), p95))
        say(f"{name:55s} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", help="measure only pages whose name contains this")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"], fresh=args.fresh)
    setup_django()
    generate(args.records, args.events)
    say(f"\nPages, {args.runs} timed calls each (target p95 < {TARGET_MS} ms):")
    results = measure(args.runs, args.only)
    say("\n| page | p50 | p95 | queries | HTML |")
    say("|---|---|---|---|---|")
    for name, url, p50, p95, queries, size in results:
        say(
            f"| {name} (`{url}`) | {p50:.0f} ms | {p95:.0f} ms | {queries} | {size / 1024:.0f} KB |"
        )
    if not args.only:
        say("\nThe chart's selectors alone:")
        measure_chart(args.runs)
    missed = [r[0] for r in results if r[3] >= TARGET_MS]
    say(f"\nOver target: {', '.join(missed) if missed else 'none'}.")


if __name__ == "__main__":
    main()
