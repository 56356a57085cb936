"""Custom field values: kept on each record under the field's UF_CRM_ code, as
canonical strings (text as typed, numbers as decimals, dates as YYYY-MM-DD,
yes/no as Y or N). Values of a deleted definition stay on the records, hidden,
so that restoring the definition (a full rollback, R13) shows them again.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_date

from .models import CustomField, CustomFieldType

TRUE_WORDS = {"y", "yes", "true", "1", "t", "on"}
FALSE_WORDS = {"n", "no", "false", "0", "f", "off", ""}


def definitions(account_id: int, entity_type: str) -> list[CustomField]:
    return list(
        CustomField.objects.filter(account_id=account_id, entity_type=entity_type).order_by(
            "sort", "id"
        )
    )


def normalize(definition: CustomField, raw) -> str | None:
    """The canonical string of a value, None for empty; ValueError with a sentence if bad."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        text = "Y" if raw else "N"
    elif isinstance(raw, date):
        text = raw.isoformat()
    else:
        text = str(raw).strip()
    if definition.field_type == CustomFieldType.STRING:
        return text or None
    if text == "":
        return None
    if definition.field_type == CustomFieldType.NUMBER:
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation as exc:
            raise ValueError(f"“{text}” is not a number.") from exc
        if not number.is_finite():
            raise ValueError(f"“{text}” is not a number.")
        return format(number.normalize(), "f")
    if definition.field_type == CustomFieldType.DATE:
        parsed = parse_date(text) if isinstance(text, str) else None
        if parsed is None:
            raise ValueError(f"“{text}” is not a date (YYYY-MM-DD).")
        return parsed.isoformat()
    if definition.field_type == CustomFieldType.BOOLEAN:
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return "Y"
        if lowered in FALSE_WORDS:
            return "N"
        raise ValueError(f"“{text}” is not yes or no.")
    return text


def merge(
    account_id: int, entity_type: str, current: dict, submitted: dict | None
) -> tuple[dict, dict]:
    """The new values of a record: `submitted` (defined codes only) over `current`.

    Values of codes with no definition (deleted ones) are kept as they are.
    Returns (values, errors by code).
    """
    defs = {d.code: d for d in definitions(account_id, entity_type)}
    values = {k: v for k, v in (current or {}).items() if k not in defs}
    errors: dict[str, list[str]] = {}
    submitted = submitted or {}
    for code in submitted:
        if code not in defs:
            errors[code] = [f"There is no custom field {code} for this record type."]
    for code, definition in defs.items():
        raw = submitted[code] if code in submitted else (current or {}).get(code)
        try:
            value = normalize(definition, raw)
        except ValueError as exc:
            errors[code] = [str(exc)]
            continue
        if value is None:
            if definition.mandatory:
                errors[code] = [f"{definition.label} is required."]
            continue
        values[code] = value
    return values, errors
