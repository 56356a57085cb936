"""E-mails about requests and reports (Django's e-mail backend: console by
default, SMTP from EMAIL_URL). Always sent after the transaction commits, so a
rolled-back change never notifies anyone."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from accounts.models import Role


def _admin_emails(account) -> list[str]:
    return list(
        get_user_model()
        .objects.filter(membership__account=account, membership__role=Role.ADMIN, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _helpdesk_emails() -> list[str]:
    return list(
        get_user_model()
        .objects.filter(groups__name=settings.HELPDESK_GROUP, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _link(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _send(subject: str, body: str, recipients: list[str]) -> None:
    if not recipients:
        return

    def send():
        for address in recipients:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=True)

    transaction.on_commit(send)


def request_filed(request) -> None:
    _send(
        f"New restore request #{request.pk} from {request.account.name}",
        f"{request.filed_by.get_username()} of {request.account.name} "
        f"({request.account.get_plan_display()}) asks for a restore: "
        f"{request.get_option_display()}, data deleted around "
        f"{request.deleted_at:%Y-%m-%d %H:%M} UTC.\n\n"
        f"{request.note}\n\n{_link(reverse('helpdesk:request', args=[request.pk]))}",
        _helpdesk_emails(),
    )


def request_proposed(request) -> None:
    _send(
        f"Backups proposed for your restore request #{request.pk}",
        "The helpdesk has proposed the backups nearest to your deletion. Check the impact "
        "of each and confirm one:\n\n"
        f"{_link(reverse('restore_requests:detail', args=[request.pk]))}",
        _admin_emails(request.account),
    )


def request_rejected(request) -> None:
    _send(
        f"Your restore request #{request.pk} was rejected",
        f"The helpdesk rejected the request: {request.reject_reason}\n\n"
        f"{_link(reverse('restore_requests:detail', args=[request.pk]))}",
        _admin_emails(request.account),
    )


def message_posted(message) -> None:
    request = message.request
    if message.from_helpdesk:
        recipients = _admin_emails(request.account)
        link = reverse("restore_requests:detail", args=[request.pk])
    else:
        recipients = _helpdesk_emails()
        link = reverse("helpdesk:request", args=[request.pk])
    _send(
        f"New message on restore request #{request.pk}",
        f"{message.author_name} wrote:\n\n{message.body}\n\n{_link(link)}",
        recipients,
    )


def run_started(request, run) -> None:
    _send(
        f"Your restore #{request.pk} has started",
        f"The {request.get_chosen_option_display()} has started. Changes to the account are "
        "paused until it ends.\n\n"
        f"{_link(reverse('restore_requests:detail', args=[request.pk]))}",
        _admin_emails(request.account),
    )


def run_finished(request, run, *, undo: bool) -> None:
    what = "The undo of your restore" if undo else f"Your restore #{request.pk}"
    outcome = "has finished" if run.status == "completed" else "has failed; nothing was changed"
    _send(
        f"{what} {outcome}",
        f"{what} {outcome}.\n\n{_link(reverse('restore_requests:detail', args=[request.pk]))}",
        _admin_emails(request.account),
    )


def report_filed(report) -> None:
    _send(
        f"Deletion report #{report.pk} from {report.account.name}",
        f"{report.reported_by.get_username()} reports that {report.person} deleted data "
        f"around {report.deleted_at:%Y-%m-%d %H:%M} UTC:\n\n{report.description}\n\n"
        f"{_link(reverse('helpdesk:reports'))}",
        _helpdesk_emails(),
    )


def report_closed(report) -> None:
    _send(
        f"Your deletion report #{report.pk} was closed",
        f"The helpdesk closed your report: {report.close_note}",
        _admin_emails(report.account),
    )
