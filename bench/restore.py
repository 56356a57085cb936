"""Benchmark of the restore engine (issue 5): CRM rollback, CSV export and preview
of a 100,000-record account in a database holding 1,000,000 records of other
accounts.

    .venv/bin/python bench/restore.py [--records 100000] [--others 1000000] [--rounds 2] [--fresh]

Not part of the test run. Self-contained: it creates its scratch database
(rp_bench_restore, or DATABASE_URL if its name contains "bench"), migrates it,
and generates in SQL (`INSERT … SELECT … FROM generate_series`) one account of
`--records` CRM records (companies, contacts, leads, deals, linked, some with
custom field values; plus a few products and custom field definitions) and ten
other accounts holding `--others` records between them. An existing database
of the requested sizes is reused; `--fresh` starts over.

Each round, in one run:
1. a snapshot of the account is taken, and the same rows are dumped by hand
   (`COPY (SELECT account_id, <cols> …) TO STDOUT`, kept in memory) for the floor;
2. "a day's work" is done in SQL: 1% of the contacts renamed, 1% of the deals
   moved to another stage, 1% of the deals deleted, a tenth of the contacts
   deleted (a mass deletion; their deals unlinked), 1,000 leads added;
3. the preview of a CRM rollback (`backups.restores.preview`) is timed;
4. the CRM rollback (`execute_run` of a RestoreRun, in this process, no worker:
   lock, verify, safety snapshot, the set-based diff with its History events,
   one transaction) is timed; the account must then equal the snapshot;
5. the day's work is done again, and the floor is timed: in one transaction,
   DELETE of the account's rows of the four tables and COPY FROM of the
   snapshot's rows (the dump of step 1), committed (deferred FK checks included);
6. after a VACUUM ANALYZE of the four tables (untimed), the CSV export
   (`execute_run` of a csv_export run) is timed against its floor, `COPY
   (SELECT <cols> … ORDER BY id) TO STDOUT (FORMAT csv)` of the same rows of
   the four tables, and against the same data path by hand (the snapshot's
   files gunzipped into COPY FROM a temporary table, then COPY TO STDOUT);
   alternating, twice, the faster of each.
Other accounts' rows are checksummed before and after. Targets: rollback within
2× its floor, export within 2× COPY, preview under 2 s.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import time
from statistics import median

from _common import bench_environment, ensure_database, say, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rp_bench_restore"
# No query log; the runs execute in this process (no worker), their files in a scratch folder.
bench_environment(DEFAULT_URL, tasks_in_process=True, scratch_media="rp-bench-restore-media-")

TARGET = "Bench restore target"
OTHER = "Bench restore other"
OTHER_ACCOUNTS = 10
CRM_TABLES = ("crm_company", "crm_contact", "crm_lead", "crm_deal")  # parents first
SHARES = {"crm_company": 0.10, "crm_contact": 0.40, "crm_lead": 0.25, "crm_deal": 0.25}


# --- Generation ---------------------------------------------------------------------

FIRST = "ARRAY['Mario','Luca','Giulia','Anna','Marco','Sara','Paolo','Elena','John','Mary','Olga','Yuki']"  # noqa: E501
LAST = (
    "ARRAY['Rossi','Bianchi','Verdi','Russo','Ferrari','Esposito','Smith','Jones','Müller','Novak']"  # noqa: E501
)
WORDS = "ARRAY['Alpha','Nord','Tecno','Global','Green','Blue','Prima','Delta','Nova','Sigma']"
COMMENTS = (
    "ARRAY['', '', 'Called back, interested in the annual plan.', "
    "'Met at the trade show; wants a demo next week.', '', "
    "'Asked for a quote, \"10% off\" for two years.', '=SUM(A1:A3) pasted by mistake', "
    "'Prefers e-mail.\nDo not call before 10:00.']"
)


def _counts(records: int) -> dict[str, int]:
    counts = {t: round(records * s) for t, s in SHARES.items()}
    counts["crm_contact"] += records - sum(counts.values())
    return counts


def generate(account_id: int, records: int, *, extras: bool) -> None:
    """`records` CRM records of one account, in SQL; products and custom field
    definitions too when `extras`."""
    from django.db import connection

    c = _counts(records)
    a = int(account_id)
    t0 = "timestamptz '2026-01-01 09:00:00+00'"
    with connection.cursor() as cursor:
        if extras:
            cursor.execute(
                f"""INSERT INTO crm_customfield (account_id, created_at, updated_at, entity_type,
                        code, label, field_type, mandatory, sort)
                    VALUES
                      ({a}, {t0}, {t0}, 'contact', 'UF_CRM_SIZE', 'Size', 'string', false, 1),
                      ({a}, {t0}, {t0}, 'company', 'UF_CRM_TIER', 'Tier', 'string', false, 1),
                      ({a}, {t0}, {t0}, 'deal', 'UF_CRM_BUDGET', 'Budget', 'double', false, 1)"""
            )
            cursor.execute(
                f"""INSERT INTO crm_product (account_id, created_at, updated_at, name, code,
                        description, price, currency_id, active, sort)
                    SELECT {a}, {t0}, {t0}, 'Licence ' || g, 'P-' || g, '', g * 10.5, 'EUR',
                           true, 500 FROM generate_series(1, 50) g"""
            )
        cursor.execute(
            f"""INSERT INTO crm_company (account_id, created_at, updated_at, assigned_by_id,
                    comments, custom_fields, title, company_type, industry, employees, revenue,
                    currency_id, phone, email, web, address)
                SELECT {a}, {t0} + g * interval '7 seconds', {t0} + g * interval '9 seconds',
                    NULL, ({COMMENTS})[1 + g % 8],
                    CASE WHEN g % 2 = 0 THEN jsonb_build_object('UF_CRM_TIER', (ARRAY['A','B','C'])[1 + g % 3]) ELSE '{{}}'::jsonb END,
                    ({WORDS})[1 + g % 10] || ' ' || ({WORDS})[1 + (g / 10) % 10] || ' Srl ' || g,
                    (ARRAY['CUSTOMER','SUPPLIER','PARTNER','OTHER'])[1 + g % 4],
                    (ARRAY['IT','TELECOM','MANUFACTURING','BANKING',''])[1 + g % 5],
                    (ARRAY['EMPLOYEES_1','EMPLOYEES_2',''])[1 + g % 3],
                    CASE WHEN g % 4 = 0 THEN NULL ELSE (g % 1000) * 1000.25 END, 'EUR',
                    '+39 02 ' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0'),
                    'info' || g || '@example.com', 'https://example.com/c' || g,
                    'Via Roma ' || (g % 200) || E',\\nMilano'
                FROM generate_series(1, {c["crm_company"]}) g"""  # noqa: E501
        )
        cursor.execute("SELECT min(id) FROM crm_company WHERE account_id = %s", [a])
        first_company = cursor.fetchone()[0]
        cursor.execute(
            f"""INSERT INTO crm_contact (account_id, created_at, updated_at, assigned_by_id,
                    comments, custom_fields, honorific, name, second_name, last_name, post,
                    company_id, phone, phone_mobile, email, email_home, type_id, source_id)
                SELECT {a}, {t0} + g * interval '3 seconds', {t0} + g * interval '4 seconds',
                    NULL, ({COMMENTS})[1 + g % 8],
                    CASE WHEN g % 2 = 0 THEN jsonb_build_object('UF_CRM_SIZE', (ARRAY['S','M','L','XL'])[1 + g % 4]) ELSE '{{}}'::jsonb END,
                    (ARRAY['HNR_EN_1','HNR_EN_2','HNR_EN_3',''])[1 + g % 4],
                    ({FIRST})[1 + g % 12], '', ({LAST})[1 + (g / 12) % 10],
                    (ARRAY['CEO','Sales manager','Buyer','','Engineer'])[1 + g % 5],
                    CASE WHEN g % 3 = 0 THEN NULL ELSE {first_company} + g % {c["crm_company"]} END,
                    '+39 06 ' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0'),
                    CASE WHEN g % 2 = 0 THEN '+39 333 ' || lpad(g::text, 7, '0') ELSE '' END,
                    'person' || g || '@example.com', '',
                    (ARRAY['CLIENT','SUPPLIER','PARTNER','OTHER'])[1 + g % 4],
                    (ARRAY['CALL','EMAIL','WEB','ADVERTISING',''])[1 + g % 5]
                FROM generate_series(1, {c["crm_contact"]}) g"""  # noqa: E501
        )
        cursor.execute("SELECT min(id) FROM crm_contact WHERE account_id = %s", [a])
        first_contact = cursor.fetchone()[0]
        cursor.execute(
            f"""INSERT INTO crm_lead (account_id, created_at, updated_at, assigned_by_id, comments,
                    custom_fields, title, name, second_name, last_name, company_title, post,
                    status_id, opportunity, currency_id, source_id, phone, email)
                SELECT {a}, {t0} + g * interval '5 seconds', {t0} + g * interval '6 seconds',
                    NULL, ({COMMENTS})[1 + g % 8], '{{}}'::jsonb,
                    (ARRAY['Website enquiry','Trade show','Referral','+Cold call'])[1 + g % 4] || ' #' || g,
                    ({FIRST})[1 + g % 12], '', ({LAST})[1 + (g / 12) % 10],
                    ({WORDS})[1 + g % 10] || ' SpA', '',
                    (ARRAY['NEW','IN_PROCESS','PROCESSED','CONVERTED','JUNK'])[1 + g % 5],
                    CASE WHEN g % 3 = 0 THEN NULL ELSE (g % 200) * 50.00 END, 'EUR',
                    (ARRAY['CALL','EMAIL','WEB','TRADE_SHOW'])[1 + g % 4],
                    '+39 011 ' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0'),
                    'lead' || g || '@example.com'
                FROM generate_series(1, {c["crm_lead"]}) g"""  # noqa: E501
        )
        cursor.execute(
            f"""INSERT INTO crm_deal (account_id, created_at, updated_at, assigned_by_id, comments,
                    custom_fields, title, category_id, stage_id, probability, opportunity,
                    currency_id, company_id, contact_id, begindate, closedate, closed)
                SELECT {a}, {t0} + g * interval '5 seconds', {t0} + g * interval '8 seconds',
                    NULL, ({COMMENTS})[1 + g % 8],
                    CASE WHEN g % 3 = 0 THEN jsonb_build_object('UF_CRM_BUDGET', (g % 90)::text || '.5') ELSE '{{}}'::jsonb END,
                    (ARRAY['Annual licence','Support renewal','Upgrade','Consulting'])[1 + g % 4] || ' ' || g,
                    g % 3,
                    (ARRAY['NEW','PREPARATION','PREPAYMENT_INVOICE','EXECUTING','FINAL_INVOICE','WON','LOSE'])[1 + g % 7],
                    CASE WHEN g % 4 = 0 THEN NULL ELSE (g % 11) * 10 END,
                    (g % 300) * 100.00, 'EUR',
                    CASE WHEN g % 5 = 0 THEN NULL ELSE {first_company} + g % {c["crm_company"]} END,
                    CASE WHEN g % 2 = 0 THEN NULL ELSE {first_contact} + g % {c["crm_contact"]} END,
                    date '2026-01-01' + (g % 300),
                    CASE WHEN g % 7 = 0 THEN NULL ELSE date '2026-06-30' + (g % 200) END,
                    g % 7 IN (5, 6)
                FROM generate_series(1, {c["crm_deal"]}) g"""  # noqa: E501
        )


def prepare(records: int, others: int, fresh: bool):
    ensure_database(os.environ["DATABASE_URL"], fresh=fresh)
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import Account, Membership

    def crm_rows(account_ids) -> int:
        total = 0
        with connection.cursor() as cursor:
            for table in CRM_TABLES:
                cursor.execute(
                    f"SELECT count(*) FROM {table} WHERE account_id = ANY(%s)", [list(account_ids)]
                )
                total += cursor.fetchone()[0]
        return total

    target = Account.objects.filter(name=TARGET).first()
    other_ids = list(Account.objects.filter(name__startswith=OTHER).values_list("pk", flat=True))
    if target is not None:
        have, have_others = crm_rows([target.pk]), crm_rows(other_ids)
        if (have, have_others) != (records, others):
            sys.exit(
                f"The bench database holds {have:,} + {have_others:,} records, not "
                f"{records:,} + {others:,}: use --fresh."
            )
        say(f"Reusing account #{target.pk} ({have:,} records) beside {have_others:,} others")
    else:
        started = time.monotonic()
        say(f"Generating {others:,} records of {OTHER_ACCOUNTS} other accounts …")
        for n in range(OTHER_ACCOUNTS):
            other = Account.objects.create(name=f"{OTHER} {n}", plan="professional")
            generate(other.pk, others // OTHER_ACCOUNTS, extras=n == 0)
        target = Account.objects.create(name=TARGET, plan="professional", timezone="UTC")
        say(f"Generating {records:,} records of account #{target.pk} …")
        generate(target.pk, records, extras=True)
        with connection.cursor() as cursor:
            for table in (*CRM_TABLES, "crm_product", "crm_customfield"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        say(f"  generated in {time.monotonic() - started:.1f} s")
    user = get_user_model().objects.filter(username="bench-admin").first()
    if user is None:
        user = get_user_model().objects.create_user("bench-admin", password=None)
        Membership.objects.create(user=user, account=target, role="admin")
    return target, user


# --- The day's work, the floors, checksums --------------------------------------------


def day_of_work(account_id: int) -> None:
    """Changes after the snapshot, in SQL (deterministic: the same every round)."""
    from django.db import connection, transaction

    a = int(account_id)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE crm_contact SET last_name = last_name || ' (changed)', updated_at = now() "
            "WHERE account_id = %s AND id %% 100 = 7",
            [a],
        )
        cursor.execute(
            "UPDATE crm_deal SET stage_id = 'WON', updated_at = now() "
            "WHERE account_id = %s AND id %% 100 = 5",
            [a],
        )
        cursor.execute("DELETE FROM crm_deal WHERE account_id = %s AND id %% 100 = 3", [a])
        # A mass deletion: a tenth of the contacts, their deals unlinked (as the services do).
        cursor.execute(
            "UPDATE crm_deal SET contact_id = NULL, updated_at = now() WHERE account_id = %s "
            "AND contact_id IN (SELECT id FROM crm_contact WHERE account_id = %s "
            "AND id %% 10 = 3)",
            [a, a],
        )
        cursor.execute("DELETE FROM crm_contact WHERE account_id = %s AND id %% 10 = 3", [a])
        cursor.execute(
            "INSERT INTO crm_lead (account_id, created_at, updated_at, assigned_by_id, comments, "
            "custom_fields, title, name, second_name, last_name, company_title, post, status_id, "
            "opportunity, currency_id, source_id, phone, email) "
            "SELECT %s, now(), now(), NULL, '', '{}', 'New lead ' || g, '', '', '', '', '', "
            "'NEW', NULL, 'EUR', '', '', '' FROM generate_series(1, 1000) g",
            [a],
        )


def dump_for_floor(account_id: int) -> dict[str, bytes]:
    """The account's rows now (= the snapshot's), as COPY wants them back, in memory."""
    from django.db import connection

    from crm.registry import module_entities

    dumps = {}
    with connection.cursor() as cursor:
        for et in module_entities("crm"):
            out = io.BytesIO()
            cols = ", ".join(["account_id", *et.field_names])
            cursor.copy_expert(
                f"COPY (SELECT {cols} FROM {et.table} WHERE account_id = {int(account_id)} "
                "ORDER BY id) TO STDOUT WITH (FORMAT csv)",
                out,
            )
            dumps[et.table] = out.getvalue()
    return dumps


def rollback_floor(account_id: int, dumps: dict[str, bytes]) -> float:
    """DELETE of the account's rows plus COPY FROM of the snapshot's, one transaction."""
    from django.db import connection, transaction

    from crm.registry import module_entities

    ets = module_entities("crm")
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        for et in reversed(ets):  # children first
            cursor.execute(f"DELETE FROM {et.table} WHERE account_id = %s", [account_id])
        for et in ets:  # parents first
            cols = ", ".join(["account_id", *et.field_names])
            text = [c for c in et.field_names if et.field(c).kind == "str"]
            cursor.copy_expert(
                f"COPY {et.table} ({cols}) FROM STDIN WITH (FORMAT csv, "
                f"FORCE_NOT_NULL ({', '.join(text)}))",
                io.BytesIO(dumps[et.table]),
            )
    return time.monotonic() - started


class _Sink:
    def __init__(self):
        self.bytes = 0

    def write(self, data):
        self.bytes += len(data)
        return len(data)


def export_floor(account_id: int) -> tuple[float, int]:
    """COPY … TO STDOUT (FORMAT csv) of the account's rows of the four tables."""
    from django.db import connection

    from crm.registry import module_entities

    sink = _Sink()
    started = time.monotonic()
    with connection.cursor() as cursor:
        for et in module_entities("crm"):
            cursor.copy_expert(
                f"COPY (SELECT {', '.join(et.field_names)} FROM {et.table} "
                f"WHERE account_id = {int(account_id)} ORDER BY id) TO STDOUT WITH (FORMAT csv)",
                sink,
            )
    return time.monotonic() - started, sink.bytes


