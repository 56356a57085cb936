"""When did the data go? Deletions per day over the last seven days and per hour
of a chosen day, in the account's time zone, and the start of the largest burst
of deletions in a period (R14: the request form offers it as the deletion time).
Also the geometry of the small bar chart that pages draw from them (SVG, server
side, links on the bars; the template is templates/partials/deletions_chart.html).

Buckets are real instants: a day runs from one local midnight to the next (23
or 25 hours on a daylight-saving day), an hour of a day is one real hour, so the
day the clocks go back has 25 hourly bars (02:00 twice) and the day they go
forward 23. Each series is ONE grouped query over the account's delete events
in the range: on PostgreSQL `date_trunc` of the local time (`AT TIME ZONE`, with
the UTC offset in the key so the repeated hour is not merged); elsewhere (the
SQLite demo) a portable `CASE` on the bucket bounds. Both give the same counts.

The largest burst: the window of `BURST_MINUTES` minutes, starting on a whole
minute, that holds the most deletions of the period (ties: the earliest). Its
start is the first deletion in that window, its end the last one. It is found
from per-minute counts (one grouped query; at most 10,080 minutes in a week),
never by loading the events: on PostgreSQL in one statement with a sliding
window sum, elsewhere the per-minute counts are slid over in Python.

Uses index: event_action_timeline (account_id, action, occurred_at DESC, id DESC)
for every query here (a range of one account's deletions).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models import Case, Count, IntegerField, Max, Min, Value, When
from django.db.models.functions import TruncMinute
from django.utils import timezone

from accounts.models import Account
from accounts.timezones import day_start_utc

from .models import Action, Event

DAYS = 7  # the day view: today and the six days before (R7's week)
BURST_MINUTES = 10  # the width of the window that defines a burst
HOUR = timedelta(hours=1)


# --- Series -------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """One bar: [start, end) in UTC, and how many records were deleted in it."""

    start: datetime
    end: datetime
    count: int
    local_start: datetime  # `start` in the account's zone
    local_end: datetime


@dataclass(frozen=True)
class DeletionsSeries:
    scale: str  # "day" or "hour"
    buckets: list[Bucket]
    timezone: str
    day: date | None = None  # the day of an hourly series

    @property
    def total(self) -> int:
        return sum(b.count for b in self.buckets)

    @property
    def peak(self) -> int:
        return max((b.count for b in self.buckets), default=0)

    @property
    def first_day(self) -> date:
        return self.buckets[0].local_start.date()

    @property
    def last_day(self) -> date:
        return self.buckets[-1].local_start.date()


def local_today(account: Account, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(account.tzinfo).date()


def day_bounds(account: Account, first: date, days: int) -> list[datetime]:
    """The UTC instants of `days + 1` local midnights from `first` (days of 23-25 h)."""
    return [day_start_utc(first + timedelta(days=i), account) for i in range(days + 1)]


def hour_bounds(account: Account, day: date) -> list[datetime]:
    """The UTC instants that cut the local `day` into its real hours (23, 24 or 25)."""
    start, end = day_bounds(account, day, 1)
    bounds = [start]
    while bounds[-1] + HOUR < end:
        bounds.append(bounds[-1] + HOUR)
    bounds.append(end)
    return bounds


def _deletions(account: Account, start: datetime, end: datetime):
    # Uses index: event_action_timeline (account_id, action, occurred_at).
    return Event.objects.filter(
        account=account, action=Action.DELETE, occurred_at__gte=start, occurred_at__lt=end
    ).order_by()


def _counts_portable(account: Account, bounds: list[datetime]) -> list[int]:
    """Deletions in each [bounds[i], bounds[i+1]): one grouped query with a CASE
    on the bounds (any database)."""
    whens = [When(occurred_at__lt=b, then=Value(i)) for i, b in enumerate(bounds[1:])]
    rows = (
        _deletions(account, bounds[0], bounds[-1])
        .annotate(bucket=Case(*whens, output_field=IntegerField()))
        .values("bucket")
        .annotate(n=Count("id"))
        .values_list("bucket", "n")
    )
    counts = [0] * (len(bounds) - 1)
    for index, n in rows:
        counts[index] += n
    return counts


def _counts_postgresql(account: Account, bounds: list[datetime], scale: str) -> list[int]:
    """The same counts with `date_trunc` of the local time on PostgreSQL. The
    UTC offset is part of the key: the hour the clocks go back (02:00 twice)
    stays two hours; a day's groups are summed by their local date."""
    table = Event._meta.db_table
    sql = f"""
        SELECT date_trunc(%s, occurred_at AT TIME ZONE %s) AS local_start,
               EXTRACT(EPOCH FROM (occurred_at AT TIME ZONE %s)
                                  - (occurred_at AT TIME ZONE 'UTC'))::integer AS utc_offset,
               count(*)
        FROM {table}
        WHERE account_id = %s AND action = %s AND occurred_at >= %s AND occurred_at < %s
        GROUP BY 1, 2
    """  # Uses index: event_action_timeline (account_id, action, occurred_at)
    tz = account.timezone
    with connection.cursor() as cursor:
        cursor.execute(sql, [scale, tz, tz, account.pk, Action.DELETE, bounds[0], bounds[-1]])
        rows = cursor.fetchall()
    counts = [0] * (len(bounds) - 1)
    if scale == "day":
        days = {b.astimezone(account.tzinfo).date(): i for i, b in enumerate(bounds[:-1])}
        for local_start, _offset, n in rows:
            counts[days[local_start.date()]] += n
        return counts
    for local_start, offset, n in rows:
        instant = local_start.replace(tzinfo=UTC) - timedelta(seconds=offset)
        index = bisect.bisect_right(bounds, instant) - 1
        counts[min(max(index, 0), len(counts) - 1)] += n
    return counts


