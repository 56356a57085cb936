"""Reads for restore requests: the account's requests, the helpdesk queue (its
filters on state, plan and age and its sort orders, for the page and the API), what
the History holds around a deletion time (R8), the snapshots nearest to it
(R15), and the option the form suggests (domain.md, "Our decision")."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Account, Plan
from crm_history.models import Action, Event
from recovery_portal.errors import Invalid

from .models import DeletionReport, Option, RestoreRequest
from .states import OPEN

# "Around that time": the History's deletions within this window either side
# of the time the administrator gives.
AROUND = timedelta(hours=12)


def requests_of(account: Account) -> QuerySet:
    return RestoreRequest.objects.filter(account=account).select_related(
        "filed_by", "chosen_snapshot"
    )


def request_of(account: Account, request_id: int) -> RestoreRequest | None:
    return requests_of(account).filter(pk=request_id).first()


def reports_of(account: Account) -> QuerySet:
    """R11: the account's deletion reports, newest first."""
    return DeletionReport.objects.filter(account=account).select_related("reported_by", "closed_by")


# The helpdesk queue's age filter: requests waiting longer than N hours (issue 6:
# "filters on status, age and plan"). The page offers these buckets; the API
# takes any whole number of hours up to a year.
QUEUE_AGES = {1: "over 1 hour", 24: "over 1 day", 72: "over 3 days"}
MAX_AGE_HOURS = 24 * 366

# The queue's sort orders (the page's column headers), "-" for the reverse. The age
# is how long a request has waited: "-age" (the default) is the oldest first.
QUEUE_SORTS = ("age", "plan", "deleted")
QUEUE_DEFAULT_SORT = "-age"


def parse_older_than(value: str | None) -> int | None:
    """The age filter's hours from a query string: None for "any age"; anything
    but a whole number of hours from 1 to a year is refused (400 `invalid`)."""
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_AGE_HOURS:
        raise Invalid(
            f"“{value}” is not an age in hours.",
            fields={"older_than": [f"Give a whole number of hours from 1 to {MAX_AGE_HOURS}."]},
        )
    return int(value)


def parse_queue_sort(value: str | None) -> str | None:
    """The queue's sort from a query string, or None when it is not one we offer."""
    value = value or QUEUE_DEFAULT_SORT
    return value if value.lstrip("-") in QUEUE_SORTS else None


def helpdesk_queue(
    *,
    status: str | None = None,
    plan: str | None = None,
    older_than: int | None = None,
    sort: str = QUEUE_DEFAULT_SORT,
    now: datetime | None = None,
) -> QuerySet:
    """Requests for the helpdesk, oldest first unless `sort` says otherwise; open
    ones unless a status is asked; waiting more than `older_than` hours if given."""
    qs = RestoreRequest.objects.select_related("account", "filed_by", "chosen_snapshot")
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN)
    if plan:
        qs = qs.filter(account__plan=plan)
    if older_than:
        qs = qs.filter(filed_at__lt=(now or timezone.now()) - timedelta(hours=older_than))
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "plan":  # by the plans' own order (Free … Enterprise), not their codes
        rank = Case(
            *(When(account__plan=p, then=Value(i)) for i, p in enumerate(Plan.values)),
            default=Value(len(Plan.values)),
            output_field=IntegerField(),
        )
        qs = qs.annotate(plan_rank=rank)
        return qs.order_by("-plan_rank" if descending else "plan_rank", "filed_at", "id")
    if key == "deleted":
        return qs.order_by(*(("-deleted_at", "-id") if descending else ("deleted_at", "id")))
    # The age: the longest wait ("-age") is the earliest filing.
    if descending:
        return qs.order_by("filed_at", "id")  # Uses index: request_queue
    return qs.order_by("-filed_at", "-id")


def reports_queue(*, state: str | None = None) -> QuerySet:
    qs = DeletionReport.objects.select_related("account", "reported_by", "closed_by")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("state", "reported_at", "id")


