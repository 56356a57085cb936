"""Benchmark of the daily snapshot (issue 4) on a 1,000,000-record account.

    .venv/bin/python bench/snapshots.py [--records 1000000] [--rounds 2] [--fresh]

Not part of the test run. Self-contained: it creates its scratch database
(rp_bench_snapshots, or DATABASE_URL if its name contains "bench"), migrates it,
generates one account's records in SQL (`INSERT … SELECT … FROM
generate_series`: companies, contacts, leads, deals, products, custom fields,
with realistic repetitive CRM text) and ANALYZEs. An existing database holding
exactly the requested number of records is reused; `--fresh` starts over.

What it measures, alternating over `--rounds` rounds in one run:
1. The floor: per entity type, `COPY (SELECT <cols> FROM <table> WHERE
   account_id = … ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER true)` of the
   same rows piped (psycopg2 copy_expert) into the same compressor (gzip, same
   level) writing a temporary file.
2. `backups.snapshots.take_snapshot` of the account (a safety snapshot, so every
   round takes one), in a child process, whose peak memory (ru_maxrss) is read
   at its end, beside the child's memory before the snapshot (Django loaded).
Reported: rows/s and CSV MB/s of both and their ratio, the snapshot's peak
memory, and the compressed size against the CSV size.
Targets (issue 4): ≥ 50% of the floor's throughput, < 200 MB peak, < 30% of CSV.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from _common import bench_environment, ensure_database, say, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rp_bench_snapshots"
# No query log; the snapshot task in this process (no worker), its files in a scratch folder.
bench_environment(DEFAULT_URL, tasks_in_process=True, scratch_media="rp-bench-media-")

ACCOUNT_NAME = "Bench snapshots"
# Shares of the records per entity type (the rest are contacts).
SHARES = {"custom_field": 0.00002, "product": 0.00098, "company": 0.10, "lead": 0.25, "deal": 0.249}


# --- Generation -------------------------------------------------------------------------

FIRST = "ARRAY['Mario','Luca','Giulia','Anna','Marco','Sara','Paolo','Elena','Franco','Chiara','John','Mary','Peter','Olga','Ivan','Yuki']"  # noqa: E501
LAST = "ARRAY['Rossi','Bianchi','Verdi','Russo','Ferrari','Esposito','Romano','Colombo','Smith','Jones','Müller','Novak','Ivanova','Tanaka']"  # noqa: E501
WORDS = "ARRAY['Alpha','Nord','Tecno','Global','Green','Blue','Prima','Delta','Nova','Sigma','Orion','Vega']"  # noqa: E501
KINDS = "ARRAY['Srl','SpA','Ltd','GmbH','Inc','SA']"
COMMENTS = (
    "ARRAY['', '', '', 'Called back, interested in the annual plan.', "
    "'Met at the trade show; wants a demo next week.', '', "
    "'Asked for a quote, with a 10% discount for two years.', "
    "'Prefers e-mail. Do not call before 10:00.']"
)


def _counts(records: int) -> dict[str, int]:
    counts = {k: max(1, round(records * v)) for k, v in SHARES.items()}
    counts["contact"] = records - sum(counts.values())
    return counts


def generate(account_id: int, records: int) -> None:
    from django.db import connection

    c = _counts(records)
    t0 = "timestamptz '2026-01-01 09:00:00+00'"
    a = int(account_id)
    statements = [
        f"""INSERT INTO crm_customfield (account_id, created_at, updated_at, entity_type, code,
                label, field_type, mandatory, sort)
            SELECT {a}, {t0} + g * interval '1 hour', {t0} + g * interval '1 hour',
                (ARRAY['contact','company','lead','deal'])[1 + g % 4], 'UF_CRM_F' || g,
                'Field ' || g, (ARRAY['string','double','date','boolean'])[1 + g % 4],
                g % 5 = 0, 100 + g
            FROM generate_series(1, {c["custom_field"]}) g""",
        f"""INSERT INTO crm_product (account_id, created_at, updated_at, name, code, description,
                price, currency_id, active, sort)
            SELECT {a}, {t0} + g * interval '1 minute', {t0} + g * interval '1 minute',
                ({WORDS})[1 + g % 12] || ' licence ' || g, 'P-' || lpad(g::text, 6, '0'),
                CASE WHEN g % 3 = 0 THEN 'Per seat, billed yearly.' ELSE '' END,
                (g % 500) * 10.5, 'EUR', g % 10 <> 0, 500
            FROM generate_series(1, {c["product"]}) g""",
        f"""INSERT INTO crm_company (account_id, created_at, updated_at, assigned_by_id, comments,
                custom_fields, title, company_type, industry, employees, revenue, currency_id,
                phone, email, web, address)
            SELECT {a}, {t0} + g * interval '7 seconds', {t0} + g * interval '9 seconds', NULL,
                ({COMMENTS})[1 + g % 8],
                CASE WHEN g % 2 = 0 THEN jsonb_build_object('UF_CRM_TIER', (ARRAY['A','B','C'])[1 + g % 3]) ELSE '{{}}'::jsonb END,
                ({WORDS})[1 + g % 12] || ' ' || ({WORDS})[1 + (g / 12) % 12] || ' ' || ({KINDS})[1 + g % 6],
                (ARRAY['CUSTOMER','SUPPLIER','PARTNER','OTHER'])[1 + g % 4],
                (ARRAY['IT','TELECOM','MANUFACTURING','BANKING','CONSULTING',''])[1 + g % 6],
                (ARRAY['EMPLOYEES_1','EMPLOYEES_2','EMPLOYEES_3',''])[1 + g % 4],
                CASE WHEN g % 4 = 0 THEN NULL ELSE (g % 1000) * 1000.25 END, 'EUR',
                '+39 02 ' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0'),
                'info' || g || '@example.com', 'https://example.com/c' || g,
                'Via Roma ' || (g % 200) || ', Milano'
            FROM generate_series(1, {c["company"]}) g""",  # noqa: E501
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        cursor.execute("SELECT min(id) FROM crm_company WHERE account_id = %s", [a])
        first_company = cursor.fetchone()[0]
        cursor.execute(
            f"""INSERT INTO crm_contact (account_id, created_at, updated_at, assigned_by_id,
                    comments, custom_fields, honorific, name, second_name, last_name, post,
                    company_id, phone, phone_mobile, email, email_home, type_id, source_id)
                SELECT {a}, {t0} + g * interval '3 seconds', {t0} + g * interval '4 seconds',
                    NULL, ({COMMENTS})[1 + g % 8],
                    CASE WHEN g % 2 = 0 THEN jsonb_build_object('UF_CRM_F1', (ARRAY['S','M','L','XL'])[1 + g % 4]) ELSE '{{}}'::jsonb END,
                    (ARRAY['HNR_EN_1','HNR_EN_2','HNR_EN_3',''])[1 + g % 4],
                    ({FIRST})[1 + g % 16], '', ({LAST})[1 + (g / 16) % 14],
                    (ARRAY['CEO','Sales manager','Buyer','','Engineer'])[1 + g % 5],
                    CASE WHEN g % 3 = 0 THEN NULL ELSE {first_company} + g % {c["company"]} END,
                    '+39 06 ' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0'),
                    CASE WHEN g % 2 = 0 THEN '+39 333 ' || lpad(((g::bigint * 104729) % 10000000)::text, 7, '0') ELSE '' END,
                    lower(({FIRST})[1 + g % 16]) || '.' || lower(({LAST})[1 + (g / 16) % 14]) || g || '@example.com',
                    '', (ARRAY['CLIENT','SUPPLIER','PARTNER','OTHER'])[1 + g % 4],
                    (ARRAY['CALL','EMAIL','WEB','ADVERTISING',''])[1 + g % 5]
                FROM generate_series(1, {c["contact"]}) g"""  # noqa: E501
        )
        cursor.execute("SELECT min(id) FROM crm_contact WHERE account_id = %s", [a])
        first_contact = cursor.fetchone()[0]
        cursor.execute(
            f"""INSERT INTO crm_lead (account_id, created_at, updated_at, assigned_by_id, comments,
                    custom_fields, title, name, second_name, last_name, company_title, post,
                    status_id, opportunity, currency_id, source_id, phone, email)
                SELECT {a}, {t0} + g * interval '5 seconds', {t0} + g * interval '6 seconds',
                    NULL, ({COMMENTS})[1 + g % 8], '{{}}'::jsonb,
                    (ARRAY['Website enquiry','Trade show','Referral','Cold call'])[1 + g % 4] || ' #' || g,
                    ({FIRST})[1 + g % 16], '', ({LAST})[1 + (g / 16) % 14],
                    ({WORDS})[1 + g % 12] || ' ' || ({KINDS})[1 + g % 6], '',
                    (ARRAY['NEW','IN_PROCESS','PROCESSED','CONVERTED','JUNK'])[1 + g % 5],
                    CASE WHEN g % 3 = 0 THEN NULL ELSE (g % 200) * 50.00 END, 'EUR',
                    (ARRAY['CALL','EMAIL','WEB','TRADE_SHOW'])[1 + g % 4],
                    '+39 011 ' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0'),
                    'lead' || g || '@example.com'
                FROM generate_series(1, {c["lead"]}) g"""  # noqa: E501
        )
        cursor.execute(
            f"""INSERT INTO crm_deal (account_id, created_at, updated_at, assigned_by_id, comments,
                    custom_fields, title, category_id, stage_id, probability, opportunity,
                    currency_id, company_id, contact_id, begindate, closedate, closed)
                SELECT {a}, {t0} + g * interval '5 seconds', {t0} + g * interval '8 seconds',
                    NULL, ({COMMENTS})[1 + g % 8], '{{}}'::jsonb,
                    (ARRAY['Annual licence','Support renewal','Upgrade','Consulting'])[1 + g % 4] || ' ' || g,
                    g % 3,
                    (ARRAY['NEW','PREPARATION','PREPAYMENT_INVOICE','EXECUTING','FINAL_INVOICE','WON','LOSE'])[1 + g % 7],
                    CASE WHEN g % 4 = 0 THEN NULL ELSE (g % 11) * 10 END,
                    (g % 300) * 100.00, 'EUR',
                    CASE WHEN g % 5 = 0 THEN NULL ELSE {first_company} + g % {c["company"]} END,
                    CASE WHEN g % 2 = 0 THEN NULL ELSE {first_contact} + g % {c["contact"]} END,
                    date '2026-01-01' + (g % 300), CASE WHEN g % 7 = 0 THEN NULL ELSE date '2026-06-30' + (g % 200) END,
                    g % 7 IN (5, 6)
                FROM generate_series(1, {c["deal"]}) g"""  # noqa: E501
        )
        for table in ("customfield", "product", "company", "contact", "lead", "deal"):
            cursor.execute(f"ANALYZE crm_{table}")


def prepare(records: int, fresh: bool) -> int:
    ensure_database(os.environ["DATABASE_URL"], fresh=fresh)
    setup_django(migrate=True)
    from accounts.models import Account
    from crm.registry import entity_types

    account = Account.objects.filter(name=ACCOUNT_NAME).first()
    if account is not None:
        have = sum(et.model.objects.filter(account=account).count() for et in entity_types())
        if have == records:
            say(f"Reusing account #{account.pk} with {have:,} records")
            return account.pk
        sys.exit(f"The bench database holds {have:,} records, not {records:,}: use --fresh.")
    account = Account.objects.create(name=ACCOUNT_NAME, plan="professional", timezone="UTC")
    say(f"Generating {records:,} records for account #{account.pk} …")
    started = time.monotonic()
    generate(account.pk, records)
    say(f"  generated in {time.monotonic() - started:.1f} s")
    return account.pk


# --- Measurements ---------------------------------------------------------------------


class _Counting:
    """The floor's sink: counts the CSV bytes and hands them to the compressor."""

    def __init__(self, target):
        self.target = target
        self.bytes = 0

    def write(self, data):
        self.bytes += len(data)
        return self.target.write(data)


