"""The timeline's one filter definition, shared by the History page and
`GET /api/v1/history/events/` (NetBox's habit): what the page offers is what
the API accepts. A bad value is a 400 on the API and a message beside the field
on the page, never a 500 and never silently ignored.

Dates: `occurred_after` / `occurred_before` take a date (`2026-11-25`) or a date
and time (`2026-11-25T14:03`, `2026-11-25 14:03:00+01:00`). A value without an
offset is read in the account's time zone, converted once into a UTC bound
(no `__date` lookups: they would skip the timeline indexes). A date in
`occurred_after` starts at that day's first moment; a date in
`occurred_before` includes that whole day. A local time that does not exist
(skipped by a daylight-saving change) is refused. A date so early or so late
that its UTC bound falls outside what a datetime holds (0001-01-01 east of
Greenwich, 9999-12-31 as an end of day) is the earliest or latest moment, as
it means: both bounds accept every date they can parse.

Actor: `actor=<username>` lists what that person did and what the system did
on their behalf (a restore run they asked for, recorded as "system, for
<username>" with their user id); `actor=system` lists everything the system
did, on anyone's behalf or on no one's.
"""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, Subquery
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import lazy

from accounts.actors import Actor, Source
from accounts.models import Account
from accounts.timezones import parse_local
from recovery_portal.errors import Invalid

from .models import Action, Event
from .registry import entity_types

MOMENT_HELP = "A date (2026-11-25) or a date and time (2026-11-25 14:00)."
SYSTEM = "system"
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def system_sources() -> list[str]:
    """The sources where no person acted (`Actor.is_person`, the one definition)."""
    return [s for s in Source.values if not Actor(user_id=None, name="", source=s).is_person]


def actor_condition(value: str) -> Q:
    """Who acted, as the timeline's `actor` filter means it (R2).

    `system`: no person acted, on anyone's behalf (the user id is set, the source
    is a restore run's or the system's) or on no one's (no user id).
    A username: the events recorded under that name, and those carrying that
    user's id (what the system did for them; their own under an earlier name).

    Uses index: none of its own; a row condition inside the scan of the index the
    rest of the query uses (event_timeline, event_action_timeline), like the
    exact name it replaces. The user's id is a scalar subquery on auth_user's
    unique username, run once per query (an InitPlan), not per row.
    """
    if value == SYSTEM:
        return Q(actor_id__isnull=True) | Q(source__in=system_sources())
    user_id = Subquery(get_user_model().objects.filter(username=value).values("pk")[:1])
    return Q(actor_name=value) | Q(actor_id=user_id)


def _year_of(raw: str) -> int | None:
    try:
        parsed = (parse_datetime(raw) if "T" in raw or " " in raw else None) or parse_date(raw)
    except ValueError:
        return None
    return parsed.year if parsed else None


def entity_type_choices() -> list[tuple[str, str]]:
    """The entity types the CRM registered (the History never imports the CRM)."""
    choices = [(links.entity_type, links.label_plural.capitalize()) for links in entity_types()]
    return sorted(choices, key=lambda choice: choice[1])


def _action_list() -> str:
    return ", ".join(Action.values)


def _unknown_type_message() -> str:
    types = ", ".join(value for value, _ in entity_type_choices())
    return f"Unknown record type “%(value)s”: choose one of {types}."


class MomentField(forms.CharField):
    """A date or a date-time; cleaned to an aware UTC datetime (a bound), read
    once by `accounts.timezones.parse_local` in the account's zone.

    `account` is set by the filter set; `end_of_day` makes a bare date mean "up
    to the end of that day" (for the exclusive upper bound).
    """

    default_error_messages = {
        "invalid": "Enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM).",
    }

    def __init__(self, *args, end_of_day: bool = False, **kwargs):
        kwargs.setdefault("strip", True)
        super().__init__(*args, **kwargs)
        self.end_of_day = end_of_day
        self.account: Account | None = None
        self.name = "date"

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > 40 or self.account is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return parse_local(value, self.account, field=self.name, end_of_day=self.end_of_day)
        except Invalid as exc:  # malformed, or a local time skipped by daylight saving
            messages = exc.fields.get(self.name) or [exc.detail]
            raise forms.ValidationError(messages[0], code="invalid") from exc
        except OverflowError:
            # Its UTC bound is before year 1 or after 9999 (0001-01-01 in Rome,
            # 9999-12-31 as an end of day): the first or last moment there is.
            return EARLIEST if _year_of(value) == 1 else LATEST


class MomentFilter(django_filters.Filter):
    """A MomentField reading in the zone of its filter set's `account`."""

    field_class = MomentField

    @property
    def field(self):
        field = super().field
        field.account = getattr(self.parent, "account", None)
        return field


class TimelineForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("occurred_after"), cleaned.get("occurred_before")
        if after is not None and before is not None and before <= after:
            self.add_error("occurred_before", "The end of the period must come after its start.")
        return cleaned


class EventFilterSet(django_filters.FilterSet):
    """Filters of the timeline. Bind it with `account=` (the zone of its dates)."""

    action = django_filters.ChoiceFilter(
        choices=Action.choices,
        empty_label="Any action",
        label="Action",
        error_messages={
            "invalid_choice": f"Unknown action “%(value)s”: choose one of {_action_list()}."
        },
    )
    entity_type = django_filters.ChoiceFilter(
        choices=entity_type_choices,
        empty_label="Any type",
        label="Record type",
        error_messages={"invalid_choice": lazy(_unknown_type_message, str)()},
    )
    actor = django_filters.CharFilter(
        method="filter_actor",
        label="Who",
        max_length=150,
        help_text=(
            "A username (e.g. alice): what they did and what the system did for them; or system."
        ),
        widget=forms.TextInput(attrs={"list": "history-actors", "autocomplete": "off"}),
    )
    occurred_after = MomentFilter(
        field_name="occurred_at",
        lookup_expr="gte",
        label="From",
        help_text=MOMENT_HELP,
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DD", "autocomplete": "off"}),
    )
    occurred_before = MomentFilter(
        field_name="occurred_at",
        lookup_expr="lt",
        label="To",
        help_text="A date includes that whole day.",
        end_of_day=True,
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DD", "autocomplete": "off"}),
    )
    q = django_filters.CharFilter(
        field_name="title",
        lookup_expr="icontains",
        label="Title contains",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    class Meta:
        model = Event
        fields: list[str] = []
        form = TimelineForm

    def __init__(self, data=None, queryset=None, *, account, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.account = account

    def filter_actor(self, queryset, name, value):
        return queryset.filter(actor_condition(value)) if value else queryset

    @property
    def active_filters(self) -> dict[str, str]:
        """The filters set, by name (for "no deletion found" and "Clear filters")."""
        if not self.is_bound:
            return {}
        return {
            name: self.data.get(name)
            for name in self.filters
            if self.data.get(name) not in (None, "")
        }
