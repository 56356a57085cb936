"""The CSV format of CRM records, shared by the export (backups) and the import:
the CRM's own import columns (domain.md, "CRM fields and CSV columns"), custom
field values as UF_CRM_<CODE> columns, and OWASP's advice against formula
injection: a text cell that starts with =, +, - or @ is written with a leading
apostrophe, so a spreadsheet shows it as text, and the import reads it back
unchanged.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_date, parse_datetime

from .records import RecordError
from .registry import EntityType, entity

# The four entity types a CSV file holds, in the order a zip lists them and an
# import loads them (parents first).
CSV_ENTITY_TYPES = ("company", "contact", "lead", "deal")
FILE_NAMES = {
    "company": "companies.csv",
    "contact": "contacts.csv",
    "lead": "leads.csv",
    "deal": "deals.csv",
}

FORMULA_STARTS = ("=", "+", "-", "@")
TRUE_CELLS = {"y", "yes", "true", "1", "t"}
FALSE_CELLS = {"n", "no", "false", "0", "f", ""}


def escape_text(value: str) -> str:
    """A text cell a spreadsheet never runs as a formula (reversible by unescape_text)."""
    if value.startswith(FORMULA_STARTS) or (
        value.startswith("'") and value[1:2] and value[1] in ("'", *FORMULA_STARTS)
    ):
        return "'" + value
    return value


def unescape_text(value: str) -> str:
    if value.startswith("'") and value[1:2] and value[1] in ("'", *FORMULA_STARTS):
        return value[1:]
    return value


def header(et: EntityType, custom_codes: list[str]) -> list[str]:
    return [*et.csv_columns.values(), *custom_codes]


def record_to_row(et: EntityType, record: dict, custom_codes: list[str]) -> list[str]:
    """A canonical record as the cells of one CSV row."""
    row = []
    for field_name in et.csv_columns:
        spec = et.field(field_name)
        value = record.get(field_name)
        if value is None:
            row.append("")
        elif spec.kind == "bool":
            row.append("Y" if value else "N")
        elif spec.kind == "str":
            row.append(escape_text(value))
        else:
            row.append(str(value))
    custom = record.get("custom_fields") or {}
    row.extend(
        escape_text(str(custom[code])) if custom.get(code) is not None else ""
        for code in custom_codes
    )
    return row


def _cell_value(et: EntityType, field_name: str, cell: str):
    spec = et.field(field_name)
    text = cell.strip() if spec.kind != "str" else cell
    if spec.kind == "str":
        return unescape_text(cell)
    if text == "":
        return None
    kind = spec.kind
    try:
        if kind == "int":
            return int(text)
        if kind == "decimal":
            number = Decimal(text.replace(" ", "").replace(",", "."))
            if not number.is_finite():
                raise InvalidOperation
            return number
        if kind == "bool":
            lowered = text.lower()
            if lowered in TRUE_CELLS:
                return True
            if lowered in FALSE_CELLS:
                return False
            raise ValueError
        if kind == "date":
            parsed = parse_date(text) or _dotted_date(text)
            if parsed is None:
                raise ValueError
            return parsed
        if kind == "datetime":
            parsed = parse_datetime(text)
            if parsed is None:
                day = parse_date(text) or _dotted_date(text)
                if day is None:
                    raise ValueError
                parsed = datetime(day.year, day.month, day.day)
            return parsed
    except (ValueError, InvalidOperation) as exc:
        raise RecordError(
            f"“{cell}” is not a valid {kind} for {et.csv_columns[field_name]}."
        ) from exc
    return text


def _dotted_date(text: str):
    """dd.mm.yyyy, as the CRM's own exports write dates."""
    parts = text.split(" ")[0].split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        try:
            return parse_date(f"{parts[2]}-{parts[1].zfill(2)}-{parts[0].zfill(2)}")
        except ValueError:
            return None
    return None


def match_header(
    et: EntityType, names: list[str], custom_fields: dict[str, str]
) -> tuple[dict[int, str], dict[int, str], list[str]]:
    """Match a file's header cells to fields, case-insensitively, by CSV column,
    field code or label, like the CRM's own import. `custom_fields` maps code →
    label. Returns (column index → field, column index → custom code, unknown names)."""
    by_name: dict[str, str] = {}
    for field_name, column in et.csv_columns.items():
        spec = et.field(field_name)
        for alias in (column, field_name, spec.label):
            by_name.setdefault(alias.strip().lower(), field_name)
    custom_by_name: dict[str, str] = {}
    for code, label in custom_fields.items():
        custom_by_name[code.lower()] = code
        custom_by_name.setdefault(label.strip().lower(), code)
    fields: dict[int, str] = {}
    custom: dict[int, str] = {}
    unknown = []
    for index, raw in enumerate(names):
        name = raw.strip().lstrip("\ufeff").strip().lower()
        if name in by_name and by_name[name] not in fields.values():
            fields[index] = by_name[name]
        elif name in custom_by_name:
            custom[index] = custom_by_name[name]
        elif name:
            unknown.append(raw)
    return fields, custom, unknown


def row_to_values(
    et: EntityType, fields: dict[int, str], custom: dict[int, str], cells: list[str]
) -> tuple[dict, dict]:
    """Field values (by attname) and custom values of one row; RecordError if a cell is bad."""
    values = {}
    for index, field_name in fields.items():
        values[field_name] = _cell_value(et, field_name, cells[index] if index < len(cells) else "")
    custom_values = {}
    for index, code in custom.items():
        cell = cells[index] if index < len(cells) else ""
        if cell.strip():
            custom_values[code] = unescape_text(cell)
    return values, custom_values


def entity_for_file(name: str) -> EntityType | None:
    """The entity type of a file named like the export's (contacts.csv…)."""
    base = name.rsplit("/", 1)[-1].lower()
    for entity_type, file_name in FILE_NAMES.items():
        if base == file_name or base.startswith(file_name.removesuffix(".csv")):
            return entity(entity_type)
    return None