def floor(account_id: int) -> dict:
    from django.conf import settings
    from django.db import connection

    from crm.registry import entity_types

    qn = connection.ops.quote_name
    rows = csv_bytes = compressed = 0
    started = time.monotonic()
    for et in entity_types():
        columns = ", ".join(qn(c) for c in et.field_names)
        sql = (
            f"COPY (SELECT {columns} FROM {qn(et.table)} WHERE account_id = {int(account_id)} "
            "ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER true)"
        )
        with tempfile.TemporaryFile() as out:
            with gzip.GzipFile(
                fileobj=out, mode="wb", compresslevel=settings.SNAPSHOT_GZIP_LEVEL, mtime=0
            ) as gz:
                sink = _Counting(gz)
                with connection.cursor() as cursor:
                    cursor.copy_expert(sql, sink)
                    rows += cursor.rowcount
            compressed += out.tell()
        csv_bytes += sink.bytes
    return {
        "seconds": time.monotonic() - started,
        "rows": rows,
        "csv_bytes": csv_bytes,
        "compressed_bytes": compressed,
    }


def child_snapshot(account_id: int) -> None:
    """Run in a child process: take one snapshot, print its figures as JSON."""
    setup_django(migrate=False)
    from accounts.models import Account
    from backups.snapshots import read_manifest, take_snapshot

    account = Account.objects.get(pk=account_id)
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    snapshot = take_snapshot(account, kind="safety")
    seconds = time.monotonic() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    files = read_manifest(snapshot)["files"].values()
    print(
        json.dumps(
            {
                "snapshot": snapshot.pk,
                "status": snapshot.status,
                "seconds": seconds,
                "rows": snapshot.records,
                "csv_bytes": sum(f["csv_bytes"] for f in files),
                "compressed_bytes": sum(f["bytes"] for f in files),
                "size_bytes": snapshot.size_bytes,
                "rss_before_kb": before_kb,
                "peak_rss_kb": peak_kb,
            }
        )
    )


