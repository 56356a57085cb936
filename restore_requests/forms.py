"""Page forms for requests, reports and the helpdesk's answers. Times are typed
in the account's time zone and converted once (accounts.timezones)."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.forms.fields import BaseTemporalField
from django.utils import formats, timezone

from accounts.timezones import local_to_utc
from recovery_portal.errors import DomainError

from .models import Option

# R12, R13: what each option brings back and what it loses.
OPTION_HELP = {
    Option.CRM_ROLLBACK: (
        "Companies, contacts, leads and deals return exactly to the backup. Every CRM record "
        "added or changed after it is lost. Products and custom fields stay as they are now: "
        "deleted ones do not come back."
    ),
    Option.CSV_EXPORT: (
        "A file of the contacts, companies, leads and deals as they were, to import back by "
        "hand. Nothing in the account changes. Convenient for an account in active use."
    ),
    Option.FULL_ROLLBACK: (
        "Everything in the account returns to the backup, products and custom fields "
        "included (the only way to get those back). All newer account data is lost."
    ),
}


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in the account's zone. It stays naive here (Django
    would read it in the active zone and refuse ambiguous hours): the form
    converts it once, in `AccountTimeForm`, through accounts.timezones."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "input_formats",
            ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        )
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        return BaseTemporalField.to_python(self, value)


class AccountTimeForm(forms.Form):
    """Reads `deleted_at` in the account's zone (not the server's, not the browser's)."""

    def __init__(self, *args, account, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)
        field = self.fields["deleted_at"]
        zone = f"Time zone: {account.timezone}."
        field.help_text = f"{field.help_text} {zone}" if field.help_text else zone

    def clean_deleted_at(self):
        value = self.cleaned_data["deleted_at"]
        try:
            # One conversion, refusing a time skipped by daylight saving (R7, R14).
            return local_to_utc(value, self.account, field="deleted_at")
        except DomainError as exc:
            raise forms.ValidationError(exc.detail) from exc


def local_input(value: datetime | None, account) -> str:
    """A UTC time as the datetime-local input shows it, in the account's zone."""
    if value is None:
        return ""
    return value.astimezone(account.tzinfo).strftime("%Y-%m-%dT%H:%M")


class CheckForm(AccountTimeForm):
    """Step one of the new request: the time to look up in the History (R8)."""

    deleted_at = LocalDateTimeField(
        label="When was the data deleted?",
        help_text="Date and time in your account's time zone. Backups go back seven days.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "check_%s")
        super().__init__(*args, **kwargs)


class RequestForm(AccountTimeForm):
    deleted_at = LocalDateTimeField(
        label="When was the data deleted?",
        help_text="Date and time in your account's time zone. Backups go back seven days.",
    )
    option = forms.ChoiceField(
        label="Which restore suits you?", choices=Option.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Note for the helpdesk",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What is missing, and anything else the helpdesk should know.",
    )
    file_anyway = forms.BooleanField(
        required=False,
        label="File the request anyway",
        help_text=(
            "Only a few records were deleted: re-entering them or the Recycle Bin is quicker."
        ),
    )


class ReportForm(AccountTimeForm):
    deleted_at = LocalDateTimeField(label="When was the data deleted?")
    person = forms.CharField(
        label="Who deleted it", max_length=255, help_text="Name or e-mail of the person."
    )
    description = forms.CharField(
        label="What was deleted", max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class ConfirmForm(forms.Form):
    snapshot = forms.TypedChoiceField(label="Backup", coerce=int, widget=forms.RadioSelect)
    option = forms.ChoiceField(label="Option", choices=Option.choices, widget=forms.RadioSelect)
    confirm_account_name = forms.CharField(
        label="Type the account's name to confirm a rollback",
        required=False,
        max_length=200,
        help_text="A rollback applies to the whole account, not to one user.",
    )

    def __init__(self, *args, candidates, tz=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["snapshot"].choices = [
            (
                c.snapshot_id,
                formats.date_format(timezone.localtime(c.snapshot.taken_at, tz), "DATETIME_FORMAT")
                + (" (recommended)" if c.recommended else ""),
            )
            for c in candidates
        ]


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ProposeForm(forms.Form):
    snapshots = forms.TypedMultipleChoiceField(
        label="Backups to propose", coerce=int, widget=forms.CheckboxSelectMultiple
    )
    message = forms.CharField(
        label="Message to the administrator",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, snapshots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["snapshots"].choices = [
            (s.id, formats.date_format(timezone.localtime(s.taken_at), "DATETIME_FORMAT"))
            for s in snapshots
        ]


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label="Closing note", max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
