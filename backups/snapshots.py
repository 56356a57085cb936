"""Taking and reading snapshots (R6): the interface the restore engine builds on.

- `take_snapshot(account, kind=, taken_for=)` reads every module of the
  registry in ONE REPEATABLE READ transaction (one consistent moment, its
  `taken_at`), streams each entity type into `<entity_type>.csv.gz` in the
  snapshot storage, keeps the sorted ids per entity type in the database
  (`SnapshotIds`), writes `manifest.json` LAST, and only then marks the row
  complete. Any failure marks it failed and removes its files.
- `verify_snapshot`, `open_entity_csv`, `iter_records`, `snapshot_contains`,
  `snapshot_ids` read a snapshot back, verifying checksums and row counts.

The format is described in `backups.snapshot_format`. On PostgreSQL a file is
written by `COPY (SELECT … ORDER BY id) TO STDOUT` streamed through gzip; the
portable path (SQLite demo, or SNAPSHOT_USE_COPY=False) writes the same CSV
from a streaming ORM query.

A running snapshot holds a session-level advisory lock on its id (PostgreSQL):
while the lock is held its owner is alive; the reaper (`snapshot_upkeep`)
marks running snapshots whose lock is free failed, since their owner died.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Account
from crm.records import DATETIME_FORMAT
from crm.registry import SCHEMA_VERSION, EntityType, entity, entity_types, modules
from recovery_portal.errors import SnapshotDamaged

from .models import FORMAT_VERSION, Snapshot, SnapshotIds
from .snapshot_format import (
    CompressedFile,
    VerifyingReader,
    cell_decoder,
    csv_header,
    csv_line,
    sha256_of,
)
from .storage import (
    MANIFEST_NAME,
    delete_folder,
    file_name,
    folder_of,
    save_bytes,
    save_file,
    snapshot_storage,
)

logger = logging.getLogger(__name__)

CHUNK_IDS = 4096
SNAPSHOT_LOCK_NAMESPACE = 0x5253  # "RS": apart from the account write locks ("RP")

Progress = Callable[[str, int, int], None]  # (entity_type, done, total)


# --- Ownership of a running snapshot (advisory lock) ------------------------------


def snapshot_lock_key(snapshot_id: int) -> int:
    return (SNAPSHOT_LOCK_NAMESPACE << 32) | int(snapshot_id)


def _hold(snapshot_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [snapshot_lock_key(snapshot_id)])


def _release(snapshot_id: int) -> None:
    if connection.vendor == "postgresql" and connection.connection is not None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [snapshot_lock_key(snapshot_id)])
        except Exception:  # noqa: BLE001  (a dead connection has released it already)
            logger.warning("Could not release the lock of snapshot #%s", snapshot_id)


@contextmanager
def orphaned(snapshot_id: int):
    """Yields True while holding the snapshot's lock if its owner is gone
    (PostgreSQL); False if a live session still runs it. Elsewhere yields None:
    the caller decides by age."""
    if connection.vendor != "postgresql":
        yield None
        return
    key = snapshot_lock_key(snapshot_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        got = cursor.fetchone()[0]
    try:
        yield bool(got)
    finally:
        if got:
            _release(snapshot_id)


# --- Claiming ----------------------------------------------------------------------


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def queue_daily_snapshot(account: Account, day: date) -> Snapshot | None:
    """The fan-out's claim: a queued daily snapshot row for the account and day,
    or None when one exists already (the partial unique constraint decides)."""
    try:
        with transaction.atomic():
            return Snapshot.objects.create(
                account=account,
                kind=Snapshot.Kind.DAILY,
                status=Snapshot.Status.QUEUED,
                day=day,
                schema_version=SCHEMA_VERSION,
            )
    except IntegrityError:
        return None


def _claim_queued(snapshot_id: int) -> Snapshot | None:
    """Queued → running, exactly once (a conditional UPDATE); None if already taken."""
    with transaction.atomic():
        claimed = Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.Status.QUEUED).update(
            status=Snapshot.Status.RUNNING, started_at=timezone.now()
        )
        if not claimed:
            return None
        _hold(snapshot_id)
    return Snapshot.objects.select_related("account").get(pk=snapshot_id)


def _claim_new(account: Account, kind: str, day: date) -> Snapshot | None:
    try:
        with transaction.atomic():
            snapshot = Snapshot.objects.create(
                account=account,
                kind=kind,
                status=Snapshot.Status.RUNNING,
                day=day,
                started_at=timezone.now(),
                schema_version=SCHEMA_VERSION,
            )
            _hold(snapshot.pk)
            return snapshot
    except IntegrityError:
        return None


def _require_outside_transaction() -> None:
    if connection.in_atomic_block:
        # REPEATABLE READ must be the first statement of an outermost transaction.
        raise RuntimeError("A snapshot must be taken outside any transaction.")


def take_snapshot(
    account: Account,
    *,
    kind: str = Snapshot.Kind.DAILY,
    taken_for: date | None = None,
    progress: Progress | None = None,
    record_as_of: datetime | None = None,
) -> Snapshot:
    """Take a snapshot of `account` now, synchronously, and return its row.

    `kind` is "daily" (one per account and UTC day, `taken_for` or today: a
    second call for the same day returns the existing snapshot and takes no
    other) or "safety" (a restore's snapshot of the state before it; any
    number). Must be called outside any transaction. On failure the snapshot
    is marked failed, its files are removed, and the error is raised again.
    `progress(entity_type, done, total)` is called after each file, inside the
    snapshot's transaction: write progress to the cache, not to the database.
    `record_as_of` is for the demo seed's clock only: the data is read now, as
    always, but the snapshot says it was taken at that (past) moment, which is
    true of a seed that writes its week in order.
    """
    if kind not in Snapshot.Kind.values:
        raise ValueError(f"Unknown snapshot kind {kind!r}")
    _require_outside_transaction()
    day = taken_for or _today()
    for _attempt in range(3):
        snapshot = _claim_new(account, kind, day)
        if snapshot is not None:
            return _run(snapshot, progress, record_as_of=record_as_of)
        # R6 idempotency: today's daily snapshot exists (queued, running or complete).
        existing = (
            Snapshot.objects.filter(account=account, kind=Snapshot.Kind.DAILY, day=day)
            .exclude(status=Snapshot.Status.FAILED)
            .first()
        )
        if existing is None:
            continue  # it failed in between: try again
        if existing.status == Snapshot.Status.QUEUED:
            claimed = _claim_queued(existing.pk)
            if claimed is not None:
                return _run(claimed, progress)
            existing.refresh_from_db()
        return existing
    raise RuntimeError(f"Could not claim a snapshot of account #{account.pk} for {day}.")


def run_queued_snapshot(snapshot_id: int, *, progress: Progress | None = None) -> Snapshot | None:
    """Run a queued snapshot (the Celery task's body). A second delivery, or a
    snapshot already running, complete or failed, does nothing and returns None."""
    _require_outside_transaction()
    snapshot = _claim_queued(snapshot_id)
    if snapshot is None:
        return None
    return _run(snapshot, progress)


# --- Writing ----------------------------------------------------------------------


def _begin_consistent_read() -> datetime:
    """Make the current (outermost, just begun) transaction one consistent view
    and return the moment it is consistent at."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET LOCAL TimeZone = 'UTC'")
            cursor.execute("SET LOCAL DateStyle = 'ISO, YMD'")
            # The first query fixes the transaction's snapshot; clock_timestamp() is
            # read just after it, so every commit the snapshot shows happened before.
            cursor.execute("SELECT clock_timestamp()")
            return cursor.fetchone()[0]
    # SQLite: the transaction holds the database's write lock (transaction_mode
    # IMMEDIATE), so nothing changes while it reads.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return timezone.now()


