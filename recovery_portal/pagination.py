"""Keyset (cursor) pagination shared by the History, the recycle bin, alerts and
requests, on pages and in the API.

A page is found by comparing the ordering columns with the last row seen, never
by OFFSET, so page 10,000 costs what page 1 costs. The cursor is signed: a
tampered cursor is refused with `Invalid` (400), never a 500 or a silent first
page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime

from .errors import Invalid

CURSOR_SALT = "recovery_portal.cursor"


@dataclass
class KeysetPage:
    items: list
    next_cursor: str | None
    previous_cursor: str | None


def _encode_value(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _decode_value(value):
    if isinstance(value, dict) and set(value) == {"t"}:
        parsed = parse_datetime(value["t"])
        if parsed is None:
            raise Invalid("The cursor is not valid.")
        return parsed
    if isinstance(value, int | str) or value is None:
        return value
    raise Invalid("The cursor is not valid.")


def make_cursor(scope: str, values: list, direction: str) -> str:
    payload = {"v": [_encode_value(v) for v in values], "d": direction}
    return signing.dumps(payload, salt=f"{CURSOR_SALT}:{scope}", compress=True)


def read_cursor(scope: str, cursor: str) -> tuple[list, str]:
    try:
        payload = signing.loads(cursor, salt=f"{CURSOR_SALT}:{scope}")
        values = [_decode_value(v) for v in payload["v"]]
        direction = payload["d"]
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise Invalid(
            "The cursor is not valid: it was changed or comes from another list."
        ) from exc
    if direction not in ("n", "p"):
        raise Invalid("The cursor is not valid.")
    return values, direction


def _row_comparison(queryset: QuerySet, fields: tuple[str, ...], values: list, op: str):
    """`(a, b) < (x, y)` as one row comparison: PostgreSQL uses it as an index
    condition on every column, so a page that starts among thousands of rows with
    one timestamp (a bulk delete) seeks straight to the cursor."""
    model = queryset.model
    table = model._meta.db_table
    columns = ", ".join(f'"{table}"."{model._meta.get_field(f).column}"' for f in fields)
    placeholders = ", ".join(["%s"] * len(values))
    return ExpressionWrapper(
        RawSQL(f"({columns}) {op} ({placeholders})", tuple(values)),
        output_field=BooleanField(),
    )


def _after(fields: tuple[str, ...], values: list, descending: bool) -> Q:
    """Rows strictly after `values` in the ordering (all fields in one direction).

    Written as `a <= x AND (a < x OR (a = x AND b < y) ...)`, portable; on
    PostgreSQL the row comparison above is added, which the index can seek on.
    """
    op = "lt" if descending else "gt"
    op_eq = "lte" if descending else "gte"
    condition = Q()
    for i in range(len(fields) - 1, -1, -1):
        strict = Q(**{f"{fields[i]}__{op}": values[i]})
        if i == len(fields) - 1:
            condition = strict
        else:
            condition = strict | (Q(**{fields[i]: values[i]}) & condition)
    return Q(**{f"{fields[0]}__{op_eq}": values[0]}) & condition


def paginate_keyset(
    queryset: QuerySet,
    *,
    ordering: tuple[str, ...],
    cursor: str | None,
    page_size: int,
    scope: str,
) -> KeysetPage:
    """One page of `queryset` in `ordering` (e.g. ("-occurred_at", "-id")).

    Every field of the ordering goes the same direction, and the last one is
    unique (the primary key), so the order is total.
    """
    descending = ordering[0].startswith("-")
    fields = tuple(f.lstrip("-") for f in ordering)
    direction = "n"
    if cursor:
        values, direction = read_cursor(scope, cursor)
        if len(values) != len(fields):
            raise Invalid("The cursor is not valid.")
        forward = direction == "n"
        after_descending = descending == forward
        queryset = queryset.filter(_after(fields, values, after_descending))
        if connections[queryset.db].vendor == "postgresql":
            op = "<" if after_descending else ">"
            queryset = queryset.filter(_row_comparison(queryset, fields, values, op))
    forward = direction == "n"
    order = (
        ordering if forward else tuple(f[1:] if f.startswith("-") else f"-{f}" for f in ordering)
    )
    rows = list(queryset.order_by(*order)[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if not forward:
        rows.reverse()

    def key(row):
        return [getattr(row, f) if not isinstance(row, dict) else row[f] for f in fields]

    next_cursor = previous_cursor = None
    if rows:
        if forward:
            if has_more:
                next_cursor = make_cursor(scope, key(rows[-1]), "n")
            if cursor:
                previous_cursor = make_cursor(scope, key(rows[0]), "p")
        else:
            next_cursor = make_cursor(scope, key(rows[-1]), "n")
            if has_more:
                previous_cursor = make_cursor(scope, key(rows[0]), "p")
    return KeysetPage(items=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)


def parse_page_size(raw: str | None, *, default: int = 50, maximum: int = 200) -> int:
    """The `page_size` query parameter: a whole number from 1 to `maximum`, else 400."""
    if raw in (None, ""):
        return default
    try:
        size = int(raw)
    except (TypeError, ValueError) as exc:
        raise Invalid(
            "page_size must be a whole number.", fields={"page_size": ["Enter a whole number."]}
        ) from exc
    if not 1 <= size <= maximum:
        raise Invalid(
            f"page_size must be between 1 and {maximum}.",
            fields={"page_size": [f"Ensure this value is between 1 and {maximum}."]},
        )
    return size
