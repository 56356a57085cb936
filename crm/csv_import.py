"""The CRM's CSV import: the files of a CSV export (a zip, or one CSV per entity
type) and the same columns written by hand or by a spreadsheet (UTF-8 with or
without BOM, `,` or `;`). Every row is created through the services (one
import, one History operation) and reported: created, skipped as already
present, or refused and why. A record whose original id is one the table has
already issued, is free and was never another account's comes back with that id,
so links between the imported records hold; any other row gets a fresh id (and
its links follow it), so an import never moves the id sequence that every account
shares.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from accounts.actors import Actor
from accounts.models import Account, Membership
from crm_history.models import Event
from crm_history.recorder import new_operation
from recovery_portal.errors import DomainError, Invalid, PayloadTooLarge

from . import custom_values, services
from .csv_format import CSV_ENTITY_TYPES, entity_for_file, match_header, row_to_values
from .records import RecordError
from .registry import EntityType, entity


@dataclass
class RowOutcome:
    row: int
    outcome: str  # created, skipped, refused
    id: int | None = None
    original_id: int | None = None
    reason: str = ""


@dataclass
class FileReport:
    name: str
    entity_type: str
    created: int = 0
    skipped: int = 0
    refused: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)

    def add(self, outcome: RowOutcome) -> None:
        self.rows.append(outcome)
        setattr(self, outcome.outcome, getattr(self, outcome.outcome) + 1)


@dataclass
class ImportReport:
    operation: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(f.created for f in self.files)

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files)

    @property
    def refused(self) -> int:
        return sum(f.refused for f in self.files)


def _decode(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:  # NUL bytes: UTF-16 without its BOM
        raise Invalid(
            f"{name} is not UTF-8 text. Save it as “CSV UTF-8” and import it again.",
            fields={"file": [f"{name} is not UTF-8 text."]},
        )
    return text


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB".replace(".0 MB", " MB")
    if n >= 1_000:
        return f"{n / 1_000:.1f} kB".replace(".0 kB", " kB")
    return f"{n} bytes"


def _reader(text: str):
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    # strict: an unclosed quote is an error (400), never the rest of the file in one cell.
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def read_upload(upload, *, entity_type: str | None = None) -> list[tuple[str, EntityType, str]]:
    """The (file name, entity type, text) of each CSV in an upload, parents first."""
    limit = settings.IMPORT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise PayloadTooLarge(
            f"The file is {_size(upload.size)}; the import takes files up to {_size(limit)}."
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The import takes files up to {_size(limit)}.")
    name = upload.name or "upload.csv"
    files: list[tuple[str, EntityType, str]] = []
    if data[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = [i for i in archive.infolist() if i.filename.lower().endswith(".csv")]
            if sum(i.file_size for i in members) > limit * 5:
                raise PayloadTooLarge(
                    f"The zip holds more than {_size(limit * 5)} of CSV; import its files "
                    "one by one or in smaller parts."
                )
            for info in members:
                et = entity_for_file(info.filename)
                if et is None:
                    raise Invalid(
                        f"{info.filename}: name the files contacts.csv, companies.csv, "
                        "leads.csv or deals.csv.",
                        fields={"file": [f"Unknown file {info.filename} in the zip."]},
                    )
                files.append((info.filename, et, _decode(info.filename, archive.read(info))))
        except zipfile.BadZipFile as exc:
            raise Invalid("The zip file is damaged.", fields={"file": ["Damaged zip."]}) from exc
    else:
        et = entity(entity_type) if entity_type else entity_for_file(name)
        if et is None or et.entity_type not in CSV_ENTITY_TYPES:
            raise Invalid(
                "Say what the file holds (contacts, companies, leads or deals), or name it "
                "contacts.csv, companies.csv, leads.csv or deals.csv.",
                fields={"entity_type": ["Choose what the file holds."]},
            )
        files.append((name, et, _decode(name, data)))
    if not files:
        raise Invalid("The upload holds no CSV file.", fields={"file": ["No CSV file found."]})
    order = {t: i for i, t in enumerate(CSV_ENTITY_TYPES)}
    return sorted(files, key=lambda f: order[f[1].entity_type])


def _issued_up_to(et: EntityType) -> int:
    """The largest id the table has handed out so far (0 if none): the sequence's
    last value on PostgreSQL, `sqlite_sequence` for SQLite's AUTOINCREMENT."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT COALESCE(pg_sequence_last_value("
                "pg_get_serial_sequence(%s, 'id')::regclass), 0)",
                [et.table],
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [et.table]
            )
        else:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {et.table}")
        return int(cursor.fetchone()[0])


def _others_ids(account: Account, et: EntityType, ids: set[int]) -> set[int]:
    """Which of `ids` another account's History names (its records, alive or
    deleted): never reused here. One query per file, not one per row."""
    found: set[int] = set()
    wanted = sorted(ids)
    for start in range(0, len(wanted), 10_000):
        found.update(
            Event.objects.filter(
                entity_type=et.entity_type, entity_id__in=wanted[start : start + 10_000]
            )
            .exclude(account=account)
            .values_list("entity_id", flat=True)
            .distinct()
        )
    return found