def export_by_hand(account_id: int, snapshot) -> float:
    """The same data path by hand, without formatting or zip: each snapshot file
    gunzipped into COPY FROM (a temporary table), then COPY TO STDOUT of it."""
    import gzip

    from django.db import connection, transaction

    from backups.storage import snapshot_storage
    from crm.registry import module_entities

    storage = snapshot_storage()
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        for et in module_entities("crm"):
            cols = ", ".join(et.field_names)
            cursor.execute(
                f"CREATE TEMP TABLE hand_{et.entity_type} ON COMMIT DROP AS "
                f"SELECT {cols} FROM {et.table} WITH NO DATA"
            )
            with storage.open(f"{snapshot.storage_path}{et.entity_type}.csv.gz", "rb") as raw:
                cursor.copy_expert(
                    f"COPY hand_{et.entity_type} ({cols}) FROM STDIN WITH (FORMAT csv, HEADER)",
                    gzip.GzipFile(fileobj=raw),
                    1 << 19,
                )
            cursor.copy_expert(
                f"COPY (SELECT * FROM hand_{et.entity_type} ORDER BY id) TO STDOUT "
                "WITH (FORMAT csv)",
                _Sink(),
            )
        transaction.set_rollback(True)
    return time.monotonic() - started


def checksum(where: str, params: list) -> str:
    """An md5 over every row of the CRM tables (and History) matching `where`."""
    from django.db import connection

    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in (*CRM_TABLES, "crm_product", "crm_customfield", "crm_history_event"):
            cursor.execute(
                f"SELECT count(*), md5(COALESCE(string_agg(t::text, '|' ORDER BY t.id), '')) "
                f"FROM {table} t WHERE {where}",
                params,
            )
            digest.update(repr(cursor.fetchone()).encode())
    return digest.hexdigest()


