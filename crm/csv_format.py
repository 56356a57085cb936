"""The CSV format of CRM records, shared by the export (backups) and the import:
the CRM's own import columns (domain.md, "CRM fields and CSV columns"), custom
field values as UF_CRM_<CODE> columns, and OWASP's advice against formula
injection: a text cell that starts with =, +, - or @ is written with a leading
apostrophe, so a spreadsheet shows it as text, and the import reads it back
unchanged.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache

from django.utils.dateparse import parse_date, parse_datetime

from .records import SQL_DATETIME_FORMAT, RecordError
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


# --- Writing: one row of cells, in Python and in SQL ----------------------------------
#
# The export writes on PostgreSQL with `COPY (SELECT <cells_sql …>) TO STDOUT (FORMAT
# csv)` and elsewhere with `record_to_row` + `csv_line`: the two must give the same
# bytes (a test holds them to it). So the Python side writes CSV as PostgreSQL does:
# "\n" after each row, a cell quoted only when it holds `,` `"` CR or LF, quotes
# doubled, an empty cell never quoted (the SQL side turns '' into NULL).

_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _quote(cell: str) -> str:
    if _NEEDS_QUOTES.search(cell):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_line(cells: list[str]) -> str:
    """One CSV line as PostgreSQL's COPY (FORMAT csv) writes it."""
    return ",".join(_quote(c) for c in cells) + "\n"


def json_text(value) -> str:
    """A custom field value as text, as PostgreSQL's `->>` gives it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


@cache
def _row_plan(entity_type: str) -> tuple[tuple[str, str], ...]:
    et = entity(entity_type)
    return tuple((name, et.field(name).kind) for name in et.csv_columns)


def record_to_row(et: EntityType, record: dict, custom_codes: list[str]) -> list[str]:
    """A canonical record as the cells of one CSV row."""
    row = []
    for field_name, kind in _row_plan(et.entity_type):
        value = record.get(field_name)
        if value is None:
            row.append("")
        elif kind == "bool":
            row.append("Y" if value else "N")
        elif kind == "str":
            row.append(escape_text(value))
        else:
            row.append(str(value))
    if custom_codes:
        custom = record.get("custom_fields") or {}
        row.extend(escape_text(json_text(custom.get(code))) for code in custom_codes)
    return row


# Code points of the characters escape_text looks at: = + - @ and the apostrophe.
_FORMULA_CODES = "(61, 43, 45, 64)"
_AFTER_QUOTE_CODES = "(39, 61, 43, 45, 64)"
_APOSTROPHE = "''''"  # an SQL literal holding one apostrophe


def _escape_sql(x: str) -> str:
    """escape_text in SQL; '' becomes NULL (an unquoted empty cell, as csv_line writes it)."""
    defuse = (
        f"ascii({x}) IN {_FORMULA_CODES} "
        f"OR (ascii({x}) = 39 AND ascii(substr({x}, 2)) IN {_AFTER_QUOTE_CODES})"
    )
    return f"NULLIF(CASE WHEN {defuse} THEN {_APOSTROPHE} || {x} ELSE {x} END, '')"


def _datetime_sql(x: str) -> str:
    """The canonical date-time (YYYY-MM-DDTHH:MM:SS.ffffffZ) of a snapshot cell.

    PostgreSQL writes snapshots in UTC as `2026-01-31 09:00:07[.f…]+00`, trailing
    zeros of the fraction dropped: rearranged as text (half the cost of parsing
    and to_char); any other form is parsed."""
    return (
        f"CASE WHEN {x} NOT LIKE '____-__-__ __:__:__%+00' "
        f"THEN to_char(({x})::timestamptz AT TIME ZONE 'UTC', '{SQL_DATETIME_FORMAT}') "
        f"WHEN octet_length({x}) = 29 THEN replace(left({x}, 26), ' ', 'T') || 'Z' "
        f"WHEN octet_length({x}) = 22 THEN replace(left({x}, 19), ' ', 'T') || '.000000Z' "
        f"ELSE replace(left({x}, 19), ' ', 'T') "
        f"|| rpad(substr({x}, 20, octet_length({x}) - 22), 7, '0') || 'Z' END"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def cells_sql(et: EntityType, alias: str, custom_codes: list[str]) -> list[str]:
    """SQL expressions giving the text of each cell that record_to_row writes (NULL
    for an empty cell), from a row of a snapshot file of `et` loaded as text (the
    cells as the file has them, an empty cell of a non-text column as NULL), its
    custom field values as jsonb."""
    cells = []
    for field_name, kind in _row_plan(et.entity_type):
        column = f"{alias}.{field_name}"
        if kind == "str":
            cells.append(_escape_sql(column))
        elif kind == "bool":
            cells.append(f"CASE {column} WHEN 't' THEN 'Y' WHEN 'f' THEN 'N' END")
        elif kind == "datetime":
            cells.append(_datetime_sql(column))
        else:  # int, date (ISO), decimal (in its column's scale): as the file has them
            cells.append(column)
    for code in custom_codes:
        cells.append(_escape_sql(f"({alias}.custom_fields ->> {_literal(code)})"))
    return cells


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