def pack_ids(ids: list[int]) -> bytes:
    """Sorted ids as big-endian int64s: what PostgreSQL's int8send() concatenates."""
    packed = array("q", ids)
    if sys.byteorder == "little":
        packed.byteswap()
    return packed.tobytes()


def _unpack(packed) -> array:
    ids = array("q")
    ids.frombytes(bytes(packed))
    if sys.byteorder == "little":
        ids.byteswap()
    return ids


class _IdCollector:
    """Packs the ids of one entity type into SnapshotIds chunks as they stream by
    (the portable path; on PostgreSQL one INSERT … SELECT builds the chunks)."""

    def __init__(self, snapshot_id: int, entity_type: str):
        self.snapshot_id = snapshot_id
        self.entity_type = entity_type
        self.buffer: list[int] = []
        self.pending: list[SnapshotIds] = []
        self.count = 0

    def add(self, value: int) -> None:
        self.buffer.append(value)
        if len(self.buffer) >= CHUNK_IDS:
            self._pack()

    def _pack(self) -> None:
        ids = self.buffer
        self.pending.append(
            SnapshotIds(
                snapshot_id=self.snapshot_id,
                entity_type=self.entity_type,
                first_id=ids[0],
                last_id=ids[-1],
                count=len(ids),
                packed=pack_ids(ids),
            )
        )
        self.count += len(ids)
        self.buffer = []
        if len(self.pending) >= 16:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self._pack()
        if self.pending:
            SnapshotIds.objects.bulk_create(self.pending)
            self.pending = []


