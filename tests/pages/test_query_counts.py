"""Pages stay fast as data grows: every list page and main page runs the same
number of queries with 10 rows and with 1,000 (no query per row: no N+1).

Each case names who opens the page, its URL, and how to add rows of what the
page lists. The page is opened once to warm the session, then measured with
10 rows, then again after 990 more.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.actors import Actor, Source
from accounts.models import Plan
from alerts.models import Alert
from backups.models import Snapshot
from crm_history.models import Action
from crm_history.recorder import EventDraft, new_operation, record_events
from restore_requests.models import (
    Candidate,
    DeletionReport,
    Message,
    Option,
    RestoreRequest,
    Status,
    Transition,
)
from tests.factories import AccountFactory, member
from tests.pages import bulk

FEW, MANY = 10, 1000


def _normalised(sql: str) -> str:
    sql = re.sub(r'"(_django_curs_|s)\d+\w*"', "NAME", sql)  # cursors, savepoints
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "N", sql)
    return re.sub(r"\(\s*(N|\?)(\s*,\s*(N|\?))*\s*\)", "(…)", sql)


def _explain(few, many) -> str:
    a = Counter(_normalised(q["sql"]) for q in few.captured_queries)
    b = Counter(_normalised(q["sql"]) for q in many.captured_queries)
    more = b - a
    fewer = a - b
    lines = [f"{len(few)} queries with {FEW} rows, {len(many)} with {MANY}."]
    lines += [f"  +{n} × {sql[:300]}" for sql, n in more.most_common(8)]
    lines += [f"  -{n} × {sql[:300]}" for sql, n in fewer.most_common(8)]
    return "\n".join(lines)


def _measure(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return ctx


def assert_flat(client, url: str, grow) -> None:
    client.get(url)  # warm: the session, the caches of the first request
    grow(FEW)
    few = _measure(client, url)
    grow(MANY - FEW)
    many = _measure(client, url)
    assert len(many) == len(few), _explain(few, many)


@dataclass
class Cast:
    acme: object
    alice: object
    bob: object
    helen: object
    page: object

    def client(self, user):
        return self.page(user)

    @property
    def actor(self) -> Actor:
        return Actor.for_user(self.alice, Source.PAGE)


@pytest.fixture
def cast(acme, alice, bob, helen, page) -> Cast:
    return Cast(acme, alice, bob, helen, page)


# --- CRM ---------------------------------------------------------------------------------

CRM_LISTS = [
    ("companies", "company"),
    ("contacts", "contact"),
    ("leads", "lead"),
    ("deals", "deal"),
    ("products", "product"),
    ("custom-fields", "custom_field"),
]


@pytest.mark.parametrize(("slug", "entity_type"), CRM_LISTS)
def test_a_crm_list_costs_the_same_queries_at_10_and_1000_records(cast, slug, entity_type):
    assert_flat(
        cast.client(cast.bob),
        f"/crm/{slug}/",
        lambda n: bulk.RECORDS[entity_type](cast.acme, n, owner=cast.alice),
    )


def test_r5_a_filtered_list_counting_hidden_records_costs_the_same(cast):
    assert_flat(
        cast.client(cast.bob),
        "/crm/contacts/?q=Rossi&sort=company__title",
        lambda n: bulk.contacts(cast.acme, n, owner=cast.alice),
    )


def test_a_crm_detail_with_many_related_records_and_events_costs_the_same(cast):
    company = bulk.companies(cast.acme, 1, owner=cast.alice)[0]

    def grow(n):
        bulk.contacts(cast.acme, n, owner=cast.alice, company=company)
        bulk.deals(cast.acme, n, owner=cast.alice, company=company)
        with_events(cast.acme, "company", company.pk, n)

    assert_flat(cast.client(cast.bob), f"/crm/companies/{company.pk}/", grow)


@pytest.mark.parametrize("url", ["/crm/deals/new/", "/crm/contacts/new/"])
def test_a_crm_form_costs_the_same_whatever_the_number_of_companies(cast, url):
    def grow(n):
        bulk.companies(cast.acme, n, owner=cast.alice)
        bulk.contacts(cast.acme, n, owner=cast.alice)

    assert_flat(cast.client(cast.bob), url, grow)


def test_the_import_page_costs_the_same(cast):
    assert_flat(
        cast.client(cast.alice),
        "/crm/import/",
        lambda n: bulk.contacts(cast.acme, n, owner=cast.alice),
    )


def with_events(account, entity_type: str, entity_id: int, n: int) -> None:
    from django.db import transaction

    with transaction.atomic():
        record_events(
            account_id=account.pk,
            actor=Actor.system(source=Source.COMMAND),
            operation=new_operation(),
            drafts=[
                EventDraft(
                    entity_type=entity_type,
                    entity_id=entity_id,
                    action=Action.UPDATE,
                    title="Record",
                    changes={"title": ["A", "B"]},
                )
                for _ in range(n)
            ],
        )


# --- History and the recycle bin ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/history/", "/history/?action=delete", "/history/?chart_day={today}&entity_type=contact"],
)
def test_the_history_costs_the_same_at_10_and_1000_events(cast, url):
    today = timezone.localtime(timezone.now(), cast.acme.tzinfo).date().isoformat()
    assert_flat(
        cast.client(cast.bob),
        url.format(today=today),
        lambda n: bulk.history(cast.acme, n, actor=cast.actor),
    )


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_the_recycle_bin_costs_the_same_at_10_and_1000_deleted_records(cast, user):
    assert_flat(
        cast.client(getattr(cast, user)),
        "/recycle-bin/",
        lambda n: bulk.deleted(cast.acme, n, actor=cast.actor),
    )


# --- Restore data, backups, plan -----------------------------------------------------------


def snapshots(account, n: int, *, kind=Snapshot.Kind.SAFETY, days: float = 6.5) -> list:
    return Snapshot.objects.bulk_create(
        [
            Snapshot(
                account=account,
                kind=kind,
                status=Snapshot.Status.COMPLETE,
                day=at.date(),
                taken_at=at,
                started_at=at,
                finished_at=at,
                created_at=at,
                row_counts={"company": 1, "contact": 4, "lead": 0, "deal": 0},
                size_bytes=1234,
                storage_path=f"snapshots/{account.pk}/none/",
            )
            for at in bulk.spread(n, days=days)
        ]
    )


def requests(account, n: int, *, by, status=Status.SUBMITTED, snapshot=None) -> list:
    statuses = [status] if status else list(Status.values)
    return RestoreRequest.objects.bulk_create(
        [
            RestoreRequest(
                account=account,
                filed_by=by,
                deleted_at=at,
                option=Option.CSV_EXPORT,
                status=statuses[i % len(statuses)],
                chosen_snapshot=snapshot,
            )
            for i, at in enumerate(bulk.spread(n, days=5))
        ]
    )


def reports(account, n: int, *, by) -> None:
    DeletionReport.objects.bulk_create(
        [
            DeletionReport(
                account=account,
                reported_by=by,
                deleted_at=at,
                person="Someone",
                description="Contacts",
            )
            for at in bulk.spread(n)
        ]
    )


def thread(request, n: int, *, admin, helpdesk) -> None:
    Message.objects.bulk_create(
        [
            Message(
                request=request,
                author=helpdesk if i % 2 else admin,
                author_name="helen" if i % 2 else "alice",
                from_helpdesk=bool(i % 2),
                body="Hello",
            )
            for i in range(n)
        ]
    )
    Transition.objects.bulk_create(
        [
            Transition(
                request=request,
                from_status=Status.SUBMITTED,
                to_status=Status.PROPOSED,
                actor=helpdesk,
                actor_name="helen",
            )
            for _ in range(n)
        ]
    )


def test_the_restore_data_list_costs_the_same(cast):
    snapshot = snapshots(cast.acme, 1)[0]

    def grow(n):
        requests(cast.acme, n, by=cast.alice, status=None, snapshot=snapshot)
        reports(cast.acme, n, by=cast.alice)

    assert_flat(cast.client(cast.alice), "/restore/", grow)


def test_a_request_page_costs_the_same_with_a_long_thread_and_many_candidates(cast):
    request = requests(cast.acme, 1, by=cast.alice, status=Status.PROPOSED)[0]

    def grow(n):
        thread(request, n, admin=cast.alice, helpdesk=cast.helen)
        Candidate.objects.bulk_create(
            [
                Candidate(request=request, snapshot=s, proposed_by=cast.helen)
                for s in snapshots(cast.acme, max(1, n // 100))
            ]
        )

    assert_flat(cast.client(cast.alice), f"/restore/{request.pk}/", grow)


def test_the_new_request_form_costs_the_same_at_10_and_1000_deletions(cast):
    def grow(n):
        for at in bulk.spread(2, days=5):
            bulk.history(cast.acme, n // 2, at=at)

    assert_flat(cast.client(cast.alice), "/restore/new/", grow)


def test_the_backups_page_costs_the_same(cast):
    assert_flat(cast.client(cast.alice), "/backups/", lambda n: snapshots(cast.acme, n))


def test_the_plan_page_costs_the_same(cast):
    assert_flat(
        cast.client(cast.alice),
        "/plan/",
        lambda n: bulk.plan_changes(cast.acme, n, user=cast.alice),
    )


# --- Helpdesk --------------------------------------------------------------------------------


def test_the_helpdesk_queue_costs_the_same_at_10_and_1000_requests(cast):
    def grow(n):
        # Open requests of many accounts, each with a backup before the deletion and
        # deletions around it (the queue shows the nearest backup and what it holds).
        for account in bulk.accounts(max(1, n // 10)):
            admin = member(account, "admin")
            snapshots(account, 1, days=6, kind=Snapshot.Kind.DAILY)
            bulk.history(account, 5, at=timezone.now() - timedelta(days=2))
            requests(account, 10, by=admin)

    assert_flat(cast.client(cast.helen), "/helpdesk/", grow)


def test_a_helpdesk_request_page_costs_the_same(cast):
    request = requests(cast.acme, 1, by=cast.alice)[0]

    def grow(n):
        thread(request, n, admin=cast.alice, helpdesk=cast.helen)
        snapshots(cast.acme, max(1, n // 50))
        bulk.history(cast.acme, n, at=request.deleted_at - timedelta(minutes=5))

    assert_flat(cast.client(cast.helen), f"/helpdesk/requests/{request.pk}/", grow)


def test_the_helpdesk_reports_cost_the_same(cast):
    def grow(n):
        for account in bulk.accounts(max(1, n // 10)):
            reports(account, 10, by=member(account, "admin"))

    assert_flat(cast.client(cast.helen), "/helpdesk/reports/", grow)


def test_the_helpdesk_accounts_cost_the_same(cast):
    assert_flat(cast.client(cast.helen), "/helpdesk/accounts/", bulk.accounts)


def test_a_helpdesk_account_page_costs_the_same(cast):
    def grow(n):
        snapshots(cast.acme, n)
        requests(cast.acme, n, by=cast.alice, status=None)
        reports(cast.acme, n, by=cast.alice)

    assert_flat(cast.client(cast.helen), f"/helpdesk/accounts/{cast.acme.pk}/", grow)


# --- Alerts ----------------------------------------------------------------------------------


def alerts(account, n: int, *, actor_user) -> list[Alert]:
    now = timezone.now()
    return Alert.objects.bulk_create(
        [
            Alert(
                account=account,
                kind=Alert.Kind.ACTOR if i % 2 else Alert.Kind.SHARE,
                state=Alert.State.OPEN if i % 3 else Alert.State.DISMISSED,
                burst_key=f"user:{actor_user.pk}" if i % 2 else "contact",
                actor_id=actor_user.pk,
                actor_name=actor_user.username,
                actors=[actor_user.username],
                counts={"contact": 150, "company": 3},
                paths={"page": 153},
                started_at=now - timedelta(minutes=30),
                last_at=now - timedelta(minutes=20),
            )
            for i in range(n)
        ]
    )


def test_the_alerts_list_costs_the_same(cast):
    assert_flat(
        cast.client(cast.alice), "/alerts/", lambda n: alerts(cast.acme, n, actor_user=cast.bob)
    )


def test_an_alert_page_costs_the_same_whatever_the_size_of_its_burst(cast):
    started = timezone.now() - timedelta(minutes=40)
    alert = Alert.objects.create(
        account=cast.acme,
        kind=Alert.Kind.ACTOR,
        burst_key=f"user:{cast.bob.pk}",
        actor_id=cast.bob.pk,
        actor_name="bob",
        actors=["bob"],
        counts={"contact": 1},
        started_at=started,
        last_at=timezone.now(),
    )

    def grow(n):
        bulk.deleted(cast.acme, n, actor=Actor.for_user(cast.bob, Source.PAGE))
        Alert.objects.filter(pk=alert.pk).update(last_at=timezone.now())

    assert_flat(cast.client(cast.alice), f"/alerts/{alert.pk}/", grow)


def test_a_plan_without_history_shows_its_upgrade_page_at_the_same_cost(db, page):
    free = AccountFactory(name="Freebie", plan=Plan.FREE)
    admin = member(free, "admin", username="fran")
    assert_flat(page(admin), "/history/", lambda n: bulk.history(free, n))
