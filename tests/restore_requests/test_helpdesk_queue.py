"""The helpdesk's queue as staff use it (issues 6 and 9): filtered by how long a
request has waited (page and API, one rule), in pages so no request drops off
the end, sorted by age, plan or deletion time from the column headers; every
time in the request's account's time zone, named. The administrator's list and
the helpdesk's reports come in pages too."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import formats, timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Plan
from restore_requests.models import DeletionReport, RestoreRequest, Status
from tests.factories import AccountFactory, member

from .conftest import file_request


def _local(account, value) -> str:
    return formats.date_format(timezone.localtime(value, account.tzinfo), "DATETIME_FORMAT")


def _waiting(account, admin, *ages: timedelta, deleted_ago=timedelta(hours=1)) -> list:
    """Open requests of `account` filed `ages` ago, made as rows (fast, many)."""
    now = timezone.now()
    return RestoreRequest.objects.bulk_create(
        [
            RestoreRequest(
                account=account,
                filed_by=admin,
                filed_at=now - age,
                deleted_at=now - age - deleted_ago,
                option="csv_export",
                status=Status.SUBMITTED,
            )
            for age in ages
        ]
    )


def _ids_shown(html: str) -> list[int]:
    """The requests of the queue's table, in the order the page shows them."""
    return [int(pk) for pk in re.findall(r'href="/helpdesk/requests/(\d+)/">#\d+<', html)]


# --- The age filter ----------------------------------------------------------------


@pytest.fixture
def ages(acme, alice):
    """Requests waiting 30 minutes, 2 hours, 2 days and 4 days."""
    fresh, hours, days, oldest = _waiting(
        acme,
        alice,
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(days=2),
        timedelta(days=4),
    )
    return fresh, hours, days, oldest


def test_the_queue_page_filters_by_how_long_a_request_has_waited(page, helen, ages):
    fresh, hours, days, oldest = ages
    console = page(helen)
    every = console.get("/helpdesk/").content.decode()
    assert _ids_shown(every) == [oldest.pk, days.pk, hours.pk, fresh.pk]
    for older_than, shown in (
        ("1", [oldest, days, hours]),
        ("24", [oldest, days]),
        ("72", [oldest]),
    ):
        html = console.get("/helpdesk/", {"older_than": older_than}).content.decode()
        assert _ids_shown(html) == [r.pk for r in shown], older_than
        assert f'<option value="{older_than}" selected>' in html
    menu = re.search(r'<select name="older_than".*?</select>', every, re.S).group(0)
    assert re.findall(r">([^<]+)</option>", menu) == [
        "Any time",
        "over 1 hour",
        "over 1 day",
        "over 3 days",
    ]


def test_an_age_typed_in_the_address_is_kept_and_an_empty_result_says_so(page, helen, ages):
    html = page(helen).get("/helpdesk/", {"older_than": "60"}).content.decode()
    assert _ids_shown(html) == [ages[3].pk]  # only the one waiting 4 days
    assert '<option value="60" selected>over 60 hours</option>' in html
    none = page(helen).get("/helpdesk/", {"older_than": "120"}).content.decode()
    assert "No requests waiting with these filters." in none


def test_a_bad_age_on_the_page_is_shown_beside_the_filter_and_not_applied(page, helen, ages):
    for bad in ("soon", "0", "-3", "1.5", "999999999999"):
        response = page(helen).get("/helpdesk/", {"older_than": bad})
        html = response.content.decode()
        assert response.status_code == 200
        error = re.search(r'<p class="error" id="f-age-error">([^<]+)</p>', html)
        assert error, bad
        assert f"“{bad}” is not an age in hours." in error.group(1)
        assert 'aria-describedby="f-age-error"' in html
        assert len(_ids_shown(html)) == 4  # every open request, as without the filter