def _series(account: Account, bounds: list[datetime], scale: str, day=None) -> DeletionsSeries:
    if connection.vendor == "postgresql":
        counts = _counts_postgresql(account, bounds, scale)
    else:
        counts = _counts_portable(account, bounds)
    tz = account.tzinfo
    buckets = [
        Bucket(start, end, n, start.astimezone(tz), end.astimezone(tz))
        for start, end, n in zip(bounds, bounds[1:], counts, strict=False)
    ]
    return DeletionsSeries(scale, buckets, account.timezone, day)


def deletions_per_day(
    account: Account, *, days: int = DAYS, now: datetime | None = None
) -> DeletionsSeries:
    """Deletions per local day: today and the `days - 1` days before. One query."""
    today = local_today(account, now)
    return _series(account, day_bounds(account, today - timedelta(days=days - 1), days), "day")


def deletions_per_hour(account: Account, day: date) -> DeletionsSeries:
    """Deletions per real hour of the local `day` (23, 24 or 25 bars). One query."""
    return _series(account, hour_bounds(account, day), "hour", day)


# --- The largest burst -----------------------------------------------------------------


@dataclass(frozen=True)
class Burst:
    """The densest `minutes`-minute window of deletions in a period."""

    start: datetime  # the first deletion in the window (UTC)
    last_at: datetime  # the last deletion in the window
    count: int
    minutes: int


def _burst_postgresql(account, start, end, minutes) -> Burst | None:
    table = Event._meta.db_table
    sql = f"""
        WITH per_minute AS (
            SELECT date_trunc('minute', occurred_at) AS minute, count(*) AS n,
                   min(occurred_at) AS first_at, max(occurred_at) AS last_at
            FROM {table}
            WHERE account_id = %s AND action = %s AND occurred_at >= %s AND occurred_at < %s
            GROUP BY 1
        ), windows AS (
            SELECT minute, first_at, sum(n) OVER w AS total, max(last_at) OVER w AS last_at
            FROM per_minute
            WINDOW w AS (ORDER BY minute RANGE BETWEEN CURRENT ROW AND %s FOLLOWING)
        )
        SELECT first_at, last_at, total FROM windows ORDER BY total DESC, minute LIMIT 1
    """  # Uses index: event_action_timeline (account_id, action, occurred_at)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [account.pk, Action.DELETE, start, end, timedelta(minutes=minutes - 1)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Burst(row[0], row[1], int(row[2]), minutes)


def _burst_portable(account, start, end, minutes) -> Burst | None:
    per_minute = list(
        _deletions(account, start, end)
        .annotate(minute=TruncMinute("occurred_at", tzinfo=UTC))
        .values("minute")
        .annotate(n=Count("id"), first_at=Min("occurred_at"), last_at=Max("occurred_at"))
        .order_by("minute")
        .values_list("minute", "n", "first_at", "last_at")
    )  # at most one row per minute of the period
    best = None
    total = 0
    right = 0
    span = timedelta(minutes=minutes)
    for left, (minute, _n, first_at, _last) in enumerate(per_minute):
        while right < len(per_minute) and per_minute[right][0] < minute + span:
            total += per_minute[right][1]
            right += 1
        if best is None or total > best[0]:
            last_at = max(row[3] for row in per_minute[left:right])
            best = (total, first_at, last_at)
        total -= per_minute[left][1]
    if best is None:
        return None
    return Burst(best[1], best[2], best[0], minutes)


def largest_burst(
    account: Account, *, start: datetime, end: datetime, minutes: int = BURST_MINUTES
) -> Burst | None:
    """The start of the largest burst of deletions in [start, end) (R14), or None
    when nothing was deleted. See the module docstring for what a burst is."""
    if connection.vendor == "postgresql":
        return _burst_postgresql(account, start, end, minutes)
    return _burst_portable(account, start, end, minutes)


# --- The picture -------------------------------------------------------------------------

WIDTH, HEIGHT = 560, 250
LEFT, RIGHT, TOP, BASELINE = 48, 8, 28, 200


