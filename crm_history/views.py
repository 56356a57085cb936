"""The History page (CRM > History): the timeline with its filters (R2), the
plan gate with what History is, the plans that have it, Upgrade and the demo
(R3), and R5's pointer to the CRM lists when no deletion is found. Thin: it
reads through `selectors`, the same code as the API."""

from __future__ import annotations

import re

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.views import View

from accounts.access import MemberRequiredMixin
from accounts.capabilities import Capability, plan_allows, plans_with
from accounts.models import Membership, Plan, Role
from recovery_portal.errors import Invalid

from . import chart, selectors
from .models import Action, Event
from .registry import entity_links

CANONICAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _label(name: str) -> str:
    return name.removesuffix("_id").replace("_", " ") if name != "id" else "id"


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and CANONICAL_TIME.match(value):
        moment = parse_datetime(value)  # a canonical UTC time: shown in the account's zone
        if moment is not None:
            return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def saved_fields(record: dict | None) -> list[tuple[str, str]]:
    """A saved record as (label, value) pairs, custom field values one by one."""
    shown = []
    for name, value in (record or {}).items():
        if isinstance(value, dict):
            shown.extend((code, _shown(v)) for code, v in value.items())
        elif value not in (None, ""):
            shown.append((_label(name), _shown(value)))
    return shown


def change_list(changes: dict | None) -> list[tuple[str, str, str]]:
    return [
        (_label(name), _shown(pair[0]), _shown(pair[1]))
        for name, pair in (changes or {}).items()
        if isinstance(pair, list | tuple) and len(pair) == 2
    ]


def timeline_rows(account, events: list[Event]) -> list[dict]:
    """Each event with its record's link, or what the record was when it is gone.

    Existence: one query per entity type on the page (no N+1)."""
    urls = selectors.record_urls(account=account, events=events)
    # What a gone record was: as its latest delete event saved it (else the event's own).
    missing = {
        (e.entity_type, e.entity_id)
        for e in events
        if urls.get((e.entity_type, e.entity_id)) is None and entity_links(e.entity_type)
    }
    last_known = selectors.last_known_records(account=account, missing=missing)
    rows = []
    for event in events:
        key = (event.entity_type, event.entity_id)
        links = entity_links(event.entity_type)
        url = urls.get(key)
        # A type nobody registered links nowhere, and we cannot say it is gone.
        gone = url is None and links is not None
        rows.append(
            {
                "event": event,
                "type_label": links.label if links else event.entity_type.replace("_", " "),
                "url": url,
                "gone": gone,
                "saved": saved_fields(last_known.get(key) or event.data) if gone else [],
                "changes": change_list(event.changes),
            }
        )
    return rows


def deletions_chart(request, account) -> dict:
    """The History's deletions chart: per day over the last seven days, or per hour
    of `?chart_day=`; each bar links to the timeline of that day's (hour's)
    deletions, and keeps the hourly view of that day."""
    day, error = chart.parse_chart_day(request.GET.get("chart_day"), account)
    timeline = reverse("history:timeline")

    def params(bucket) -> dict:
        if day is None:
            local_day = bucket.local_start.date().isoformat()
            return {"occurred_after": local_day, "occurred_before": local_day}
        return {
            "occurred_after": chart.link_value(bucket.start, account),
            "occurred_before": chart.link_value(bucket.end, account),
        }

    def link(bucket) -> str:
        chart_day = day or bucket.local_start.date()
        query = {"action": Action.DELETE, **params(bucket), "chart_day": chart_day.isoformat()}
        return f"{timeline}?{urlencode(query)}"

    def selected(bucket) -> bool:
        return request.GET.get("action") == Action.DELETE and all(
            request.GET.get(name) == value for name, value in params(bucket).items()
        )

    series = chart.deletions_per_hour(account, day) if day else chart.deletions_per_day(account)
    back = None
    if day is not None:
        query = request.GET.copy()
        query.pop("chart_day", None)
        query.pop("cursor", None)
        back = f"{timeline}?{query.urlencode()}" if query else timeline
    return {
        "chart": chart.picture(series, link=link, selected=selected),
        "chart_back_url": back,
        "chart_error": error,
    }


def _with_cursor(query, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    query = query.copy()
    query["cursor"] = cursor
    return f"?{query.urlencode()}"


class TimelineView(MemberRequiredMixin, View):
    template_name = "crm_history/timeline.html"
    upgrade_template_name = "crm_history/upgrade.html"

    def get(self, request):
        account = self.account
        if not plan_allows(account, Capability.HISTORY):
            return self.upgrade(request)  # R3: History is for plans that have it
        filterset = selectors.event_filterset(account=account, filters=request.GET)
        cursor = request.GET.get("cursor") or None
        page = None
        cursor_error = None
        status = 200
        if not filterset.is_valid():
            status = 400  # the messages are shown beside their fields
        else:
            try:
                page = selectors.timeline_page(account=account, filters=request.GET, cursor=cursor)
            except Invalid as exc:  # the only thing left to refuse: a bad cursor
                cursor_error = exc.detail
                status = 400
        query = request.GET.copy()
        query.pop("cursor", None)
        base = query.urlencode()
        rows = timeline_rows(account, page.items) if page else []
        active = filterset.active_filters
        cleaned = filterset.form.cleaned_data if filterset.is_valid() else {}
        # R5: no deletion for the period searched; the records may only be hidden
        # by a filter on a CRM list.
        drawn = deletions_chart(request, account)
        if drawn["chart_error"]:
            status = 400
        no_deletions = (
            page is not None
            and not cursor
            and selectors.finds_no_deletion(account=account, filters=request.GET, first_page=page)
        )
        context = {
            "nav": "history",
            **drawn,
            "filter": filterset,
            "filter_form": filterset.form,
            "rows": rows,
            "active_filters": active,
            "cursor_error": cursor_error,
            "first_page_url": f"?{base}" if base else reverse("history:timeline"),
            "next_url": _with_cursor(query, page.next_cursor if page else None),
            "previous_url": _with_cursor(query, page.previous_cursor if page else None),
            "is_first_page": not cursor,
            "no_deletions": no_deletions,
            "list_links": selectors.list_links(cleaned.get("entity_type") or None)
            if no_deletions
            else [],
            "actor_names": list(
                Membership.objects.filter(account=account)
                .order_by("user__username")
                .values_list("user__username", flat=True)
            )
            + ["system"],
        }
        return render(request, self.template_name, context, status=status)

    def upgrade(self, request):
        """R3: what History is, the plans that have it, Upgrade and the demo."""
        account = self.account
        context = {
            "nav": "history",
            "plans": [Plan(p).label for p in plans_with(Capability.HISTORY)],
            "current_plan": Plan(account.plan).label,
            "is_admin": self.membership.is_admin,
            "demo_available": account.demo_started_at is None,
            "admins": list(
                Membership.objects.filter(account=account, role=Role.ADMIN)
                .order_by("user__username")
                .values_list("user__username", flat=True)
            ),
            "next": reverse("history:timeline"),
        }
        return render(request, self.upgrade_template_name, context)
