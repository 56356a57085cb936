"""The set-based PostgreSQL side of restores and previews.

Each entity type of a snapshot is loaded with COPY into a temporary table
(dropped at the end of the transaction); the account's rows are then compared
with it in SQL and only what differs is touched, each change recording its
History event in the same statement (architecture.md, "Known traps": per-record
events, set-based, in the rollback's transaction):

- a row of the account that the snapshot does not hold is deleted (a "delete"
  event keeping the record, so it is in the recycle bin);
- a row the snapshot holds with other values is set back (an "update" event
  with the changed fields);
- a row of the snapshot that the account no longer has is inserted with its
  original id (a "restore" event).

Every statement filters on the account: other accounts' rows are never read
or written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from crm.records import record_sql, title_sql
from crm.registry import EntityType
from crm_history.models import Event

from .snapshots import SchemaMismatch

EVENT_COLUMNS = (
    "account_id, operation, entity_type, entity_id, action, actor_id, actor_name, source, "
    "occurred_at, title, changes, data, schema_version"
)


# Bytes handed to COPY … FROM STDIN per read (psycopg2 reads 8 kB by default: a
# call into the verifying reader per 8 kB costs more than the data).
COPY_CHUNK = 512 * 1024


@dataclass
class EntityDiff:
    entity_type: str
    total: int = 0  # rows in the snapshot
    back: int = 0
    lost: int = 0
    reverted: int = 0
    samples_back: list[str] = field(default_factory=list)
    samples_lost: list[str] = field(default_factory=list)
    samples_reverted: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        return max(0, self.total - self.back - self.reverted)


def temp_table(et: EntityType) -> str:
    return f"rp_snapshot_{et.entity_type}"


def load_temp_table(cursor, et: EntityType, file_columns: list[str], stream) -> None:
    """COPY one snapshot file into a temporary table shaped like today's table.

    Columns the file lacks (added by a later migration) take the field's default;
    a column today's table lacks makes the snapshot unreadable (SchemaMismatch).
    """
    current = et.field_names
    unknown = [c for c in file_columns if c not in current]
    if unknown or "id" not in file_columns:
        raise SchemaMismatch(
            f"{et.label_plural}: the backup has columns today's CRM does not know "
            f"({', '.join(unknown) or 'no id'}); it cannot be applied."
        )
    table = temp_table(et)
    cols = ", ".join(current)
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(
        f"CREATE TEMP TABLE {table} ON COMMIT DROP AS SELECT {cols} FROM {et.table} WITH NO DATA"
    )
    text_cols = [c for c in file_columns if et.field(c).kind == "str"]
    force = f", FORCE_NOT_NULL ({', '.join(text_cols)})" if text_cols else ""
    # HEADER MATCH: the file's header must name exactly the manifest's columns.
    options = f"FORMAT csv, HEADER MATCH{force}"
    cursor.copy_expert(
        f"COPY {table} ({', '.join(file_columns)}) FROM STDIN WITH ({options})",
        stream,
        COPY_CHUNK,  # positional: Django's debug cursor passes no keywords
    )
    for name in current:
        if name not in file_columns:
            model_field = et.model._meta.get_field(
                next(f.name for f in et.model._meta.concrete_fields if f.attname == name)
            )
            cursor.execute(
                f"UPDATE {table} SET {name} = %s",
                [model_field.get_db_prep_save(model_field.get_default(), connection)],
            )
    cursor.execute(f"CREATE UNIQUE INDEX ON {table} (id)")
    # Statistics of the join key only: a full ANALYZE of every text and json
    # column costs more than the load itself.
    cursor.execute(f"ANALYZE {table} (id)")


def tune_session(cursor) -> None:
    """Room for the hash joins of a whole account in memory, for this transaction."""
    cursor.execute("SET LOCAL work_mem = '64MB'")


def _distinct(et: EntityType, left: str, right: str) -> str:
    cols = et.field_names
    return (
        f"ROW({', '.join(f'{left}.{c}' for c in cols)}) IS DISTINCT FROM "
        f"ROW({', '.join(f'{right}.{c}' for c in cols)})"
    )


def foreign_ids(cursor, et: EntityType, account_id: int) -> list[int]:
    """Ids of the snapshot that another account's rows hold now (never expected)."""
    cursor.execute(
        f"SELECT s.id FROM {temp_table(et)} s JOIN {et.table} t ON t.id = s.id "
        "WHERE t.account_id <> %s LIMIT 10",
        [account_id],
    )
    return [row[0] for row in cursor.fetchall()]