def test_the_queue_api_filters_by_age_in_hours(api, helen, ages):
    fresh, hours, days, oldest = ages
    client = api(helen)
    url = "/api/v1/helpdesk/restore-requests/"
    assert [r["id"] for r in client.get(url).json()["results"]] == [
        oldest.pk,
        days.pk,
        hours.pk,
        fresh.pk,
    ]
    body = client.get(url, {"older_than": "24"}).json()
    assert [r["id"] for r in body["results"]] == [oldest.pk, days.pk]
    body = client.get(url, {"older_than": "3", "status": "submitted"}).json()
    assert [r["id"] for r in body["results"]] == [oldest.pk, days.pk]


@pytest.mark.parametrize("bad", ["soon", "0", "-3", "1.5", "9000", "١٢"])
def test_the_queue_api_refuses_an_age_that_is_not_whole_hours(api, helen, bad):
    response = api(helen).get("/api/v1/helpdesk/restore-requests/", {"older_than": bad})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == f"“{bad}” is not an age in hours."
    assert body["fields"] == {"older_than": ["Give a whole number of hours from 1 to 8784."]}


def test_the_schema_describes_the_age_filter():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/helpdesk/restore-requests/"]["get"]["parameters"]
    older_than = next(p for p in parameters if p["name"] == "older_than")
    assert older_than["in"] == "query"
    assert older_than["schema"]["type"] == "integer"
    assert "hours" in older_than["description"]


# --- Pages and sorting --------------------------------------------------------------


def test_the_queue_comes_in_pages_so_the_newest_requests_are_reachable(page, acme, alice, helen):
    rows = _waiting(acme, alice, *(timedelta(minutes=10 + i) for i in range(120, 0, -1)))
    oldest_first = [r.pk for r in rows]  # 130 minutes ago … 11 minutes ago
    console = page(helen)
    first = console.get("/helpdesk/").content.decode()
    assert _ids_shown(first) == oldest_first[:50]
    assert "120 requests, 50 a page" in first
    assert "Page 1 of 3" in first
    assert 'href="?page=2" rel="next">Next →</a>' in first
    assert 'rel="prev"' not in first
    last = console.get("/helpdesk/", {"page": "3"}).content.decode()
    assert _ids_shown(last) == oldest_first[100:]  # the newest 20, not dropped
    assert 'href="?page=2" rel="prev">← Previous</a>' in last
    assert "Next →" not in last
    # Not a page number: the first page; past the end: the last.
    assert _ids_shown(console.get("/helpdesk/", {"page": "x"}).content.decode())[0] == rows[0].pk
    assert _ids_shown(console.get("/helpdesk/", {"page": "99"}).content.decode())[-1] == rows[-1].pk


def test_page_links_keep_the_filters_and_the_sort(page, acme, alice, helen):
    _waiting(acme, alice, *(timedelta(hours=2, minutes=i) for i in range(55)))
    html = page(helen).get("/helpdesk/", {"older_than": "1", "sort": "age"}).content.decode()
    assert 'href="?older_than=1&amp;sort=age&amp;page=2" rel="next"' in html
    # The sort links keep the filters and go back to the first page.
    paged = page(helen).get("/helpdesk/", {"older_than": "1", "page": "2"}).content.decode()
    assert 'href="?older_than=1&amp;sort=plan">Account and plan</a>' in paged


def _header(html: str, label: str) -> str:
    return re.search(rf'<th scope="col"[^>]*>\s*<a href="[^"]*">{label}</a>', html).group(0)


def test_the_queue_sorts_by_age_oldest_first_by_default_and_newest_first_on_a_click(
    page, acme, alice, helen
):
    older, newer = _waiting(acme, alice, timedelta(hours=5), timedelta(hours=1))
    console = page(helen)
    default = console.get("/helpdesk/").content.decode()
    assert _ids_shown(default) == [older.pk, newer.pk]
    waiting = _header(default, "Waiting")
    assert 'aria-sort="descending"' in waiting  # the longest wait first
    assert 'href="?sort=age"' in waiting
    assert 'aria-sort="none"' in _header(default, "Data deleted")
    newest = console.get("/helpdesk/", {"sort": "age"}).content.decode()
    assert _ids_shown(newest) == [newer.pk, older.pk]
    assert 'aria-sort="ascending"' in _header(newest, "Waiting")
    assert 'href="?sort=-age"' in _header(newest, "Waiting")
    assert "newest first" in newest