def _use_copy() -> bool:
    return connection.vendor == "postgresql" and getattr(settings, "SNAPSHOT_USE_COPY", True)


def _write_copy(et: EntityType, account_id: int, out: CompressedFile, ids: _IdCollector) -> int:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(name) for name in et.field_names)
    # Uses index: <table>_account_id (account_id, id DESC), scanned backwards.
    sql = (
        f"COPY (SELECT {columns} FROM {qn(et.table)} WHERE account_id = {int(account_id)} "
        f"ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER true)"
    )
    with connection.cursor() as cursor:
        cursor.copy_expert(sql, out)
        rows = cursor.rowcount
    # The sorted ids, in chunks of CHUNK_IDS, built by the database in the same
    # consistent view (no row passes through Python).
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {qn(SnapshotIds._meta.db_table)}
                    (snapshot_id, entity_type, first_id, last_id, count, packed)
                SELECT %s, %s, min(id), max(id), count(*),
                       string_agg(int8send(id), ''::bytea ORDER BY id)
                FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / %s AS chunk
                      FROM {qn(et.table)} WHERE account_id = %s) AS numbered
                GROUP BY chunk""",
            [ids.snapshot_id, ids.entity_type, CHUNK_IDS, account_id],
        )
        cursor.execute(
            f"SELECT COALESCE(sum(count), 0) FROM {qn(SnapshotIds._meta.db_table)} "
            "WHERE snapshot_id = %s AND entity_type = %s",
            [ids.snapshot_id, ids.entity_type],
        )
        ids.count = int(cursor.fetchone()[0])
    return rows


def _write_portable(et: EntityType, account_id: int, out: CompressedFile, ids: _IdCollector):
    specs = list(et.fields)
    id_index = et.field_names.index("id")
    out.write(csv_header(specs))
    rows = 0
    queryset = (
        et.model.objects.filter(account_id=account_id)
        .order_by("id")
        .values_list(*et.field_names)
        .iterator(chunk_size=2000)
    )
    lines: list[str] = []
    for values in queryset:
        lines.append(csv_line(specs, values))
        ids.add(values[id_index])
        rows += 1
        if len(lines) >= 500:
            out.write("".join(lines))
            lines = []
    if lines:
        out.write("".join(lines))
    return rows


def _write_entity(snapshot: Snapshot, et: EntityType, folder: str) -> dict:
    out = CompressedFile()
    ids = _IdCollector(snapshot.pk, et.entity_type)
    try:
        writer = _write_copy if _use_copy() else _write_portable
        rows = writer(et, snapshot.account_id, out, ids)
        ids.flush()
        if ids.count != rows:
            raise RuntimeError(f"{et.entity_type}: {rows} rows written but {ids.count} ids read.")
        out.finish()
        save_file(folder + file_name(et.entity_type), out.file)
        return {
            "name": file_name(et.entity_type),
            "module": et.module,
            "columns": et.field_names,
            "kinds": {spec.name: spec.kind for spec in et.fields},
            "rows": rows,
            "bytes": out.compressed_bytes,
            "sha256": out.sha256,
            "csv_bytes": out.csv_bytes,
        }
    finally:
        out.close()


def _run(
    snapshot: Snapshot, progress: Progress | None, *, record_as_of: datetime | None = None
) -> Snapshot:
    """Write the claimed (running, locked) snapshot; complete it or fail it."""
    folder = folder_of(snapshot.account_id, snapshot.pk)
    Snapshot.objects.filter(pk=snapshot.pk).update(storage_path=folder)
    snapshot.storage_path = folder
    types = entity_types()
    files: dict[str, dict] = {}
    try:
        # Leftovers of an earlier database that used the same ids, if any.
        delete_folder(folder)
        connection.ensure_connection()
        with transaction.atomic():
            taken_at = _begin_consistent_read()
            if record_as_of is not None:
                taken_at = record_as_of
            for index, et in enumerate(types):
                files[et.entity_type] = _write_entity(snapshot, et, folder)
                if progress is not None:
                    progress(et.entity_type, index + 1, len(types))
        manifest = {
            "format_version": FORMAT_VERSION,
            "schema_version": SCHEMA_VERSION,
            "account_id": snapshot.account_id,
            "snapshot_id": snapshot.pk,
            "taken_at": taken_at.astimezone(UTC).strftime(DATETIME_FORMAT),
            "kind": snapshot.kind,
            "modules": {m: [et.entity_type for et in types if et.module == m] for m in modules()},
            "files": files,
        }
        manifest_bytes = json.dumps(manifest, indent=2).encode("utf-8")
        # The manifest goes last: a folder without one is never a snapshot.
        save_bytes(folder + MANIFEST_NAME, manifest_bytes)
        done = Snapshot.objects.filter(pk=snapshot.pk, status=Snapshot.Status.RUNNING).update(
            status=Snapshot.Status.COMPLETE,
            taken_at=taken_at,
            finished_at=timezone.now(),
            row_counts={k: v["rows"] for k, v in files.items()},
            size_bytes=sum(v["bytes"] for v in files.values()) + len(manifest_bytes),
            format_version=FORMAT_VERSION,
            schema_version=SCHEMA_VERSION,
            manifest_sha256=sha256_of(manifest_bytes),
            error="",
        )
        if not done:
            raise RuntimeError("The snapshot was marked failed while it was being written.")
    except BaseException as exc:
        _fail(snapshot, exc)
        raise
    finally:
        _release(snapshot.pk)
    snapshot.refresh_from_db()
    return snapshot


def _fail(snapshot: Snapshot, exc: BaseException) -> None:
    try:
        Snapshot.objects.filter(pk=snapshot.pk).exclude(status=Snapshot.Status.COMPLETE).update(
            status=Snapshot.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        SnapshotIds.objects.filter(snapshot_id=snapshot.pk).delete()
        delete_folder(snapshot.storage_path)
    except Exception:  # noqa: BLE001  (the reaper finishes the job)
        logger.exception("Could not mark snapshot #%s failed", snapshot.pk)


# --- Reading ----------------------------------------------------------------------


def _label(snapshot: Snapshot) -> str:
    return f"snapshot #{snapshot.pk}"


def read_manifest(snapshot: Snapshot) -> dict:
    """The snapshot's manifest, checked against its row; SnapshotDamaged if not."""
    cached = getattr(snapshot, "_manifest_cache", None)
    if cached is not None:
        return cached
    if snapshot.status != Snapshot.Status.COMPLETE:
        raise SnapshotDamaged(
            f"Snapshot #{snapshot.pk} is {snapshot.status}, not complete: it cannot be read."
        )
    problems = _manifest_problems(snapshot)
    if problems:
        raise SnapshotDamaged(problems=[f"{_label(snapshot)}: {p}" for p in problems])
    return snapshot._manifest_cache