def crm_checksum(account_id: int) -> str:
    from django.db import connection

    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in CRM_TABLES:
            cursor.execute(
                f"SELECT count(*), md5(COALESCE(string_agg(t::text, '|' ORDER BY t.id), '')) "
                f"FROM {table} t WHERE account_id = %s",
                [account_id],
            )
            digest.update(repr(cursor.fetchone()).encode())
    return digest.hexdigest()


# --- The run --------------------------------------------------------------------------


def timed_run(account, user, snapshot, option: str):
    from backups.restore_models import RestoreRun
    from backups.restores import execute_run

    run = RestoreRun.objects.create(
        account=account, snapshot=snapshot, option=option, requested_by=user,
        rows_total=snapshot.records,
    )  # fmt: skip
    started = time.monotonic()
    execute_run(run.pk)
    seconds = time.monotonic() - started
    run.refresh_from_db()
    if run.status != "completed":
        sys.exit(f"The {option} run failed: {run.error}")
    return run, seconds


def cpu_seconds() -> float | None:
    """CPU time so far of this process (all threads) plus its database session's
    backend (read from /proc: PostgreSQL on this machine), or None."""
    from django.db import connection

    try:
        pid = connection.connection.info.backend_pid
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, AttributeError, ValueError, IndexError):
        return None
    return time.process_time() + backend


