"""Helpers of the restore engine tests: the account's data as canonical records,
a snapshot's records, checksums of rows, a lock held from a separate session
(to hold a run half-way), and waiting for runs."""

from __future__ import annotations

from contextlib import contextmanager

import psycopg2
from django.db import connection

from backups.restore_models import RestoreRun
from backups.snapshots import iter_records
from crm.records import to_record
from crm.registry import entity, entity_types
from crm_history.models import Event
from tests.worker import task_finished, wait_for, wait_for_task  # noqa: F401  (shared)

ALL_TYPES = [et.entity_type for et in entity_types()]
CRM_TYPES = ["company", "contact", "lead", "deal"]
FINISHED = ("completed", "failed", "cancelled")


def current_records(account_id: int, types=ALL_TYPES) -> dict[str, dict[int, dict]]:
    """The account's rows now, as canonical records, per entity type and id."""
    out = {}
    for entity_type in types:
        et = entity(entity_type)
        rows = et.model.objects.filter(account_id=account_id).order_by("pk")
        out[entity_type] = {obj.pk: to_record(et, obj) for obj in rows}
    return out


def snapshot_records(snapshot, types=ALL_TYPES) -> dict[str, dict[int, dict]]:
    """The snapshot's records, per entity type and id (read back from its files)."""
    return {t: {r["id"]: r for r in iter_records(snapshot, t)} for t in types}


def _tables() -> list[str]:
    return [et.table for et in entity_types()] + [Event._meta.db_table]


def rows_checksum(*, account_id: int | None = None, other_than: int | None = None) -> dict:
    """Per table (every CRM table and the History): rows and an md5 of every row
    of one account (`account_id`) or of every account but one (`other_than`)."""
    if (account_id is None) == (other_than is None):
        raise ValueError("Give account_id or other_than.")
    where, value = (
        ("account_id = %s", account_id) if account_id else ("account_id <> %s", other_than)
    )
    out = {}
    with connection.cursor() as cursor:
        for table in _tables():
            cursor.execute(
                f"SELECT count(*), md5(COALESCE(string_agg(t::text, '|' ORDER BY t.id), '')) "
                f"FROM {table} t WHERE {where}",
                [value],
            )
            out[table] = tuple(cursor.fetchone())
    return out


def crm_checksum(account_id: int) -> dict:
    """The account's CRM rows (History left out: a run adds to it, never changes it)."""
    history = Event._meta.db_table
    return {t: v for t, v in rows_checksum(account_id=account_id).items() if t != history}


def finished(run: RestoreRun, timeout: float = 120) -> RestoreRun:
    """Wait until the worker has finished `run`; the run as it ended."""
    return wait_for(
        lambda: RestoreRun.objects.filter(pk=run.pk, status__in=FINISHED).first(),
        f"run #{run.pk} to finish",
        timeout,
    )


def run_events(run: RestoreRun):
    return Event.objects.filter(account_id=run.account_id, operation=run.operation)


def new_run(account, snapshot, option: str, user, **extra) -> RestoreRun:
    """A queued run row, not handed to any worker (for runs executed in-process)."""
    return RestoreRun.objects.create(
        account=account,
        snapshot=snapshot,
        option=option,
        requested_by=user,
        rows_total=snapshot.records,
        **extra,
    )


def _raw_connection():
    s = connection.settings_dict
    return psycopg2.connect(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
    )


@contextmanager
def table_locked(table: str, mode: str = "SHARE"):
    """Lock `table` from a session of its own until the block ends: a run that
    needs to write it waits there (half-way through its transaction)."""
    raw = _raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN {mode} MODE")
        yield
    finally:
        raw.rollback()
        raw.close()


@contextmanager
def advisory_locked(key: int):
    """Hold a session advisory lock from a session of its own."""
    raw = _raw_connection()
    raw.autocommit = True
    try:
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        yield
    finally:
        raw.close()


def backend_waiting_on(table: str) -> int | None:
    """The pid of a session waiting for a lock on `table`, if any."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE relation = %s::regclass AND NOT granted",
            [table],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def backend_waiting_on_advisory(key: int) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND ((classid::bigint << 32) | objid::bigint) = %s",
            [key],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 0
