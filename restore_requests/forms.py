"""Page forms for requests, reports and the helpdesk's answers. Times are typed
in the account's time zone and converted once (accounts.timezones)."""

from __future__ import annotations

from django import forms

from accounts.timezones import local_to_utc
from recovery_portal.errors import DomainError

from .models import Option

OPTION_HELP = {
    Option.CRM_ROLLBACK: (
        "Companies, contacts, leads and deals return exactly to the backup. Every CRM record "
        "added or changed after it is lost. Products and custom fields stay as they are now "
        "(R13)."
    ),
    Option.CSV_EXPORT: (
        "A file of the contacts, companies, leads and deals as they were, to import back by "
        "hand. Nothing in the account changes. Convenient for an account in active use."
    ),
    Option.FULL_ROLLBACK: (
        "Everything in the account returns to the backup, products and custom fields "
        "included (the only way to get those back, R13). All newer account data is lost."
    ),
}


class LocalDateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        )
        super().__init__(*args, **kwargs)


class AccountTimeForm(forms.Form):
    """Reads `deleted_at` in the account's zone (not the server's)."""

    def __init__(self, *args, account, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)

    def clean_deleted_at(self):
        value = self.cleaned_data["deleted_at"]
        naive = value.replace(tzinfo=None) if value.tzinfo else value
        if value.tzinfo is not None:
            # Django made it aware in the active zone, which is the account's; read it there.
            naive = value.astimezone(self.account.tzinfo).replace(tzinfo=None)
        try:
            return local_to_utc(naive, self.account, field="deleted_at")
        except DomainError as exc:
            raise forms.ValidationError(exc.fields.get("deleted_at", [exc.detail])[0]) from exc


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
        help_text="A rollback applies to the whole account (R10).",
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["snapshot"].choices = [
            (c.snapshot_id, f"{c.snapshot.taken_at:%Y-%m-%d %H:%M}") for c in candidates
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
            (s.id, f"{s.taken_at:%Y-%m-%d %H:%M}") for s in snapshots
        ]


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label="Closing note", max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