def settle() -> None:
    """VACUUM ANALYZE the four tables (not timed), so that no autovacuum of the
    rows just rewritten runs during the next measurements."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in CRM_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")


def round_(account, user, n: int) -> dict:
    from backups.restores import open_export, preview
    from backups.snapshots import take_snapshot, verify_snapshot

    a = account.pk
    started = time.monotonic()
    snapshot = take_snapshot(account, kind="safety")
    snapshot_s = time.monotonic() - started
    at_snapshot = crm_checksum(a)
    dumps = dump_for_floor(a)
    started = time.monotonic()
    verify_snapshot(snapshot)
    verify_s = time.monotonic() - started

    day_of_work(a)
    started = time.monotonic()
    shown = preview(account=account, snapshot=snapshot, option="crm_rollback")
    preview_s = time.monotonic() - started
    changes = {r.entity_type: (r.back, r.lost, r.reverted) for r in shown.rows if r.affected}

    run, rollback_s = timed_run(account, user, snapshot, "crm_rollback")
    if crm_checksum(a) != at_snapshot:
        sys.exit("After the rollback the account differs from its snapshot.")
    counts = {t: (c["back"], c["lost"], c["reverted"]) for t, c in run.result["counts"].items()}
    if counts != changes:
        sys.exit(f"The preview said {changes}, the rollback did {counts}.")

    day_of_work(a)
    floor_s = rollback_floor(a, dumps)
    if crm_checksum(a) != at_snapshot:
        sys.exit("After the floor the account differs from its snapshot.")

    settle()
    # Alternating, twice; the faster of each (the machine is shared).
    copies, exports, by_hands, copy_cpu, export_cpu = [], [], [], [], []
    for _ in range(2):
        before = cpu_seconds()
        copy_s, copy_bytes = export_floor(a)
        middle = cpu_seconds()
        copies.append(copy_s)
        export_run, export_s = timed_run(account, user, snapshot, "csv_export")
        after = cpu_seconds()
        exports.append(export_s)
        if None not in (before, middle, after):
            copy_cpu.append(middle - before)
            export_cpu.append(after - middle)
        by_hands.append(export_by_hand(a, snapshot))
    copy_s, export_s, by_hand_s = min(copies), min(exports), min(by_hands)
    with open_export(export_run) as handle:
        zip_bytes = len(handle.read())
    settle()
    say(
        f"round {n}: rollback {rollback_s:.2f} s / floor {floor_s:.2f} s = "
        f"{rollback_s / floor_s:.2f}x; export {export_s:.2f} s / COPY {copy_s:.2f} s = "
        f"{export_s / copy_s:.2f}x (by hand: load + COPY {by_hand_s:.2f} s); "
        f"preview {preview_s:.2f} s"
    )
    return {
        "snapshot": snapshot_s,
        "verify": verify_s,
        "preview": preview_s,
        "rollback": rollback_s,
        "floor": floor_s,
        "export": export_s,
        "copy": copy_s,
        "copy_bytes": copy_bytes,
        "by_hand": by_hand_s,
        "copy_cpu": min(copy_cpu) if copy_cpu else None,
        "export_cpu": min(export_cpu) if export_cpu else None,
        "zip_bytes": zip_bytes,
        "changes": changes,
        "events": sum(sum(v) for v in counts.values()) + 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()

    account, user = prepare(args.records, args.others, args.fresh)
    others_before = checksum("account_id <> %s", [account.pk])
    rounds = [round_(account, user, n) for n in range(1, args.rounds + 1)]
    others_after = checksum("account_id <> %s", [account.pk])

    def spread(values) -> str:
        values = sorted(values)
        return f"median {median(values):.2f}, range {values[0]:.2f}–{values[-1]:.2f}"

    rollback = [x["rollback"] / x["floor"] for x in rounds]
    export = [x["export"] / x["copy"] for x in rounds]
    by_hand = [x["export"] / x["by_hand"] for x in rounds]
    r = rounds[-1]
    lines = [
        f"account: {args.records:,} CRM records, beside {args.others:,} records of "
        f"{OTHER_ACCOUNTS} other accounts; {args.rounds} rounds",
        f"changes since the snapshot (back, lost, reverted): {r['changes']}; "
        f"History events written by the rollback: {r['events']:,}",
        f"CRM rollback / floor (DELETE + COPY FROM, one transaction): {spread(rollback)}  "
        "(target <= 2x)",
        f"  times: rollback median {median(x['rollback'] for x in rounds):.2f} s, floor median "
        f"{median(x['floor'] for x in rounds):.2f} s; within the rollback: verifying the "
        f"snapshot ~{median(x['verify'] for x in rounds):.2f} s, the safety snapshot "
        f"~{median(x['snapshot'] for x in rounds):.2f} s",
        f"CSV export / COPY TO STDOUT (FORMAT csv) of the same rows: {spread(export)}  "
        "(target <= 2x)",
        f"  times: export median {median(x['export'] for x in rounds):.2f} s, COPY median "
        f"{median(x['copy'] for x in rounds):.2f} s ({r['copy_bytes'] / 1e6:.1f} MB of CSV); "
        f"zip {r['zip_bytes'] / 1e6:.1f} MB",
        "  export / the same data path by hand (gunzip the snapshot into COPY FROM a "
        f"temporary table, COPY TO STDOUT): {spread(by_hand)}",
        *(
            [
                "  CPU (this process, its threads and its database backend): export median "
                f"{median(x['export_cpu'] for x in rounds):.2f} s, COPY median "
                f"{median(x['copy_cpu'] for x in rounds):.2f} s"
            ]
            if all(x["export_cpu"] is not None for x in rounds)
            else []
        ),
        f"preview (crm_rollback): {spread([x['preview'] for x in rounds])} s  (target < 2 s)",
        "other accounts' rows: "
        + ("untouched (checksum equal)" if others_before == others_after else "CHANGED"),
    ]
    say("")
    for line in lines:
        say(line)
    if others_before != others_after:
        sys.exit(1)


if __name__ == "__main__":
    main()