def _manifest_problems(snapshot: Snapshot) -> list[str]:
    storage = snapshot_storage()
    path = snapshot.storage_path + MANIFEST_NAME
    try:
        with storage.open(path, "rb") as f:
            data = f.read()
    except (FileNotFoundError, OSError):
        return [f"{MANIFEST_NAME}: missing"]
    if sha256_of(data) != snapshot.manifest_sha256:
        return [f"{MANIFEST_NAME}: checksum mismatch (changed since the snapshot was taken)"]
    try:
        manifest = json.loads(data)
    except ValueError:
        return [f"{MANIFEST_NAME}: not valid JSON"]
    problems = []
    expected = {
        "format_version": snapshot.format_version,
        "account_id": snapshot.account_id,
        "snapshot_id": snapshot.pk,
        "kind": snapshot.kind,
        "taken_at": snapshot.taken_at.astimezone(UTC).strftime(DATETIME_FORMAT)
        if snapshot.taken_at
        else None,
    }
    for key, value in expected.items():
        if manifest.get(key) != value:
            problems.append(f"{MANIFEST_NAME}: {key} is {manifest.get(key)!r}, expected {value!r}")
    files = manifest.get("files") or {}
    counts = {k: v.get("rows") for k, v in files.items()}
    if counts != (snapshot.row_counts or {}):
        problems.append(f"{MANIFEST_NAME}: row counts differ from the snapshot's record")
    if not problems:
        snapshot._manifest_cache = manifest
    return problems


