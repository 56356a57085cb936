"""The snapshot file format (format_version 1): how a row becomes a CSV line,
how a cell becomes a canonical value again, and the streams that compress,
hash and count on the way in and out.

One file per entity type, `<entity_type>.csv.gz`: gzip-compressed UTF-8 CSV
with a header row of the registry's field names (the account column is not in
the file), rows in id order, PostgreSQL's CSV conventions: a NULL is an empty
unquoted cell; text columns are never NULL in our models, so an empty cell of
a text (`str`) column is '' and an empty cell of any other column is NULL;
booleans t/f; date-times ISO 8601 with an offset; decimals plain; json columns
as JSON text. A file is exactly loadable by
`COPY <table> (<cols>) FROM STDIN WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL (<text cols>))`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import tempfile
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings

from crm.records import DATETIME_FORMAT, encode_value
from crm.registry import FieldSpec
from recovery_portal.errors import SnapshotDamaged

# Long comments must not trip the csv module's default 128 KiB cell limit.
csv.field_size_limit(256 * 1024 * 1024)

READ_CHUNK = 64 * 1024


def gzip_level() -> int:
    return int(getattr(settings, "SNAPSHOT_GZIP_LEVEL", 6))


# --- Writing ------------------------------------------------------------------


class CompressedFile:
    """A write-only sink for CSV bytes (what `cursor.copy_expert` writes to):
    compresses into an anonymous temporary file, hashing the compressed bytes
    and counting the CSV bytes as they go. Memory stays bounded at any size."""

    def __init__(self, level: int | None = None):
        self.file = tempfile.TemporaryFile(prefix="rp-snapshot-")  # noqa: SIM115
        self._hash = hashlib.sha256()
        self.compressed_bytes = 0
        self.csv_bytes = 0
        self._gzip = gzip.GzipFile(
            fileobj=self._HashingTarget(self), mode="wb", compresslevel=level or gzip_level(),
            mtime=0,
        )  # fmt: skip

    class _HashingTarget:
        def __init__(self, owner: CompressedFile):
            self.owner = owner

        def write(self, data) -> int:
            self.owner._hash.update(data)
            self.owner.compressed_bytes += len(data)
            return self.owner.file.write(data)

        def flush(self) -> None:
            self.owner.file.flush()

    def write(self, data) -> int:
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.csv_bytes += len(data)
        return self._gzip.write(data)

    def finish(self) -> None:
        """Close the gzip stream; the temporary file is rewound, ready to store."""
        self._gzip.close()
        self.file.flush()
        self.file.seek(0)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        if not self._gzip.closed:
            self._gzip.close()
        self.file.close()


_NEEDS_QUOTES = re.compile(r'[,"\r\n]|^\\\.')


def _quote(text: str) -> str:
    if text == "":
        return '""'  # an empty string, never NULL (as PostgreSQL writes it)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_cell(spec: FieldSpec, value) -> str:
    """A model value as PostgreSQL's COPY (FORMAT csv) would write it."""
    if value is None:
        return "" if spec.kind != "str" else '""'
    kind = spec.kind
    if kind == "str":
        return _quote(str(value))
    if kind == "int":
        return str(int(value))
    if kind == "bool":
        return "t" if value else "f"
    if kind == "decimal":
        return encode_value(spec, value)
    if kind == "date":
        return value.isoformat()
    if kind == "datetime":
        return value.astimezone(UTC).isoformat(sep=" ")
    if kind == "json":
        return _quote(json.dumps(value, ensure_ascii=False))
    return _quote(str(value))


def csv_header(specs: list[FieldSpec]) -> str:
    return ",".join(_quote(s.name) for s in specs) + "\n"


def csv_line(specs: list[FieldSpec], values) -> str:
    return ",".join(csv_cell(spec, value) for spec, value in zip(specs, values, strict=True)) + "\n"


# --- Reading --------------------------------------------------------------------


def _decode_int(cell: str):
    return int(cell)


def _decode_bool(cell: str):
    if cell in ("t", "true", "1"):
        return True
    if cell in ("f", "false", "0"):
        return False
    raise ValueError(f"“{cell}” is not a boolean")


def _decode_date(cell: str):
    return date.fromisoformat(cell).isoformat()


def _decode_datetime(cell: str):
    parsed = datetime.fromisoformat(cell)
    if parsed.tzinfo is None:
        raise ValueError(f"“{cell}” has no UTC offset")
    return parsed.astimezone(UTC).strftime(DATETIME_FORMAT)