def snapshot_in_child(account_id: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child-snapshot", str(account_id)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--child-snapshot", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_snapshot:
        child_snapshot(args.child_snapshot)
        return

    account_id = prepare(args.records, args.fresh)
    from django.conf import settings

    say(f"gzip level {settings.SNAPSHOT_GZIP_LEVEL}; warming the cache with one floor run")
    floor(account_id)
    floors, snaps = [], []
    for n in range(1, args.rounds + 1):
        f = floor(account_id)
        s = snapshot_in_child(account_id)
        assert s["status"] == "complete" and s["rows"] == f["rows"], (s, f)
        floors.append(f)
        snaps.append(s)
        say(
            f"round {n}: floor {f['seconds']:.2f} s, snapshot {s['seconds']:.2f} s "
            f"({s['seconds'] / f['seconds']:.2f}x), peak {s['peak_rss_kb'] / 1024:.0f} MB"
        )
    f = min(floors, key=lambda r: r["seconds"])
    s = min(snaps, key=lambda r: r["seconds"])
    peak = max(r["peak_rss_kb"] for r in snaps) / 1024
    base = max(r["rss_before_kb"] for r in snaps) / 1024
    mb = 1024 * 1024
    ratio = (f["seconds"] / s["seconds"]) if s["seconds"] else 0
    lines = [
        f"records: {f['rows']:,} (one account), CSV {f['csv_bytes'] / mb:.1f} MB, "
        f"gzip level {settings.SNAPSHOT_GZIP_LEVEL}, best of {args.rounds} rounds",
        f"floor (COPY … TO STDOUT | gzip): {f['seconds']:.2f} s, "
        f"{f['rows'] / f['seconds']:,.0f} rows/s, {f['csv_bytes'] / mb / f['seconds']:.1f} MB/s",
        f"take_snapshot: {s['seconds']:.2f} s, {s['rows'] / s['seconds']:,.0f} rows/s, "
        f"{s['csv_bytes'] / mb / s['seconds']:.1f} MB/s",
        f"throughput ratio (snapshot / floor): {ratio:.2f}  (target >= 0.50)",
        f"peak memory of the snapshot process: {peak:.0f} MB "
        f"({base:.0f} MB before the snapshot, Django loaded)  (target < 200 MB)",
        f"compressed: {s['compressed_bytes'] / mb:.1f} MB of {s['csv_bytes'] / mb:.1f} MB CSV = "
        f"{100 * s['compressed_bytes'] / s['csv_bytes']:.1f}%  (target < 30%); "
        f"the floor's gzip: {100 * f['compressed_bytes'] / f['csv_bytes']:.1f}%",
    ]
    say("")
    for line in lines:
        say(line)


if __name__ == "__main__":
    main()