@dataclass
class OriginalIds:
    """The import's original-id rule, for one file. A row keeps its original id
    only if the table has already issued it (at most the sequence's last value:
    an id above it would make the sequence, shared by every account, jump ahead —
    up to its end, and then no account could create a record), no row holds it,
    and no other account's History names it (ids are never shared between
    accounts). Any other row gets a fresh id from the sequence."""

    et: EntityType
    issued_up_to: int
    others: set[int]

    @classmethod
    def for_file(cls, account: Account, et: EntityType, ids: set[int]) -> OriginalIds:
        issued_up_to = _issued_up_to(et)  # read once per file
        issued = {i for i in ids if i <= issued_up_to}
        return cls(et, issued_up_to, _others_ids(account, et, issued))

    def kept(self, original: int) -> bool:
        return (
            original <= self.issued_up_to
            and original not in self.others
            and not self.et.model.objects.filter(pk=original).exists()
        )


def _original_ids(et: EntityType, fields: dict[int, str], rows: list[list[str]]) -> set[int]:
    column = next((i for i, name in fields.items() if name == "id"), None)
    if column is None:
        return set()
    ids = set()
    for cells in rows:
        cell = cells[column].strip() if column < len(cells) else ""
        # ASCII digits only: "²" is a digit to isdigit() but not to int() (its row is
        # refused with the reason when it is read).
        if cell.isascii() and cell.isdigit() and 0 < int(cell) < 2**63:
            ids.add(int(cell))
    return ids


def import_files(
    *, account: Account, files: list[tuple[str, EntityType, str]], actor: Actor
) -> ImportReport:
    """Import the rows of `files` (parents first); one transaction, one operation."""
    operation = new_operation()
    report = ImportReport(operation=str(operation))
    id_map: dict[str, dict[int, int]] = {}
    members = set(Membership.objects.filter(account=account).values_list("user_id", flat=True))
    with transaction.atomic():
        for name, et, text in files:
            file_report = FileReport(name=name, entity_type=et.entity_type)
            report.files.append(file_report)
            try:
                rows = list(_reader(text))
            except csv.Error as exc:
                raise Invalid(
                    f"{name} cannot be read as CSV ({exc}).",
                    fields={"file": [f"{name} cannot be read as CSV."]},
                ) from exc
            if not rows:
                continue
            header, body = rows[0], rows[1:]
            defs = {d.code: d.label for d in custom_values.definitions(account.pk, et.entity_type)}
            fields, custom, unknown = match_header(et, header, defs)
            if not fields and not custom:
                shown = ", ".join(c for c in header if c.strip()) or "(empty)"
                raise Invalid(
                    f"{name}: no column is one the import knows ({shown}). Name the columns "
                    "as in an export (ID, NAME, LAST_NAME, …) or by their labels.",
                    fields={"file": [f"No known column: {shown}"]},
                )
            file_report.unknown_columns = unknown
            mapping = id_map.setdefault(et.entity_type, {})
            originals = OriginalIds.for_file(account, et, _original_ids(et, fields, body))
            for number, cells in enumerate(body, start=2):
                if not any(c.strip() for c in cells):
                    continue
                file_report.add(
                    _import_row(account, et, fields, custom, cells, number, actor, operation,
                                mapping, id_map, members, originals)
                )  # fmt: skip
    return report


def _import_row(
    account,
    et,
    fields,
    custom,
    cells,
    number,
    actor,
    operation,
    mapping,
    id_map,
    members,
    originals,
):
    try:
        values, custom_cells = row_to_values(et, fields, custom, cells)
    except RecordError as exc:
        return RowOutcome(number, "refused", reason=str(exc))
    original = values.pop("id", None)
    if original is not None and not 1 <= original <= 2**63 - 1:
        return RowOutcome(
            number, "refused", original_id=original, reason=f"ID {original} is not a valid id."
        )
    notes = []
    if original is not None and et.model.objects.filter(account=account, pk=original).exists():
        mapping[original] = original
        return RowOutcome(number, "skipped", id=original, original_id=original,
                          reason="Already present (a record with this ID exists).")  # fmt: skip
    if original is not None:
        if originals.kept(original):
            values["id"] = original
        else:
            notes.append(f"ID {original} not kept: the record has a new ID")
    for link in et.links:
        target = values.get(link.field)
        if target is None:
            continue
        mapped = id_map.get(link.target, {}).get(target)
        if mapped is not None:
            values[link.field] = mapped
        elif not entity(link.target).model.objects.filter(account=account, pk=target).exists():
            values[link.field] = None
            notes.append(f"{link.target} {target} not found: imported without the link")
    assigned = values.get("assigned_by_id")
    if assigned is not None and assigned not in members:
        values["assigned_by_id"] = None
        notes.append(f"user {assigned} is not a member: no responsible person")
    for key in ("created_at", "updated_at"):
        if values.get(key) is not None and values[key].tzinfo is None:
            values[key] = values[key].replace(tzinfo=account.tzinfo)
    if values.get("created_at") is not None and values.get("updated_at") is None:
        values["updated_at"] = values["created_at"]
    if et.has_custom_fields:
        values["custom_fields"] = custom_cells
    try:
        obj = services.record_create(
            account=account, entity_type=et.entity_type, values=values, actor=actor,
            operation=operation,
        )  # fmt: skip
    except DomainError as exc:
        if exc.status == 423:
            raise
        reasons = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items()) or exc.detail
        return RowOutcome(number, "refused", original_id=original, reason=reasons)
    except IntegrityError:
        # Another import took the same id meanwhile (the row's savepoint is rolled back).
        return RowOutcome(
            number,
            "refused",
            original_id=original,
            reason="Its ID was taken by another import meanwhile; import it again.",
        )
    if original is not None:
        mapping[original] = obj.pk
    return RowOutcome(number, "created", id=obj.pk, original_id=original, reason="; ".join(notes))