def diff(cursor, et: EntityType, account_id: int, *, samples: int = 5) -> EntityDiff:
    """Counts (and a few titles) of what applying the temp table would change.

    The counts come from one pass (a full join of the snapshot's rows with the
    account's); the samples, the first records by id as the portable path lists
    them, from small queries run only where there is something to show.
    """
    tmp = temp_table(et)
    result = EntityDiff(et.entity_type)
    cursor.execute(
        f"""SELECT count(s.id),
                   count(*) FILTER (WHERE t.id IS NULL),
                   count(*) FILTER (WHERE s.id IS NULL),
                   count(*) FILTER (WHERE s.id IS NOT NULL AND t.id IS NOT NULL
                                    AND {_distinct(et, "t", "s")})
            FROM {tmp} s
            FULL JOIN (SELECT * FROM {et.table} WHERE account_id = %(a)s) t ON t.id = s.id""",
        {"a": account_id},
    )
    result.total, result.back, result.lost, result.reverted = cursor.fetchone()
    if not samples:
        return result
    queries = {
        "back": (
            f"SELECT {title_sql(et, 's')} FROM {tmp} s WHERE NOT EXISTS "
            f"(SELECT 1 FROM {et.table} t WHERE t.id = s.id AND t.account_id = %(a)s) "
            "ORDER BY s.id"
        ),
        "lost": (
            f"SELECT {title_sql(et, 't')} FROM {et.table} t WHERE t.account_id = %(a)s "
            f"AND NOT EXISTS (SELECT 1 FROM {tmp} s WHERE s.id = t.id) ORDER BY t.id"
        ),
        "reverted": (
            f"SELECT {title_sql(et, 't')} FROM {et.table} t JOIN {tmp} s ON s.id = t.id "
            f"WHERE t.account_id = %(a)s AND {_distinct(et, 't', 's')} ORDER BY t.id"
        ),
    }
    for name, query in queries.items():
        if getattr(result, name):
            cursor.execute(f"{query} LIMIT {int(samples)}", {"a": account_id})
            setattr(result, f"samples_{name}", [row[0] for row in cursor.fetchall()])
    return result


def apply(cursor, et: EntityType, account_id: int, params: dict) -> EntityDiff:
    """Make the account's rows of `et` equal to the temp table, recording events.

    `params` carries the events' operation, actor and time. Returns the counts.
    """
    tmp = temp_table(et)
    events = Event._meta.db_table
    cols = et.field_names
    col_list = ", ".join(cols)
    p = {**params, "a": account_id, "et": et.entity_type}
    result = EntityDiff(et.entity_type)
    cursor.execute(f"SELECT count(*) FROM {tmp}")
    result.total = cursor.fetchone()[0]
    select_event = (
        "SELECT %(a)s, %(operation)s, %(et)s, {r}.id, '{action}', %(actor_id)s, %(actor_name)s, "
        "%(source)s, %(now)s, {title}, {changes}, {data}, %(version)s"
    )
    # Rows the snapshot does not hold: deleted, each kept whole in its event.
    cursor.execute(
        f"""
        WITH d AS (
            DELETE FROM {et.table} t WHERE t.account_id = %(a)s
            AND NOT EXISTS (SELECT 1 FROM {tmp} s WHERE s.id = t.id)
            RETURNING t.*
        )
        INSERT INTO {events} ({EVENT_COLUMNS})
        {
            select_event.format(
                r="d",
                action="delete",
                title=title_sql(et, "d"),
                changes="NULL",
                data=record_sql(et, "d"),
            )
        }
        FROM d
        """,
        p,
    )
    result.lost = cursor.rowcount
    # Rows with other values: set back, each with the fields it changed.
    cursor.execute(
        f"""
        WITH old AS (
            SELECT t.id, {record_sql(et, "t")} AS rec FROM {et.table} t
            JOIN {tmp} s ON s.id = t.id
            WHERE t.account_id = %(a)s AND {_distinct(et, "t", "s")}
        ), u AS (
            UPDATE {et.table} t SET ({col_list}) = ({", ".join(f"s.{c}" for c in cols)})
            FROM {tmp} s
            WHERE s.id = t.id AND t.account_id = %(a)s AND t.id IN (SELECT id FROM old)
            RETURNING t.*
        ), n AS (
            SELECT u.id, {title_sql(et, "u")} AS title, {record_sql(et, "u")} AS rec FROM u
        )
        INSERT INTO {events} ({EVENT_COLUMNS})
        SELECT %(a)s, %(operation)s, %(et)s, n.id, 'update', %(actor_id)s, %(actor_name)s,
               %(source)s, %(now)s, n.title,
               (SELECT jsonb_object_agg(nk.key, jsonb_build_array(ok.value, nk.value))
                  FROM jsonb_each(old.rec) ok JOIN jsonb_each(n.rec) nk ON nk.key = ok.key
                 WHERE ok.value IS DISTINCT FROM nk.value
                   AND nk.key NOT IN ('created_at', 'updated_at')),
               NULL, %(version)s
        FROM n JOIN old ON old.id = n.id
        """,
        p,
    )
    result.reverted = cursor.rowcount
    # Rows the account no longer has: back with their original ids.
    cursor.execute(
        f"""
        WITH i AS (
            INSERT INTO {et.table} (account_id, {col_list})
            SELECT %(a)s, {", ".join(f"s.{c}" for c in cols)} FROM {tmp} s
            WHERE NOT EXISTS (SELECT 1 FROM {et.table} t WHERE t.id = s.id)
            ORDER BY s.id
            RETURNING *
        )
        INSERT INTO {events} ({EVENT_COLUMNS})
        {
            select_event.format(
                r="i",
                action="restore",
                title=title_sql(et, "i"),
                changes="NULL",
                data=record_sql(et, "i"),
            )
        }
        FROM i
        """,
        p,
    )
    result.back = cursor.rowcount
    return result