class SchemaMismatch(SnapshotDamaged):
    """The snapshot's files are sound, but this version of the code cannot read
    them: written in a newer format or schema version, or with columns today's
    CRM does not have. Refused (409, like a damaged one) before anything is done."""


def readable_problems(snapshot: Snapshot, entity_types_: Iterable[EntityType] = ()) -> list[str]:
    """Why today's code cannot read the snapshot (its manifest's format and schema
    versions, and the columns of `entity_types_`); [] when it can. An older
    schema version is fine: columns its files lack take the field's default."""
    manifest = read_manifest(snapshot)
    problems = []
    written = manifest.get("format_version")
    if not isinstance(written, int) or written > FORMAT_VERSION:
        problems.append(
            f"it was written in format {written} by a newer version "
            f"(this one reads format {FORMAT_VERSION} and older)"
        )
    schema = manifest.get("schema_version")
    if not isinstance(schema, int) or schema > SCHEMA_VERSION:
        problems.append(
            f"its records are in schema version {schema}, newer than this version's "
            f"({SCHEMA_VERSION})"
        )
    for et in entity_types_:
        columns = (manifest.get("files") or {}).get(et.entity_type, {}).get("columns") or []
        unknown = [c for c in columns if c not in et.field_names]
        if unknown or "id" not in columns:
            problems.append(
                f"{et.label_plural}: the backup has columns today's CRM does not know "
                f"({', '.join(unknown) or 'no id'})"
            )
    return problems


def check_readable(snapshot: Snapshot, entity_types_: Iterable[EntityType] = ()) -> None:
    """Raise SchemaMismatch, saying why, if today's code cannot read the snapshot."""
    problems = readable_problems(snapshot, entity_types_)
    if problems:
        raise SchemaMismatch(
            f"{_label(snapshot).capitalize()} cannot be read by this version of the portal: "
            + "; ".join(problems)
            + "; nothing was changed."
        )


def _entry(snapshot: Snapshot, entity_type: str) -> dict:
    manifest = read_manifest(snapshot)
    try:
        return manifest["files"][entity_type]
    except KeyError:
        raise SnapshotDamaged(
            f"Snapshot #{snapshot.pk} has no file for “{entity_type}” in its manifest."
        ) from None