def _decode_json(cell: str):
    return json.loads(cell)


def _decimal_decoder(spec: FieldSpec | None):
    if spec is not None and spec.decimal_places is not None:
        return lambda cell: encode_value(spec, Decimal(cell))
    return lambda cell: str(Decimal(cell))


_DECODERS = {
    "int": _decode_int,
    "bool": _decode_bool,
    "date": _decode_date,
    "datetime": _decode_datetime,
    "json": _decode_json,
}


def cell_decoder(kind: str, spec: FieldSpec | None = None):
    """A function turning one CSV cell into the canonical record value (crm.records)."""
    if kind == "str":
        return lambda cell: cell
    inner = _decimal_decoder(spec) if kind == "decimal" else _DECODERS[kind]
    return lambda cell: None if cell == "" else inner(cell)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class VerifyingReader(io.BufferedIOBase):
    """The decompressed CSV of one stored file, read as a binary stream.

    Hashes the compressed bytes and counts the CSV rows (newlines outside
    quotes, header excluded) as it is read; at the end of the data it compares
    them with the manifest and raises SnapshotDamaged if they disagree, so a
    COPY FROM fed by it fails inside its transaction. A file that cannot be
    decompressed is reported the same way. The first damage found is kept in
    `damage` (psycopg2 wraps errors raised inside `copy_expert`).
    """

    def __init__(self, raw, *, name: str, sha256: str, size: int, rows: int):
        super().__init__()
        self._raw = raw
        self.name = name
        self._expected = (sha256, int(size), int(rows))
        self._hash = hashlib.sha256()
        self._compressed = 0
        self._gzip = gzip.GzipFile(fileobj=self._Source(self), mode="rb")
        self._in_quotes = False
        self._newlines = 0
        self._done = False
        self.damage: SnapshotDamaged | None = None

    class _Source:
        def __init__(self, owner: VerifyingReader):
            self.owner = owner

        def read(self, size: int = -1) -> bytes:
            data = self.owner._raw.read(size)
            self.owner._hash.update(data)
            self.owner._compressed += len(data)
            return data

    def readable(self) -> bool:
        return True

    def _fail(self, problem: str, cause: BaseException | None = None):
        self.damage = SnapshotDamaged(problems=[f"{self.name}: {problem}"])
        if cause is not None:
            raise self.damage from cause
        raise self.damage

    def _drain(self) -> None:
        while True:
            data = self._raw.read(READ_CHUNK)
            if not data:
                return
            self._hash.update(data)
            self._compressed += len(data)

    def _judge(self, cause: BaseException | None = None) -> None:
        """Compare what was read with the manifest (after the whole file was read)."""
        sha256, size, rows = self._expected
        if self._compressed < size:
            self._fail(f"truncated ({self._compressed:,} of {size:,} bytes)", cause)
        if self._hash.hexdigest() != sha256:
            self._fail("checksum mismatch (SHA-256 differs from the manifest)", cause)
        if cause is not None:
            self._fail(f"cannot be decompressed ({cause})", cause)
        counted = self._newlines - 1
        if counted != rows:
            self._fail(f"row count mismatch ({max(counted, 0):,} rows, manifest says {rows:,})")

    def _count(self, data: bytes) -> None:
        parts = data.split(b'"')
        start = 1 if self._in_quotes else 0
        # One join and one count in C, rather than a count per quoted cell.
        self._newlines += b"".join(parts[start::2]).count(b"\n")
        if len(parts) % 2 == 0:
            self._in_quotes = not self._in_quotes

    def read(self, size: int | None = -1) -> bytes:
        if self.damage is not None:
            raise self.damage
        if self._done:
            return b""
        try:
            data = self._gzip.read(READ_CHUNK if size is None or size < 0 else size)
            if size is None or size < 0:
                chunks = [data]
                while data:
                    data = self._gzip.read(READ_CHUNK)
                    chunks.append(data)
                data = b"".join(chunks)
                self._count(data)
                self._finish()
                return data
        except (EOFError, OSError, zlib.error) as exc:
            self._drain()
            self._judge(cause=exc)
            raise  # pragma: no cover  (_judge always raises with a cause)
        if data:
            self._count(data)
        else:
            self._finish()
        return data

    def _finish(self) -> None:
        self._drain()
        self._done = True
        self._judge()

    def read1(self, size: int = -1) -> bytes:
        return self.read(size if size and size > 0 else READ_CHUNK)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._gzip.close()
        finally:
            super().close()
