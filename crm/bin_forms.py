"""The recycle bin's filters, one definition for the page and the API: what the
page offers is what the API accepts, and a bad value is a 400 on the API and
an error beside the field on the page."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from accounts.models import Account
from accounts.timezones import parse_local
from recovery_portal.errors import Invalid

from .recycle_bin import bin_entity_types

FILTER_NAMES = (
    "entity_type",
    "title",
    "deleted_by",
    "deleted_after",
    "deleted_before",
    "operation",
)


class PeriodField(forms.CharField):
    """A date (a whole day in the account's time zone: from its start, or up to
    its end with `end_of_day`) or a date and time (with an offset, or read in
    the account's zone; a time skipped by daylight saving is refused), cleaned
    to a UTC bound by `accounts.timezones.parse_local`."""

    def __init__(self, *args, end_of_day: bool = False, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", "YYYY-MM-DD, or YYYY-MM-DD HH:MM (account's time zone).")
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"placeholder": "YYYY-MM-DD", "autocomplete": "off"})
        )
        super().__init__(*args, **kwargs)
        self.end_of_day = end_of_day
        self.account: Account | None = None
        self.name = ""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_local(value, self.account, field=self.name, end_of_day=self.end_of_day)
        except Invalid as exc:
            raise forms.ValidationError((exc.fields.get(self.name) or [exc.detail])[0]) from exc
        except OverflowError as exc:  # 9999-12-31 as an end of day
            raise forms.ValidationError("Enter a date (YYYY-MM-DD) or a date and time.") from exc


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_username()


class BinFilterForm(forms.Form):
    entity_type = forms.ChoiceField(required=False, label="Type")
    title = forms.CharField(required=False, max_length=255, label="Title contains")
    deleted_by = MemberChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label="Deleted by",
        empty_label="Anyone",
    )
    # R8: the restore request form links here with the period it counted
    # (?deleted_after=YYYY-MM-DD HH:MM&deleted_before=YYYY-MM-DD HH:MM); a date
    # alone is a whole day, both days included.
    deleted_after = PeriodField(label="Deleted from")
    deleted_before = PeriodField(label="Deleted until", end_of_day=True)
    operation = forms.UUIDField(
        required=False,
        label="Deletion (operation)",
        help_text="The id of one bulk deletion: its records together.",
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["entity_type"].choices = [("", "All types")] + [
            (et.entity_type, et.label_plural.capitalize()) for et in bin_entity_types()
        ]
        self.fields["deleted_by"].queryset = (
            get_user_model().objects.filter(membership__account=account).order_by("username")
        )
        for name in ("deleted_after", "deleted_before"):
            self.fields[name].account = account  # dates are read in the account's zone
            self.fields[name].name = name

    def clean(self):
        data = super().clean()
        after, before = data.get("deleted_after"), data.get("deleted_before")
        if after is not None and before is not None and before <= after:
            self.add_error("deleted_before", "The end of the period must come after its start.")
        return data

    def selector_kwargs(self) -> dict:
        """The cleaned filters as `bin_entries` keyword arguments."""
        data = self.cleaned_data
        user = data.get("deleted_by")
        return {
            "entity_type": data.get("entity_type") or None,
            "title": data.get("title") or None,
            "deleted_by": user.pk if user else None,
            "deleted_after": data.get("deleted_after"),
            "deleted_before": data.get("deleted_before"),
            "operation": data.get("operation"),
        }

    @property
    def active(self) -> dict:
        if not self.is_bound:
            return {}
        return {k: v for k, v in self.data.items() if k in FILTER_NAMES and v not in ("", None)}