def test_the_queue_sorts_by_plan_in_the_plans_order(page, acme, alice, helen):
    small = AccountFactory(name="Small", plan=Plan.BASIC)
    big = AccountFactory(name="Big", plan=Plan.ENTERPRISE)
    (pro,) = _waiting(acme, alice, timedelta(hours=3))  # Professional
    (basic,) = _waiting(small, member(small, "admin"), timedelta(hours=1))
    (enterprise,) = _waiting(big, member(big, "admin"), timedelta(hours=2))
    console = page(helen)
    by_plan = console.get("/helpdesk/", {"sort": "plan"}).content.decode()
    assert _ids_shown(by_plan) == [basic.pk, pro.pk, enterprise.pk]
    assert 'aria-sort="ascending"' in _header(by_plan, "Account and plan")
    reverse = console.get("/helpdesk/", {"sort": "-plan"}).content.decode()
    assert _ids_shown(reverse) == [enterprise.pk, pro.pk, basic.pk]
    assert 'aria-sort="descending"' in _header(reverse, "Account and plan")


def test_the_queue_sorts_by_deletion_time(page, acme, alice, helen):
    # Filed in one order, deleted in another.
    (a,) = _waiting(acme, alice, timedelta(hours=5), deleted_ago=timedelta(minutes=10))
    (b,) = _waiting(acme, alice, timedelta(hours=2), deleted_ago=timedelta(hours=10))
    console = page(helen)
    earliest = console.get("/helpdesk/", {"sort": "deleted"}).content.decode()
    assert _ids_shown(earliest) == [b.pk, a.pk]  # b's data went 12 hours ago, a's 5h10 ago
    latest = console.get("/helpdesk/", {"sort": "-deleted"}).content.decode()
    assert _ids_shown(latest) == [a.pk, b.pk]
    assert 'aria-sort="descending"' in _header(latest, "Data deleted")


def test_an_unknown_sort_says_so_and_shows_the_oldest_first(page, acme, alice, helen):
    older, newer = _waiting(acme, alice, timedelta(hours=5), timedelta(hours=1))
    html = page(helen).get("/helpdesk/", {"sort": "password"}).content.decode()
    assert "The queue cannot be sorted by “password”; oldest first." in html
    assert _ids_shown(html) == [older.pk, newer.pk]


# --- Times in the account's time zone -------------------------------------------------


def test_a_tokyo_request_shows_tokyo_time_on_the_helpdesk_pages(page, helen):
    tokyo = AccountFactory(name="Kaisha", plan=Plan.PROFESSIONAL, timezone="Asia/Tokyo")
    request = file_request(tokyo, member(tokyo, "admin"), ago=timedelta(hours=3))
    tokyo_time = _local(tokyo, request.deleted_at)
    utc_time = formats.date_format(request.deleted_at, "DATETIME_FORMAT")
    assert tokyo_time != utc_time  # Tokyo is nine hours ahead

    console = page(helen)
    detail = console.get(f"/helpdesk/requests/{request.pk}/").content.decode()
    assert f"<dt>Data deleted</dt><dd>{tokyo_time} Asia/Tokyo</dd>" in detail
    assert utc_time not in detail
    assert "Times are shown in Asia/Tokyo, the account's time zone." in detail

    queue = console.get("/helpdesk/").content.decode()
    assert f'{tokyo_time}</time> <span class="muted">Asia/Tokyo</span>' in queue
    assert utc_time not in queue