@contextmanager
def open_entity_csv(snapshot: Snapshot, entity_type: str):
    """The decompressed CSV (header included) of one entity type, as a binary
    file-like object for `cursor.copy_expert` or a CSV reader. Verifies the
    checksum and the row count as it is read and raises SnapshotDamaged at the
    end of the data if they disagree with the manifest (so a COPY FROM inside
    a transaction aborts); the exception leaves this block as SnapshotDamaged
    even when psycopg2 wrapped it."""
    entry = _entry(snapshot, entity_type)
    name = entry["name"]
    try:
        raw = snapshot_storage().open(snapshot.storage_path + name, "rb")
    except (FileNotFoundError, OSError):
        raise SnapshotDamaged(problems=[f"{_label(snapshot)}: {name}: missing"]) from None
    reader = VerifyingReader(
        raw,
        name=f"{_label(snapshot)}: {name}",
        sha256=entry["sha256"],
        size=entry["bytes"],
        rows=entry["rows"],
    )
    try:
        yield reader
    except SnapshotDamaged:
        raise
    except BaseException as exc:
        if reader.damage is not None:
            raise reader.damage from exc
        raise
    finally:
        reader.close()
        raw.close()


def iter_records(snapshot: Snapshot, entity_type: str) -> Iterator[dict]:
    """The snapshot's records of one entity type, in id order, as canonical
    records (crm.records), decoded with the manifest's kinds. The file is
    verified as it is read: SnapshotDamaged is raised at the end at the latest,
    so a consumer writes inside a transaction."""
    entry = _entry(snapshot, entity_type)
    columns = entry["columns"]
    try:
        current = entity(entity_type)
        specs = {spec.name: spec for spec in current.fields}
    except KeyError:
        specs = {}
    decoders = [cell_decoder(entry["kinds"][c], specs.get(c)) for c in columns]
    with open_entity_csv(snapshot, entity_type) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        reader = csv.reader(text)
        header = next(reader, None)
        if header != columns:
            raise SnapshotDamaged(
                problems=[f"{_label(snapshot)}: {entry['name']}: header differs from the manifest"]
            )
        width = len(columns)
        for row in reader:
            if len(row) != width:
                raise SnapshotDamaged(
                    problems=[
                        f"{_label(snapshot)}: {entry['name']}: line {reader.line_num} has "
                        f"{len(row)} cells, expected {width}"
                    ]
                )
            try:
                yield {c: d(cell) for c, d, cell in zip(columns, decoders, row, strict=True)}
            except ValueError as exc:
                raise SnapshotDamaged(
                    problems=[f"{_label(snapshot)}: {entry['name']}: line {reader.line_num}: {exc}"]
                ) from exc


def snapshot_problems(snapshot: Snapshot) -> list[str]:
    """Every problem of a snapshot, each naming its file; [] for a sound one."""
    if snapshot.status != Snapshot.Status.COMPLETE:
        return [f"{_label(snapshot)} is {snapshot.status}, not complete"]
    snapshot._manifest_cache = None
    problems = [f"{_label(snapshot)}: {p}" for p in _manifest_problems(snapshot)]
    if problems:
        return problems
    manifest = snapshot._manifest_cache
    storage = snapshot_storage()
    for entity_type, entry in manifest["files"].items():
        name = entry["name"]
        path = snapshot.storage_path + name
        if not storage.exists(path):
            problems.append(f"{_label(snapshot)}: {name}: missing")
            continue
        size = storage.size(path)
        if size < entry["bytes"]:
            problems.append(
                f"{_label(snapshot)}: {name}: truncated ({size:,} of {entry['bytes']:,} bytes)"
            )
            continue
        if size > entry["bytes"]:
            extra = size - entry["bytes"]
            problems.append(
                f"{_label(snapshot)}: {name}: {extra:,} bytes more than the manifest says"
            )
            continue
        try:
            with open_entity_csv(snapshot, entity_type) as reader:
                while reader.read(1024 * 1024):
                    pass
        except SnapshotDamaged as exc:
            problems.extend(exc.problems or [exc.detail])
    return problems


