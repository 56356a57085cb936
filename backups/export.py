"""The CSV file of a snapshot (R12.2): a zip of companies.csv, contacts.csv,
leads.csv and deals.csv as they were at the snapshot, in the columns the CRM's
CSV import reads (crm.csv_format), custom field values under their UF_CRM_
codes as the snapshot's definitions name them; UTF-8 with a BOM.

On PostgreSQL each snapshot file is loaded (COPY FROM) into a temporary table
of text columns and written out by `COPY (SELECT <cells> …) TO STDOUT (FORMAT
csv)`, the cells formatted in SQL (crm.csv_format.cells_sql); elsewhere (the SQLite demo) record
by record in Python (record_to_row). Both give the same bytes, and a test holds
them to it. Every file is verified (checksum, row count) as it is read; the zip
is stored only once every file was sound. Memory stays bounded whatever the
size: rows stream from the snapshot into the zip.

The zip is stored beside the snapshot's files (`<snapshot folder>/exports/`),
so it is kept as long as its snapshot and goes with it (R17).
"""

from __future__ import annotations

import io
import os
import queue
import tempfile
import threading
import zipfile

from django.core.files import File
from django.db import connection, transaction

from crm.csv_format import (
    CSV_ENTITY_TYPES,
    FILE_NAMES,
    cells_sql,
    csv_line,
    header,
    record_to_row,
)
from crm.registry import entity

from .storage import snapshot_storage

BOM = "\ufeff".encode()
ZIP_LEVEL = 1  # fast: the zip is about a fifth of the CSV (level 6: a seventh, 20% slower)
LINES_PER_WRITE = 2000