@dataclass
class Bar:
    bucket: Bucket
    url: str
    label: str  # for people and screen readers: "Sunday 29 March: 12 deletions"
    tick: str  # under the bar: "Sun" / "02:00"
    tick2: str = ""  # a second line: "29 Mar"
    minor: bool = False  # a tick hidden at phone width
    selected: bool = False
    x: float = 0
    width: float = 0
    y: float = 0
    height: float = 0
    slot_x: float = 0
    slot_width: float = 0
    center: float = 0
    row_label: str = ""  # "Sunday 29 March", "02:00–03:00"

    @property
    def count_y(self) -> float:
        return round(self.y - 6, 2)


@dataclass
class Picture:
    series: DeletionsSeries
    title: str
    bars: list[Bar] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    baseline: int = BASELINE

    @property
    def axis_x(self) -> int:
        return self.left - 6

    @property
    def tick_y(self) -> int:
        return self.baseline + 18

    @property
    def tick2_y(self) -> int:
        return self.baseline + 36

    @property
    def hit_y(self) -> int:
        return 4

    @property
    def hit_height(self) -> int:
        return self.height - 8

    @property
    def peak(self) -> int:
        return self.series.peak

    @property
    def total(self) -> int:
        return self.series.total

    @property
    def dense(self) -> bool:
        return len(self.bars) > 12


def _plural(n: int) -> str:
    return f"{n:,} deletion{'s' if n != 1 else ''}"


def _hour_tick(local: datetime, repeated: bool) -> str:
    tick = f"{local:%H:%M}"
    return f"{tick} {local.tzname()}" if repeated else tick


def picture(
    series: DeletionsSeries,
    *,
    link: Callable[[Bucket], str],
    selected: Callable[[Bucket], bool] | None = None,
) -> Picture:
    """The bars of `series` placed in the SVG's box, each with its link and label."""
    if series.scale == "day":
        title = (
            f"Deletions per day, {series.first_day:%-d %b} to {series.last_day:%-d %b %Y} "
            f"({series.timezone})"
        )
    else:
        title = f"Deletions per hour on {series.day:%A %-d %B %Y} ({series.timezone})"
    pic = Picture(series=series, title=title)
    n = len(series.buckets)
    slot = (pic.right_edge - pic.left) / max(n, 1)
    scale = (pic.baseline - pic.top) / series.peak if series.peak else 0
    hours_seen: dict[str, int] = {}
    for bucket in series.buckets:
        key = f"{bucket.local_start:%H:%M}"
        hours_seen[key] = hours_seen.get(key, 0) + 1
    for i, bucket in enumerate(series.buckets):
        local = bucket.local_start
        if series.scale == "day":
            row_label = f"{local:%A %-d %B}"
            label = f"{row_label}: {_plural(bucket.count)}"
            tick, tick2, minor = f"{local:%a}", f"{local:%-d %b}", False
        else:
            repeated = hours_seen[f"{local:%H:%M}"] > 1
            end = bucket.local_end
            end_text = _hour_tick(end, hours_seen.get(f"{end:%H:%M}", 0) > 1)
            row_label = f"{_hour_tick(local, repeated)}–{end_text}"
            label = f"{_hour_tick(local, repeated)} to {end_text}: {_plural(bucket.count)}"
            # Under the bar the hour alone ("14"); the repeated hour also names its zone.
            tick, tick2 = f"{local:%H}", (local.tzname() or "") if repeated else ""
            minor = local.hour % 3 != 0
        height = bucket.count * scale
        if bucket.count and height < 2:
            height = 2  # a single deletion stays visible next to a mass deletion
        bar = Bar(
            bucket=bucket,
            url=link(bucket),
            label=label,
            tick=tick,
            tick2=tick2,
            minor=minor,
            selected=bool(selected and selected(bucket)),
            slot_x=round(pic.left + i * slot, 2),
            slot_width=round(slot, 2),
            width=round(slot * 0.7, 2),
            x=round(pic.left + i * slot + slot * 0.15, 2),
            height=round(height, 2),
            y=round(pic.baseline - height, 2),
            center=round(pic.left + i * slot + slot / 2, 2),
            row_label=row_label,
        )
        pic.bars.append(bar)
    return pic


def link_value(instant: datetime, account: Account) -> str:
    """A time for a filter's URL, in the account's zone: "2026-03-29T14:00", or
    with its offset when the local time alone is ambiguous (the repeated hour)."""
    local = instant.astimezone(account.tzinfo)
    naive = local.replace(tzinfo=None, fold=0)  # as a person types it, and as it is read back
    if naive.replace(tzinfo=account.tzinfo).astimezone(UTC) == instant.astimezone(UTC):
        return f"{naive:%Y-%m-%dT%H:%M}"
    return local.isoformat(timespec="minutes")


def parse_chart_day(raw: str | None, account: Account) -> tuple[date | None, str | None]:
    """The `chart_day` of a page's query: (day, None), (None, None) when absent,
    or (None, message) when it is not a date up to today in the account's zone."""
    raw = (raw or "").strip()
    if not raw:
        return None, None
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return None, f"“{raw[:40]}” is not a date (YYYY-MM-DD): showing the last seven days."
    if day > local_today(account) or day.year < 2000:
        return None, f"There is nothing to show for {day:%Y-%m-%d}: showing the last seven days."
    return day, None