def verify_snapshot(snapshot: Snapshot) -> None:
    """Check every file (exists, SHA-256, row count) against the manifest and the
    manifest against the row; raise SnapshotDamaged naming each damaged file."""
    problems = snapshot_problems(snapshot)
    if problems:
        raise SnapshotDamaged(problems=problems)


def snapshot_contains(snapshot: Snapshot, entity_type: str, ids: Iterable[int]) -> set[int]:
    """Which of `ids` the snapshot holds for `entity_type` (one small query for the
    chunk ranges, one for the chunks that may hold them).

    Uses index: snapshot_ids_range (snapshot, entity_type, first_id).
    """
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return set()
    ranges = (
        SnapshotIds.objects.filter(
            snapshot=snapshot,
            entity_type=entity_type,
            first_id__lte=wanted[-1],
            last_id__gte=wanted[0],
        )
        .order_by("first_id")
        .values_list("pk", "first_id", "last_id")
    )
    needed = {}
    for pk, first, last in ranges:
        lo, hi = bisect_left(wanted, first), bisect_right(wanted, last)
        if lo < hi:
            needed[pk] = wanted[lo:hi]
    found: set[int] = set()
    for pk, packed in SnapshotIds.objects.filter(pk__in=needed).values_list("pk", "packed"):
        chunk = _unpack(packed)  # sorted: binary search
        for value in needed[pk]:
            i = bisect_left(chunk, value)
            if i < len(chunk) and chunk[i] == value:
                found.add(value)
    return found


def snapshots_contain(
    asked: dict[tuple[int, str], Iterable[int]],
) -> dict[tuple[int, str], set[int]]:
    """`snapshot_contains` for many (snapshot id, entity type) pairs at once, for a
    page that shows many (the helpdesk queue): one query for the chunk ranges of
    every pair, one for the chunks that may hold the ids asked.

    Uses index: snapshot_ids_range (snapshot, entity_type, first_id).
    """
    wanted = {key: sorted({int(i) for i in ids}) for key, ids in asked.items()}
    wanted = {key: ids for key, ids in wanted.items() if ids}
    found: dict[tuple[int, str], set[int]] = {key: set() for key in asked}
    if not wanted:
        return found
    # The chunk ranges of every snapshot and type asked, in one query (a few rows
    # per snapshot and type, without the packed ids), picked over here: one OR'ed
    # condition per pair made Django compile a query longer than it ran (a
    # helpdesk queue of 100 requests spent most of its time there).
    needed: dict[int, tuple[tuple[int, str], list[int]]] = {}
    chunks = SnapshotIds.objects.filter(
        snapshot_id__in={snapshot_id for snapshot_id, _ in wanted},
        entity_type__in={entity_type for _, entity_type in wanted},
    ).values_list("pk", "snapshot_id", "entity_type", "first_id", "last_id")
    for pk, snapshot_id, entity_type, first, last in chunks:
        ids = wanted.get((snapshot_id, entity_type))
        if ids is None:
            continue
        lo, hi = bisect_left(ids, first), bisect_right(ids, last)
        if lo < hi:
            needed[pk] = ((snapshot_id, entity_type), ids[lo:hi])
    for pk, packed in SnapshotIds.objects.filter(pk__in=needed).values_list("pk", "packed"):
        chunk = _unpack(packed)  # sorted: binary search
        key, ids = needed[pk]
        for value in ids:
            i = bisect_left(chunk, value)
            if i < len(chunk) and chunk[i] == value:
                found[key].add(value)
    return found


def snapshot_ids(snapshot: Snapshot, entity_type: str) -> Iterator[int]:
    """Every id the snapshot holds for `entity_type`, ascending, chunk by chunk."""
    chunks = (
        SnapshotIds.objects.filter(snapshot=snapshot, entity_type=entity_type)
        .order_by("first_id")
        .values_list("packed", flat=True)
        .iterator(chunk_size=16)
    )
    for packed in chunks:
        yield from _unpack(packed)