class _ToZipThread(io.RawIOBase):
    """Hands large chunks to a thread that writes them into the zip entry: zlib
    releases the GIL, so compression runs beside the database's formatting."""

    def __init__(self, out):
        super().__init__()
        self.out = out
        self.queue: queue.Queue = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._drain, daemon=True, name="export-zip")
        self.thread.start()

    def writable(self) -> bool:
        return True

    def _drain(self) -> None:
        while (chunk := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.out.write(chunk)
                except BaseException as exc:  # noqa: BLE001  (raised in the caller's thread)
                    self.error = exc

    def write(self, data) -> int:
        if self.error is not None:
            raise self.error
        if self.thread.is_alive():  # after finish() (a failed COPY), data is dropped
            self.queue.put(bytes(data))
        return len(data)

    def finish(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error


def _compressing_sink(out):
    """A sink for COPY's output, which writes once per row: a C-level buffer in
    front of the zip thread, so a row costs no Python call of ours."""
    raw = _ToZipThread(out)
    return io.BufferedWriter(raw, buffer_size=256 * 1024), raw


def _custom_codes(snapshot) -> dict[str, list[str]]:
    """The snapshot's custom field codes per entity type, in their sort order."""
    from .snapshots import iter_records

    by_type: dict[str, list[tuple[int, int, str]]] = {}
    for record in iter_records(snapshot, "custom_field"):
        by_type.setdefault(record["entity_type"], []).append(
            (record["sort"], record["id"], record["code"])
        )
    return {t: [code for _s, _i, code in sorted(rows)] for t, rows in by_type.items()}


def _write_portable(snapshot, et, custom: list[str], out) -> int:
    """Record by record in Python (any database)."""
    from .snapshots import iter_records

    rows = 0
    lines: list[str] = []
    for record in iter_records(snapshot, et.entity_type):
        lines.append(csv_line(record_to_row(et, record, custom)))
        rows += 1
        if len(lines) >= LINES_PER_WRITE:
            out.write("".join(lines).encode("utf-8"))
            lines = []
    if lines:
        out.write("".join(lines).encode("utf-8"))
    return rows


def _load_as_text(cursor, snapshot, et, *, json_values: bool = False) -> str:
    """COPY one snapshot file into a temporary table of text columns (id as bigint,
    for the order; custom field values as jsonb when `json_values`, parsed once
    per row): the cheapest load there is, since the cells are written out again
    as text. Returns the table's name."""
    from . import restore_sql
    from .snapshots import open_entity_csv, read_manifest

    entry = read_manifest(snapshot)["files"][et.entity_type]
    columns = entry["columns"]
    unknown = [c for c in columns if c not in et.field_names]
    if unknown or "id" not in columns:
        raise restore_sql.SchemaMismatch(
            f"{et.label_plural}: the backup has columns today's CRM does not know "
            f"({', '.join(unknown) or 'no id'}); it cannot be exported."
        )
    table = f"rp_export_{et.entity_type}"
    # Columns the file lacks (added since) stay NULL: an empty cell, as in the Python path.
    types = {"id": "bigint", "custom_fields": "jsonb" if json_values else "text"}
    definition = ", ".join(f"{c} {types.get(c, 'text')}" for c in et.field_names)
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TEMP TABLE {table} ({definition}) ON COMMIT DROP")
    text_cols = [c for c in columns if entry["kinds"][c] == "str"]
    force = f", FORCE_NOT_NULL ({', '.join(text_cols)})" if text_cols else ""
    with open_entity_csv(snapshot, et.entity_type) as stream:
        options = f"FORMAT csv, HEADER MATCH{force}"
        cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH ({options})",
            stream,
            restore_sql.COPY_CHUNK,  # positional: Django's debug cursor passes no keywords
        )
    return table


def _write_set_based(cursor, snapshot, et, custom: list[str], out) -> int:
    """On PostgreSQL: the file loaded as text, its cells formatted in SQL, COPY out.

    The rows go out in the file's order, as the Python path writes them (a
    snapshot file is in id order), without sorting them again: a temporary
    table that COPY FROM only appended to is read back by its sequential scan
    in the order it was written (no other session sees it, so no synchronized
    or parallel scan can start elsewhere in it). The sort cost about a tenth
    of the export."""
    table = _load_as_text(cursor, snapshot, et, json_values=bool(custom))
    cells = ", ".join(cells_sql(et, "s", custom))
    sink, raw = _compressing_sink(out)
    try:
        cursor.copy_expert(
            f"COPY (SELECT {cells} FROM {table} s) TO STDOUT WITH (FORMAT csv)",
            sink,
        )
        sink.flush()
    finally:
        raw.finish()
    return cursor.rowcount


def write_archive(snapshot, target, *, set_based: bool | None = None, progress=None) -> dict:
    """Write the zip of `snapshot` into the binary file `target`; rows per entity type.

    `set_based` defaults to True on PostgreSQL; `progress(rows_done)` is called
    after each file.
    """
    if set_based is None:
        set_based = connection.vendor == "postgresql"
    codes = _custom_codes(snapshot)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(
        target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL
    ) as archive:

        def write_all(cursor=None):
            for entity_type in CSV_ENTITY_TYPES:
                et = entity(entity_type)
                custom = codes.get(entity_type, [])
                with archive.open(FILE_NAMES[entity_type], "w") as out:
                    out.write(BOM + csv_line(header(et, custom)).encode("utf-8"))
                    if cursor is not None:
                        counts[entity_type] = _write_set_based(cursor, snapshot, et, custom, out)
                    else:
                        counts[entity_type] = _write_portable(snapshot, et, custom, out)
                if progress is not None:
                    progress(sum(counts.values()))

        if set_based:
            from . import restore_sql

            with transaction.atomic(), connection.cursor() as cursor:
                restore_sql.tune_session(cursor)
                write_all(cursor)
                transaction.set_rollback(True)  # only temporary tables were written
        else:
            write_all()
    return counts


def write_export(run, progress=None) -> tuple[str, dict[str, int]]:
    """Write the run's zip into the snapshot storage; returns (path, rows per entity type)."""
    fd, tmp_path = tempfile.mkstemp(suffix=".zip", prefix="rp-export-")
    os.close(fd)
    try:
        with open(tmp_path, "wb") as handle:
            counts = write_archive(
                run.snapshot,
                handle,
                progress=(lambda done: progress.set(rows_done=done)) if progress else None,
            )
        name = f"{run.snapshot.storage_path}exports/run-{run.pk}.zip"
        storage = snapshot_storage()
        with open(tmp_path, "rb") as handle:
            saved = storage.save(name, File(handle, name=os.path.basename(name)))
        return saved, counts
    finally:
        os.unlink(tmp_path)
