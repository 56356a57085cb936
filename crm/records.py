"""The one canonical record format (architecture.md, "Decisions").

A record is a dict of JSON-safe values keyed by field name (the model's
attname), without the account: the same dict is a History event's `data`, a
snapshot's row, a CSV row (through the registry's column map) and what the
recycle bin restores. The SQL builders below produce exactly the dict that the
Python functions produce, so set-based paths on PostgreSQL and row-by-row paths
agree; a test holds them to it.

Kinds: int (ids, links, numbers), str, decimal (a string with the field's
decimal places), date (YYYY-MM-DD), datetime (UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ),
bool, json (custom field values, keyed by UF_CRM_ code).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_date, parse_datetime

from .registry import EntityType, FieldSpec

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
SQL_DATETIME_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'


class RecordError(ValueError):
    """A value that cannot be read as its field's kind."""


def encode_value(spec: FieldSpec, value):
    """A Python (model) value as the canonical JSON-safe value."""
    if value is None:
        return None
    kind = spec.kind
    if kind == "datetime":
        return value.astimezone(UTC).strftime(DATETIME_FORMAT)
    if kind == "date":
        return value.isoformat()
    if kind == "decimal":
        return str(Decimal(value).quantize(Decimal(1).scaleb(-spec.decimal_places)))
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    if kind == "json":
        return value
    return str(value)


def decode_value(spec: FieldSpec, value):
    """A canonical value back as the Python value the model field takes."""
    if value is None:
        return None
    kind = spec.kind
    try:
        if kind == "datetime":
            if isinstance(value, datetime):
                return value.astimezone(UTC)
            parsed = parse_datetime(value)
            if parsed is None or parsed.tzinfo is None:
                raise RecordError(f"{spec.name}: “{value}” is not a date and time with a zone.")
            return parsed.astimezone(UTC)
        if kind == "date":
            if isinstance(value, date):
                return value
            parsed = parse_date(value)
            if parsed is None:
                raise RecordError(f"{spec.name}: “{value}” is not a date (YYYY-MM-DD).")
            return parsed
        if kind == "decimal":
            return Decimal(str(value)).quantize(Decimal(1).scaleb(-spec.decimal_places))
        if kind == "int":
            if isinstance(value, bool):
                raise RecordError(f"{spec.name}: expected a whole number.")
            return int(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise RecordError(f"{spec.name}: expected true or false.")
        if kind == "json":
            if not isinstance(value, dict):
                raise RecordError(f"{spec.name}: expected an object.")
            return value
        return str(value)
    except (InvalidOperation, ValueError, TypeError) as exc:
        if isinstance(exc, RecordError):
            raise
        raise RecordError(f"{spec.name}: “{value}” is not valid.") from exc


def to_record(et: EntityType, obj) -> dict:
    """The canonical record of a model instance."""
    return {spec.name: encode_value(spec, getattr(obj, spec.name)) for spec in et.fields}


def from_record(et: EntityType, record: dict) -> dict:
    """Model field values (by attname) from a canonical record; unknown keys are ignored,
    missing ones are left out (the model's default applies)."""
    return {
        spec.name: decode_value(spec, record[spec.name])
        for spec in et.fields
        if spec.name in record
    }


def title_of(et: EntityType, record: dict) -> str:
    return (et.title(record) or "")[:255]


def record_changes(et: EntityType, before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields that differ, timestamps left out."""
    return {
        name: [before.get(name), after.get(name)]
        for name in et.field_names
        if name not in ("updated_at", "created_at") and before.get(name) != after.get(name)
    }


# --- SQL (PostgreSQL) ---------------------------------------------------------


def _sql_value(spec: FieldSpec, column: str) -> str:
    if spec.kind == "datetime":
        return f"to_char({column} AT TIME ZONE 'UTC', '{SQL_DATETIME_FORMAT}')"
    if spec.kind == "date":
        return f"to_char({column}, 'YYYY-MM-DD')"
    if spec.kind == "decimal":
        return f"({column})::text"
    return column


def record_sql(et: EntityType, alias: str) -> str:
    """An SQL expression building the canonical record of row `alias` as jsonb."""
    pairs = ", ".join(
        f"'{spec.name}', {_sql_value(spec, f'{alias}.{spec.name}')}" for spec in et.fields
    )
    return f"jsonb_build_object({pairs})"


def title_sql(et: EntityType, alias: str) -> str:
    return f"left(COALESCE({et.title_sql.format(t=alias)}, ''), 255)"
