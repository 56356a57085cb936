"""When did the data go? Deletions per day and per hour in the account's time zone
(daylight-saving days included), the start of the largest burst (R14), the chart
on the History page and on the request form: one link per bar to the right
filtered URL, without JavaScript, in one query per series."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Plan
from crm_history import chart
from tests.factories import AccountFactory, member
from tests.pages.conftest import deleted_at

ROME = "Europe/Rome"


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _svg_links(html: str) -> list[str]:
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    return [unescape(href) for href in re.findall(r'<a href="([^"]+)"', svg)]


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --- Counts per day and per hour --------------------------------------------------------


def test_a_day_runs_from_local_midnight_to_local_midnight(acme):
    # Rome is UTC+1 in November: 25 November starts at 23:00 UTC on the 24th.
    deleted_at(acme, _utc(2026, 11, 24, 22, 59, 59), 2)  # 24 Nov, 23:59:59 local
    deleted_at(acme, _utc(2026, 11, 24, 23, 0, 0), 3, first_id=10)  # 25 Nov, 00:00 local
    deleted_at(acme, _utc(2026, 11, 25, 22, 59, 59), 1, first_id=20)  # 25 Nov, 23:59:59

    series = chart.deletions_per_day(acme, now=_utc(2026, 11, 25, 12))

    days = {b.local_start.date(): b.count for b in series.buckets}
    assert list(days) == [date(2026, 11, 19) + timedelta(days=i) for i in range(7)]
    assert days[date(2026, 11, 24)] == 2
    assert days[date(2026, 11, 25)] == 4
    assert series.total == 6


def test_the_week_ends_today_in_the_accounts_zone_not_in_utc(acme):
    # 23:30 UTC on the 25th is already the 26th in Rome: the 26th is the last bar.
    series = chart.deletions_per_day(acme, now=_utc(2026, 11, 25, 23, 30))
    assert series.last_day == date(2026, 11, 26)
    assert series.first_day == date(2026, 11, 20)


def test_the_day_the_clocks_go_back_has_25_hours_and_the_repeated_hour_twice(acme):
    # Rome, 25 October 2026: 03:00 CEST becomes 02:00 CET; the day starts 22:00 UTC.
    deleted_at(acme, _utc(2026, 10, 24, 21, 59), 1)  # 24 Oct 23:59 CEST
    deleted_at(acme, _utc(2026, 10, 25, 0, 30), 4, first_id=10)  # 02:30 CEST
    deleted_at(acme, _utc(2026, 10, 25, 1, 30), 7, first_id=20)  # 02:30 CET
    deleted_at(acme, _utc(2026, 10, 25, 22, 59), 2, first_id=30)  # 23:59 CET

    hours = chart.deletions_per_hour(acme, date(2026, 10, 25))

    assert len(hours.buckets) == 25
    starts = [f"{b.local_start:%H:%M %Z}" for b in hours.buckets]
    assert starts[:5] == ["00:00 CEST", "01:00 CEST", "02:00 CEST", "02:00 CET", "03:00 CET"]
    assert [b.count for b in hours.buckets][2:4] == [4, 7]
    assert hours.buckets[-1].count == 2
    assert hours.total == 13

    days = chart.deletions_per_day(acme, now=_utc(2026, 10, 26, 12))
    by_day = {b.local_start.date(): b.count for b in days.buckets}
    assert by_day[date(2026, 10, 24)] == 1
    assert by_day[date(2026, 10, 25)] == 13
    day = next(b for b in days.buckets if b.local_start.date() == date(2026, 10, 25))
    assert day.end - day.start == timedelta(hours=25)


def test_the_day_the_clocks_go_forward_has_23_hours(acme):
    # Rome, 29 March 2026: 02:00 CET becomes 03:00 CEST.
    deleted_at(acme, _utc(2026, 3, 29, 0, 59), 2)  # 01:59 CET
    deleted_at(acme, _utc(2026, 3, 29, 1, 0), 5, first_id=10)  # 03:00 CEST

    hours = chart.deletions_per_hour(acme, date(2026, 3, 29))

    assert len(hours.buckets) == 23
    starts = [f"{b.local_start:%H}" for b in hours.buckets]
    assert "02" not in starts
    counts = dict(zip(starts, (b.count for b in hours.buckets), strict=True))
    assert counts["01"] == 2 and counts["03"] == 5


def test_a_zone_half_an_hour_off_utc_counts_its_own_hours(db):
    account = AccountFactory(name="Pune", timezone="Asia/Kolkata")  # UTC+05:30
    deleted_at(account, _utc(2026, 11, 25, 8, 29), 1)  # 13:59 local
    deleted_at(account, _utc(2026, 11, 25, 8, 30), 2, first_id=10)  # 14:00 local

    hours = chart.deletions_per_hour(account, date(2026, 11, 25))

    counts = {f"{b.local_start:%H}": b.count for b in hours.buckets}
    assert counts["13"] == 1 and counts["14"] == 2


def test_only_the_accounts_deletions_are_counted(acme, globex):
    deleted_at(acme, _utc(2026, 11, 25, 10), 2)
    deleted_at(globex, _utc(2026, 11, 25, 10), 9)
    series = chart.deletions_per_day(acme, now=_utc(2026, 11, 25, 12))
    assert series.total == 2


@pytest.mark.parametrize("day", [date(2026, 10, 25), date(2026, 3, 29), date(2026, 11, 24)])
def test_the_portable_query_counts_what_the_postgresql_one_counts(acme, day):
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=3)
    for i in range(30):
        deleted_at(acme, start + timedelta(minutes=47 * i), i % 4 + 1, first_id=100 * i)
    for bounds, scale in (
        (chart.hour_bounds(acme, day), "hour"),
        (chart.day_bounds(acme, day - timedelta(days=1), 3), "day"),
    ):
        assert chart._counts_portable(acme, bounds) == chart._counts_postgresql(acme, bounds, scale)


def test_each_series_is_one_query_whatever_the_number_of_deletions(acme):
    for i in range(50):
        deleted_at(acme, _utc(2026, 11, 25, 10) - timedelta(hours=3 * i), 3, first_id=10 * i)
    with CaptureQueriesContext(connection) as days:
        chart.deletions_per_day(acme, now=_utc(2026, 11, 25, 12))
    with CaptureQueriesContext(connection) as hours:
        chart.deletions_per_hour(acme, date(2026, 11, 24))
    with CaptureQueriesContext(connection) as burst:
        chart.largest_burst(acme, start=_utc(2026, 11, 18), end=_utc(2026, 11, 26))
    assert (len(days), len(hours), len(burst)) == (1, 1, 1)
    assert "event_action_timeline" not in days[0]["sql"]  # plain SQL: the plan picks it
    assert "GROUP BY" in days[0]["sql"] and "GROUP BY" in hours[0]["sql"]


# --- The largest burst ---------------------------------------------------------------


def test_r14_the_burst_starts_at_the_first_deletion_of_the_densest_ten_minutes(acme):
    deleted_at(acme, _utc(2026, 11, 20, 9, 0), 5)  # a busy morning, spread out
    deleted_at(acme, _utc(2026, 11, 20, 9, 30), 5, first_id=10)
    deleted_at(acme, _utc(2026, 11, 22, 16, 42, 17), 40, first_id=100)  # the mass deletion
    deleted_at(acme, _utc(2026, 11, 22, 16, 47), 30, first_id=200)
    deleted_at(acme, _utc(2026, 11, 22, 16, 58), 20, first_id=300)  # past the ten minutes

    burst = chart.largest_burst(acme, start=_utc(2026, 11, 18), end=_utc(2026, 11, 26))

    assert burst.start == _utc(2026, 11, 22, 16, 42, 17)
    assert burst.last_at == _utc(2026, 11, 22, 16, 47)
    assert burst.count == 70
    assert burst == chart._burst_portable(
        acme, _utc(2026, 11, 18), _utc(2026, 11, 26), chart.BURST_MINUTES
    )


def test_r14_between_two_equal_bursts_the_earlier_is_offered(acme):
    deleted_at(acme, _utc(2026, 11, 21, 8, 0, 5), 12)
    deleted_at(acme, _utc(2026, 11, 23, 8, 0, 5), 12, first_id=100)
    burst = chart.largest_burst(acme, start=_utc(2026, 11, 18), end=_utc(2026, 11, 26))
    assert burst.start == _utc(2026, 11, 21, 8, 0, 5)
    assert burst == chart._burst_portable(
        acme, _utc(2026, 11, 18), _utc(2026, 11, 26), chart.BURST_MINUTES
    )


def test_r14_only_deletions_inside_the_period_make_a_burst(acme, globex):
    deleted_at(acme, _utc(2026, 11, 10, 8, 0), 500)  # before the period
    deleted_at(globex, _utc(2026, 11, 22, 8, 0), 500)  # another account
    deleted_at(acme, _utc(2026, 11, 22, 14, 3), 2)
    burst = chart.largest_burst(acme, start=_utc(2026, 11, 18), end=_utc(2026, 11, 26))
    assert (burst.start, burst.count) == (_utc(2026, 11, 22, 14, 3), 2)


def test_r14_no_deletion_means_no_burst(acme):
    assert chart.largest_burst(acme, start=_utc(2026, 11, 18), end=_utc(2026, 11, 26)) is None
    assert chart._burst_portable(acme, _utc(2026, 11, 18), _utc(2026, 11, 26), 10) is None


# --- The chart on the History page -------------------------------------------------------


def test_the_history_page_draws_seven_days_each_bar_a_link_to_its_deletions(acme, alice, page):
    now = timezone.now()
    today = timezone.localtime(now, acme.tzinfo).date()
    deleted_at(acme, now - timedelta(minutes=5), 3)
    deleted_at(acme, now - timedelta(days=2), 150, first_id=1000)

    response = page(alice).get("/history/")

    assert response.status_code == 200
    html = response.content.decode()
    links = _svg_links(html)
    assert len(links) == 7
    days = [today - timedelta(days=6 - i) for i in range(7)]
    for link, day in zip(links, days, strict=True):
        assert link.startswith("/history/?")
        assert _query(link) == {
            "action": "delete",
            "occurred_after": day.isoformat(),
            "occurred_before": day.isoformat(),
            "chart_day": day.isoformat(),
        }
    two_days_ago = timezone.localtime(now - timedelta(days=2), acme.tzinfo)
    assert f"{two_days_ago:%A %-d %B}: 150 deletions" in html  # the bar's title and list
    assert f"<title>{today:%A %-d %B}: 3 deletions</title>" in html
    assert '<svg viewBox="0 0 560 250" role="group"' in html
    assert 'class="sr-only chart-numbers"' in html
    assert "<script" not in html


def test_a_days_bar_lists_that_days_deletions_and_shows_it_hour_by_hour(acme, alice, page):
    now = timezone.now()
    deleted_at(acme, now - timedelta(days=3), 4)
    deleted_at(acme, now - timedelta(days=1), 6, first_id=100)
    client = page(alice)
    day = timezone.localtime(now - timedelta(days=3), acme.tzinfo).date()
    link = next(
        u for u in _svg_links(client.get("/history/").content.decode()) if day.isoformat() in u
    )

    html = client.get(link).content.decode()

    assert html.count('<tr class="event-delete">') == 4  # the timeline: that day only
    hour_links = _svg_links(html)
    assert len(hour_links) in (23, 24, 25)
    assert "Back to the last seven days" in html
    first = _query(hour_links[0])
    assert first["occurred_after"] == f"{day.isoformat()}T00:00"
    assert first["occurred_before"] == f"{day.isoformat()}T01:00"
    assert first["chart_day"] == day.isoformat()
    assert (
        _query(hour_links[-1])["occurred_before"]
        == (day + timedelta(days=1)).isoformat() + "T00:00"
    )


def test_an_hours_bar_lists_that_hours_deletions_also_the_repeated_hour(acme, alice, page):
    deleted_at(acme, _utc(2026, 10, 25, 0, 30), 4)  # 02:30 CEST
    deleted_at(acme, _utc(2026, 10, 25, 1, 30), 7, first_id=10)  # 02:30 CET
    client = page(alice)

    html = client.get("/history/", {"chart_day": "2026-10-25"}).content.decode()
    links = _svg_links(html)
    assert len(links) == 25
    cest, cet = links[2], links[3]
    assert _query(cest)["occurred_after"] == "2026-10-25T02:00"
    assert _query(cet)["occurred_after"] == "2026-10-25T02:00+01:00"  # the zone says which
    assert _query(cet)["occurred_before"] == "2026-10-25T03:00"

    first = client.get(cest).content.decode()
    second = client.get(cet).content.decode()
    assert first.count('<tr class="event-delete">') == 4
    assert second.count('<tr class="event-delete">') == 7
    assert 'class="bar-link selected" aria-label="02:00 CET to 03:00: 7 deletions"' in second
    assert "<title>02:00 CEST to 02:00 CET: 4 deletions</title>" in second
    assert "<title>01:00 to 02:00 CEST: 0 deletions</title>" in second


def test_a_chart_day_that_is_not_a_date_is_refused_with_the_seven_days_shown(acme, alice, page):
    response = page(alice).get("/history/", {"chart_day": "yesterday"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a date (YYYY-MM-DD)" in html
    assert len(_svg_links(html)) == 7

    future = page(alice).get("/history/", {"chart_day": "2999-01-01"})
    assert future.status_code == 400
    assert len(_svg_links(future.content.decode())) == 7


def test_r3_no_chart_for_a_plan_without_history(db, page):
    free = AccountFactory(name="Freebie", plan=Plan.FREE)
    admin = member(free, "admin", username="fran")
    deleted_at(free, timezone.now() - timedelta(hours=1), 3)
    html = page(admin).get("/history/").content.decode()
    assert "<svg" not in html and "deletions-chart" not in html


# --- The chart on the request form -----------------------------------------------------


def test_r14_the_request_form_offers_the_start_of_the_largest_burst(acme, alice, page):
    now = timezone.now().replace(microsecond=0)
    burst_at = now - timedelta(days=2, hours=3)
    deleted_at(acme, now - timedelta(days=4), 3)
    deleted_at(acme, burst_at, 150, first_id=100)
    deleted_at(acme, burst_at + timedelta(minutes=4), 20, first_id=1000)

    response = page(alice).get("/restore/new/")

    assert response.status_code == 200
    html = response.content.decode()
    local = timezone.localtime(burst_at, acme.tzinfo)
    typed = f"{local:%Y-%m-%dT%H:%M}"
    assert html.count(f'name="deleted_at" value="{typed}"') == 2  # both steps pre-filled
    burst = html.split('id="burst"', 1)[1].split("</p>", 1)[0]
    assert f"began on {local:%Y-%m-%d} at {local:%H:%M}" in burst
    assert "170 records deleted within 10 minutes" in burst
    assert "change it if the data went at another time" in burst
    assert len(_svg_links(html)) == 7


def test_r14_a_time_the_administrator_typed_is_kept_not_replaced_by_the_burst(acme, alice, page):
    now = timezone.now()
    deleted_at(acme, now - timedelta(days=2), 150)
    typed = f"{timezone.localtime(now - timedelta(hours=5), acme.tzinfo):%Y-%m-%dT%H:%M}"

    html = page(alice).get("/restore/new/", {"deleted_at": typed}).content.decode()

    assert html.count(f'name="deleted_at" value="{typed}"') == 2
    assert "Use that time" in html


def test_the_forms_chart_opens_a_day_and_an_hours_bar_checks_that_time(acme, alice, page):
    now = timezone.now()
    deleted_at(acme, now - timedelta(days=1), 25)
    client = page(alice)
    day = timezone.localtime(now - timedelta(days=1), acme.tzinfo).date()
    day_link = next(
        u for u in _svg_links(client.get("/restore/new/").content.decode()) if day.isoformat() in u
    )
    assert _query(day_link) == {"chart_day": day.isoformat()}

    hourly = client.get(day_link).content.decode()
    hour_links = _svg_links(hourly)
    assert len(hour_links) in (23, 24, 25)
    two_pm = next(u for u in hour_links if "T14%3A00" in u)
    assert _query(two_pm) == {
        "deleted_at": f"{day.isoformat()}T14:00",
        "chart_day": day.isoformat(),
    }

    checked = client.get(two_pm).content.decode()
    assert 'id="around-count"' in checked  # step one ran for that hour
    assert f'name="deleted_at" value="{day.isoformat()}T14:00"' in checked
    assert 'class="bar-link selected"' in checked


def test_r14_without_deletions_the_form_says_so_and_fills_nothing_in(acme, alice, page):
    html = page(alice).get("/restore/new/").content.decode()
    assert 'id="no-burst"' in html
    assert 'name="deleted_at" value=' not in html
    assert len(_svg_links(html)) == 7


def test_r7_r14_a_burst_older_than_the_restore_window_is_not_offered(acme, alice, page):
    deleted_at(acme, timezone.now() - timedelta(days=7, hours=1), 500)
    deleted_at(acme, timezone.now() - timedelta(days=3), 2, first_id=1000)

    html = page(alice).get("/restore/new/").content.decode()

    offered = re.search(r'name="deleted_at" value="([^"]+)"', html).group(1)
    local = timezone.localtime(timezone.now() - timedelta(days=3), acme.tzinfo)
    assert offered == f"{local:%Y-%m-%dT%H:%M}"
    assert "2 records deleted within 10 minutes" in html


def test_r14_the_offered_time_files_as_it_is(acme, alice, page):
    from restore_requests.models import RestoreRequest

    burst_at = timezone.now().replace(microsecond=0) - timedelta(days=1, minutes=7)
    deleted_at(acme, burst_at, 60)
    client = page(alice)
    html = client.get("/restore/new/").content.decode()
    offered = re.search(r'name="deleted_at" value="([^"]+)"', html).group(1)

    response = client.post(
        "/restore/new/", {"deleted_at": offered, "option": "csv_export", "note": "Gone"}
    )

    assert response.status_code == 302
    filed = RestoreRequest.objects.get(account=acme)
    assert filed.deleted_at == burst_at.replace(second=0)  # the minute it began
