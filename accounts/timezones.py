"""Times entered by a person are read in the account's time zone, converted to
UTC once, here (architecture.md, "Time"). A local time that does not exist (it
falls in a daylight-saving gap) is refused rather than guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.utils.dateparse import parse_date, parse_datetime

from recovery_portal.errors import Invalid

from .models import Account


def local_to_utc(value: datetime, account: Account, *, field: str = "time") -> datetime:
    """An aware datetime in UTC. A naive `value` is read in the account's zone;
    one that falls in a DST gap raises Invalid naming `field`."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    tz = account.tzinfo
    aware = value.replace(tzinfo=tz)
    # Round-trip through UTC: a time in a gap does not come back the same.
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != value:
        raise Invalid(
            f"{value:%Y-%m-%d %H:%M} does not exist in {account.timezone} "
            "(the clocks skip it for daylight saving time).",
            fields={field: ["This time does not exist in the account's time zone."]},
        )
    return aware.astimezone(UTC)


def parse_local(raw: str, account: Account, *, field: str, end_of_day: bool = False) -> datetime:
    """A date ("2026-11-25") or date-time ("2026-11-25T14:03", with or without an
    offset) typed by a person, as an aware UTC datetime. A bare date is the start
    of that day in the account's zone, or the start of the next day when
    `end_of_day` (for exclusive upper bounds)."""
    raw = (raw or "").strip()
    try:
        parsed_dt = parse_datetime(raw) if "T" in raw or " " in raw else None
        parsed_date = None if parsed_dt else parse_date(raw)
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        parsed_dt = parsed_date = None
    if parsed_dt is not None:
        return local_to_utc(parsed_dt, account, field=field)
    if parsed_date is None:
        raise Invalid(
            f"{field}: “{raw}” is not a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM).",
            fields={field: ["Enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM)."]},
        )
    if end_of_day:
        parsed_date = parsed_date + timedelta(days=1)
    return day_start_utc(parsed_date, account)


def day_start_utc(day: date, account: Account) -> datetime:
    """Midnight of `day` in the account's zone, in UTC (the first existing instant)."""
    tz = account.tzinfo
    start = datetime.combine(day, time(0, 0)).replace(tzinfo=tz)
    # If midnight is in a gap (a few zones), the day starts at the first valid instant.
    utc = start.astimezone(UTC)
    return utc if utc.astimezone(tz).date() == day else (start + timedelta(hours=1)).astimezone(UTC)
