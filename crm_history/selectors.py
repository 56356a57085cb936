"""Reads of the History: the timeline (R2) shared by the page and the API, and
what a page of events needs to link its records.

Every query starts from the account (the one tenancy filter); another
account's event can never appear, whatever the filters or the cursor.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import QueryDict

from accounts.models import Account
from recovery_portal.api import validation_detail
from recovery_portal.errors import Invalid
from recovery_portal.pagination import KeysetPage, paginate_keyset

from .filters import EventFilterSet
from .models import Action, Event
from .registry import entity_links, entity_types

PAGE_SIZE = 50
# Newest first; the id breaks ties (a bulk delete gives its events one timestamp).
TIMELINE_ORDERING = ("-occurred_at", "-id")


def cursor_scope(account: Account) -> str:
    """A cursor is signed for one account's timeline: another list's (or another
    account's) cursor is refused with 400, never read."""
    return f"history.timeline:{account.pk}"


def event_filterset(*, account: Account, filters: Mapping | None) -> EventFilterSet:
    """The timeline's filters bound to `filters` (a page's or an API call's query)."""
    data = filters if filters is not None else QueryDict()
    return EventFilterSet(data, queryset=Event.objects.filter(account=account), account=account)


def event_list(*, account: Account, filters: Mapping | None = None) -> QuerySet[Event]:
    """R2: the account's events matching `filters`, unordered (the caller pages them).

    Raises `Invalid` (400) with a message per field for an unknown action or
    entity type, a malformed date, a time skipped by daylight saving, and for a
    cursor that is not a valid cursor of this account's timeline.

    Uses index: event_action_timeline (account_id, action, occurred_at DESC, id DESC)
    when `action` is set (R2: every deletion), else event_timeline (account_id,
    occurred_at DESC, id DESC); date bounds are UTC ranges on occurred_at, so they
    stay inside the same index scan (the cursor's row comparison is added by
    recovery_portal.pagination). `actor`, `entity_type` and `q` are row
    conditions inside that scan (see `filters.actor_condition`).
    """
    filterset = event_filterset(account=account, filters=filters or QueryDict())
    if not filterset.is_valid():
        fields = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
        raise Invalid(validation_detail(fields), fields=fields)
    # Uses index: event_action_timeline with `action`, else event_timeline.
    return filterset.qs


def timeline_page(
    *,
    account: Account,
    filters: Mapping | None = None,
    cursor: str | None = None,
    page_size: int = PAGE_SIZE,
) -> KeysetPage:
    """One page of the timeline, newest first, keyset-paginated on (occurred_at, id):
    page 10,000 costs what page 1 costs. A tampered cursor raises `Invalid` (400).

    Uses index: event_timeline / event_action_timeline (see `event_list`); the
    cursor is an index condition `ROW(occurred_at, id) < ROW(x, y)`.
    """
    # Uses index: event_timeline / event_action_timeline, in their order (newest first).
    return paginate_keyset(
        event_list(account=account, filters=filters),
        ordering=TIMELINE_ORDERING,
        cursor=cursor or None,
        page_size=page_size,
        scope=cursor_scope(account),
    )


def record_urls(*, account: Account, events: Iterable[Event]) -> dict[tuple[str, int], str | None]:
    """For a page of events, each record's URL, or None where it no longer exists.

    One query per entity type on the page (`existing_ids`, scoped to the
    account), never one per row.
    """
    wanted: dict[str, set[int]] = {}
    for event in events:
        wanted.setdefault(event.entity_type, set()).add(event.entity_id)
    urls: dict[tuple[str, int], str | None] = {}
    for entity_type, ids in wanted.items():
        links = entity_links(entity_type)
        existing = links.existing_ids(account.pk, ids) if links is not None else set()
        for entity_id in ids:
            urls[(entity_type, entity_id)] = (
                links.url(entity_id) if entity_id in existing and links is not None else None
            )
    return urls


def last_known_records(
    *, account: Account, missing: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], dict]:
    """What records that no longer exist were: the record saved by their latest
    delete event. One query per entity type.

    Uses index: event_record (account_id, entity_type, entity_id).
    """
    by_type: dict[str, set[int]] = {}
    for entity_type, entity_id in missing:
        by_type.setdefault(entity_type, set()).add(entity_id)
    found: dict[tuple[str, int], dict] = {}
    for entity_type, ids in by_type.items():
        # Uses index: event_record (account_id, entity_type, entity_id).
        rows = (
            Event.objects.filter(
                account=account,
                entity_type=entity_type,
                entity_id__in=sorted(ids),
                action=Action.DELETE,
            )
            .order_by("entity_id", "-occurred_at", "-id")
            .values_list("entity_id", "data")
        )
        for entity_id, data in rows:
            found.setdefault((entity_type, entity_id), data or {})
    return found


def finds_no_deletion(*, account: Account, filters: Mapping | None, first_page: KeysetPage) -> bool:
    """R5: the search, on deletions or on every action, finds no deletion for the
    period and the other filters given (the page then says the records may
    only be hidden by a filter on a CRM list). A search on another action is
    not a search for deletions.

    `first_page` is the search's first page: it answers without a query when
    it holds a deletion, is the deletions' own page, or is the whole result.

    Uses index: event_action_timeline (account_id, action, occurred_at DESC,
    id DESC), one EXISTS with the same filters and action=delete.
    """
    filters = filters if filters is not None else QueryDict()
    action = filters.get("action") or ""
    if action not in ("", Action.DELETE):
        return False
    if any(event.action == Action.DELETE for event in first_page.items):
        return False
    if action == Action.DELETE or first_page.next_cursor is None:
        return True
    deletions = {**{name: filters.get(name) for name in filters}, "action": Action.DELETE}
    # Uses index: event_action_timeline.
    return not event_list(account=account, filters=deletions).exists()


@dataclass(frozen=True)
class ListLink:
    label: str
    url: str


def list_links(entity_type: str | None = None) -> list[ListLink]:
    """Links to the CRM lists (R5: where records may only be hidden by a filter).

    The CRM registers a record's URL; a list is the parent of its records' pages
    unless the CRM registered the list's URL itself (`EntityLinks.list_url`).
    """
    found = []
    for links in entity_types():
        if entity_type and links.entity_type != entity_type:
            continue
        if links.list_url is not None:
            url = links.list_url()
        else:
            url = posixpath.dirname(links.url(1).rstrip("/")) + "/"
        found.append(ListLink(label=links.label_plural.capitalize(), url=url))
    return found