@dataclass
class DeletionsAround:
    start: datetime
    end: datetime
    total: int
    by_type: dict[str, int]
    ids_by_type: dict[str, list[int]] = field(default_factory=dict)
    first_at: datetime | None = None
    last_at: datetime | None = None

    @property
    def counted(self) -> list[str]:
        """ "12 contacts", "1 company": the counts per entity type, for a sentence."""
        from crm.registry import entity

        out = []
        for entity_type, n in self.by_type.items():
            try:
                et = entity(entity_type)
                out.append(f"{n} {et.label if n == 1 else et.label_plural}")
            except KeyError:  # a type the registry no longer knows
                out.append(f"{n} {entity_type}")
        return out

    @property
    def few(self) -> bool:
        """R8: few enough that a restore is impractical; re-enter them or use the bin."""
        return self.total < settings.RESTORE_FEW_RECORDS_THRESHOLD


def deletions_around(
    account: Account, at: datetime, *, window: timedelta = AROUND
) -> DeletionsAround:
    """R8: how many records the History shows deleted around `at`."""
    start, end = at - window, at + window
    rows = (
        Event.objects.filter(
            account=account, action=Action.DELETE, occurred_at__gte=start, occurred_at__lt=end
        )
        .order_by()
        .values_list("entity_type", "entity_id", "occurred_at")
    )  # Uses index: event_action_timeline
    by_type: Counter = Counter()
    ids: dict[str, list[int]] = {}
    first = last = None
    for entity_type, entity_id, occurred_at in rows.iterator(chunk_size=5000):
        by_type[entity_type] += 1
        ids.setdefault(entity_type, []).append(entity_id)
        first = occurred_at if first is None or occurred_at < first else first
        last = occurred_at if last is None or occurred_at > last else last
    return DeletionsAround(start, end, sum(by_type.values()), dict(by_type), ids, first, last)


@dataclass(frozen=True)
class Suggestion:
    option: str
    reason: str

    @property
    def label(self) -> str:
        return Option(self.option).label


def suggested_option(account: Account, deleted_at: datetime) -> Suggestion:
    """The option the form suggests, with the reason (domain.md, R12/R13 advice)."""
    around = deletions_around(account, deleted_at)
    # R13: custom fields and products come back only with the full rollback.
    if around.by_type.get("custom_field") or around.by_type.get("product"):
        return Suggestion(
            Option.FULL_ROLLBACK,
            "The History shows deleted custom fields or products around that time: only a "
            "full account rollback brings those back.",
        )
    last_deletion = around.last_at or deleted_at
    changed_since = (
        Event.objects.filter(
            account=account,
            action__in=[Action.CREATE, Action.UPDATE],
            occurred_at__gt=last_deletion,
        )
        .order_by()
        .exists()
    )
    if changed_since:
        return Suggestion(
            Option.CSV_EXPORT,
            "The CRM has changed since the deletion: the CSV file is the most convenient, "
            "because nothing else in the account is touched.",
        )
    return Suggestion(
        Option.CRM_ROLLBACK,
        "Nothing has changed in the CRM since the deletion: a CRM module rollback brings "
        "the records back without losing newer work.",
    )


def nearest_before_many(requests: list[RestoreRequest]) -> dict[int, object]:
    """For each request, the latest available snapshot taken before its deletion
    time (R15), found with one query for the whole page."""
    from backups.models import Snapshot

    accounts = {r.account_id for r in requests}
    by_account: dict[int, list] = {}
    # What Snapshot.objects.available() gives one account (complete, R7's window),
    # for every account of the page at once.
    for snapshot in Snapshot.objects.filter(
        account_id__in=accounts,
        status=Snapshot.Status.COMPLETE,
        taken_at__gte=restore_window_start(),
    ).order_by("taken_at"):
        by_account.setdefault(snapshot.account_id, []).append(snapshot)
    nearest = {}
    for r in requests:
        before = [s for s in by_account.get(r.account_id, []) if s.taken_at <= r.deleted_at]
        nearest[r.pk] = before[-1] if before else None
    return nearest


def restore_window_start(now: datetime | None = None) -> datetime:
    """R7: the oldest deletion time a request may name: the start of the window of
    the snapshots a restore may use (backups keep them seven days)."""
    from backups.models import window_start

    return window_start(now)


def result_rows(run) -> list[tuple[str, dict]]:
    """A finished run's counts per entity type, named for people ("Contacts")."""
    from crm.registry import entity

    rows = []
    for entity_type, counts in ((run.result or {}).get("counts") or {}).items():
        try:
            label = entity(entity_type).label_plural.capitalize()
        except KeyError:
            label = entity_type
        rows.append((label, counts))
    return rows