def test_the_queue_shows_each_row_in_its_own_accounts_zone(page, acme, alice, helen):
    tokyo = AccountFactory(name="Kaisha", plan=Plan.PROFESSIONAL, timezone="Asia/Tokyo")
    (theirs,) = _waiting(tokyo, member(tokyo, "admin"), timedelta(hours=2))
    (ours,) = _waiting(acme, alice, timedelta(hours=1))
    html = page(helen).get("/helpdesk/").content.decode()
    assert f'{_local(tokyo, theirs.deleted_at)}</time> <span class="muted">Asia/Tokyo' in html
    assert f'{_local(acme, ours.deleted_at)}</time> <span class="muted">Europe/Rome' in html


def test_reports_and_account_pages_show_the_accounts_time(page, helen):
    tokyo = AccountFactory(name="Kaisha", plan=Plan.FREE, timezone="Asia/Tokyo")
    admin = member(tokyo, "admin")
    report = DeletionReport.objects.create(
        account=tokyo,
        reported_by=admin,
        person="A former intern",
        deleted_at=timezone.now() - timedelta(hours=4),
        description="Deleted the leads",
    )
    console = page(helen)
    reports = console.get("/helpdesk/reports/").content.decode()
    assert f"around {_local(tokyo, report.deleted_at)} Asia/Tokyo." in reports
    account = console.get(f"/helpdesk/accounts/{tokyo.pk}/").content.decode()
    assert f"#{report.pk} {_local(tokyo, report.reported_at)} ·" in account
    assert "Times are shown in Asia/Tokyo" in account


# --- The other long lists -------------------------------------------------------------


def _reports(account, admin, n: int) -> list[DeletionReport]:
    now = timezone.now()
    return DeletionReport.objects.bulk_create(
        [
            DeletionReport(
                account=account,
                reported_by=admin,
                person=f"Person {i}",
                deleted_at=now - timedelta(hours=1),
                reported_at=now - timedelta(minutes=i),
                description="Gone",
            )
            for i in range(n)
        ]
    )


def test_the_helpdesk_reports_come_in_pages(page, acme, alice, helen):
    made = _reports(acme, alice, 60)  # made[0] is the newest
    console = page(helen)
    first = console.get("/helpdesk/reports/").content.decode()
    assert "60 reports, oldest first, 50 a page" in first
    assert f'id="rep-{made[-1].pk}"' in first and f'id="rep-{made[0].pk}"' not in first
    second = console.get("/helpdesk/reports/", {"state": "open", "page": "2"}).content.decode()
    assert f'id="rep-{made[0].pk}"' in second
    assert 'href="?state=open&amp;page=1" rel="prev"' in second
    # A note refused on page 2 shows beside that report, still on page 2.
    assert f'action="/helpdesk/reports/{made[0].pk}/close/?state=open&amp;page=2"' in second
    refused = console.post(f"/helpdesk/reports/{made[0].pk}/close/?state=open&page=2", {"note": ""})
    assert refused.status_code == 400
    assert f'id="close-{made[0].pk}-error"' in refused.content.decode()


def test_the_administrators_list_shows_every_request_and_report_in_pages(page, acme, alice):
    requests = _waiting(acme, alice, *(timedelta(minutes=i) for i in range(1, 56)))
    reports = _reports(acme, alice, 25)
    client = page(alice)
    first = client.get("/restore/").content.decode()
    assert "55 requests, newest first, 50 a page" in first
    assert f'href="/restore/{requests[0].pk}/"' in first  # the newest
    assert f'href="/restore/{requests[-1].pk}/"' not in first
    assert 'href="?page=2" rel="next"' in first
    assert "25 reports, newest first, 20 a page" in first
    assert 'href="?reports_page=2#reports" rel="next"' in first
    second = client.get("/restore/", {"page": "2", "reports_page": "2"}).content.decode()
    assert f'href="/restore/{requests[-1].pk}/"' in second
    assert f"#{reports[-1].pk}: Person 24," in second
    assert 'href="?reports_page=2&amp;page=1" rel="prev"' in second
