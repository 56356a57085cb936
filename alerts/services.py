"""Writes on alerts: rules, a new alert's e-mail and History event, dismissing,
suspending and lifting an actor's deletions, and the undo of a burst (the
recycle bin's loader: original ids, fields, custom values and links, parents
first, all or nothing)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.actors import Actor, Source
from accounts.capabilities import Capability, require_capability
from accounts.models import Account, Membership, Role
from accounts.tenancy import require_admin_of
from crm_history.models import Action
from crm_history.recorder import EventDraft, new_operation, record_events
from recovery_portal.errors import Conflict

from . import selectors
from .models import Alert, AlertRules

logger = logging.getLogger(__name__)

RULE_FIELDS = (
    "burst_enabled",
    "burst_count",
    "burst_minutes",
    "share_enabled",
    "share_percent",
    "share_min_records",
)


def rules_for(account_id: int, *, lock: bool = False) -> AlertRules:
    qs = AlertRules.objects.select_for_update() if lock else AlertRules.objects
    rules = qs.filter(account_id=account_id).first()
    if rules is None:
        AlertRules.objects.get_or_create(account_id=account_id)
        rules = qs.get(account_id=account_id)
    return rules


@transaction.atomic
def rules_update(*, account: Account, values: dict, actor) -> AlertRules:
    require_admin_of(account, actor)
    rules = rules_for(account.pk, lock=True)
    for name in RULE_FIELDS:
        if name in values:
            setattr(rules, name, values[name])
    rules.full_clean(exclude=["account"])
    rules.updated_at = timezone.now()
    rules.save()
    return rules


def _history(
    alert: Alert,
    action: str,
    title: str,
    data: dict | None = None,
    actor=None,
    source: str = Source.PAGE,
) -> None:
    who = Actor.for_user(actor, source) if actor is not None else Actor.system(source=Source.SYSTEM)
    record_events(
        account_id=alert.account_id,
        actor=who,
        operation=new_operation(),
        drafts=[
            EventDraft(
                entity_type="alert", entity_id=alert.pk, action=action, title=title, data=data
            )
        ],
    )


def _admin_emails(account_id: int) -> list[str]:
    return list(
        get_user_model()
        .objects.filter(
            membership__account_id=account_id, membership__role=Role.ADMIN, is_active=True
        )
        .exclude(email="")
        .values_list("email", flat=True)
    )


def alert_opened(alert: Alert) -> None:
    """A new alert: recorded in the History, and its e-mails to the administrators
    queued for the worker once the alert is committed (a slow mail server never
    holds up the deletion that opened it)."""
    from .tasks import send_alert_emails

    _history(
        alert,
        Action.CREATE,
        f"Mass deletion alert: {alert.summary}",
        data={
            "counts": alert.counts,
            "paths": alert.paths,
            "started_at": alert.started_at.isoformat(),
        },
    )
    send_alert_emails.delay_on_commit(alert.pk)


def alert_emails_send(alert_id: int) -> int:
    """The alert's e-mail to each administrator of its account, sent once: the
    alert is claimed by a conditional UPDATE of `notified_at`, so a task delivered
    twice (or an alert gone since) sends nothing. How many were sent."""
    claimed = Alert.objects.filter(pk=alert_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return 0
    alert = Alert.objects.select_related("account").get(pk=alert_id)
    link = f"{settings.SITE_URL.rstrip('/')}{reverse('alerts:detail', args=[alert.pk])}"
    subject = f"Mass deletion in {alert.account.name}: {alert.summary}"
    tz = alert.account.tzinfo
    start = timezone.localtime(alert.started_at, tz)
    end = timezone.localtime(alert.last_at, tz)
    body = (
        f"{alert.summary} between {start:%Y-%m-%d %H:%M} and {end:%H:%M} "
        f"({alert.account.timezone}), by {', '.join(alert.paths) or 'unknown path'}.\n\n"
        "You can suspend this person's deletions and bring everything back in one action:\n"
        f"{link}\n"
    )
    sent = 0
    for address in _admin_emails(alert.account_id):
        try:
            sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        except Exception:  # noqa: BLE001  (one address refused: the others still get theirs)
            logger.exception("The e-mail of alert %s to an administrator failed", alert.pk)
    return sent


@transaction.atomic
def alert_dismiss(*, alert: Alert, actor) -> Alert:
    require_admin_of(alert.account, actor)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.state == Alert.State.DISMISSED:
        raise Conflict("This alert is dismissed already.")
    alert.state = Alert.State.DISMISSED
    alert.dismissed_at = timezone.now()
    alert.dismissed_by = actor
    alert.save(update_fields=["state", "dismissed_at", "dismissed_by"])
    return alert


def _member_of_alert(alert: Alert) -> Membership:
    if alert.kind != Alert.Kind.ACTOR or alert.actor_id is None:
        raise Conflict("This alert is not about one member: there is nobody to suspend.")
    membership = Membership.objects.filter(
        account_id=alert.account_id, user_id=alert.actor_id
    ).first()
    if membership is None:
        raise Conflict(f"{alert.actor_name} is not a member of this account any more.")
    return membership


@transaction.atomic
def suspend_actor(*, alert: Alert, actor, source: str = Source.PAGE) -> Membership:
    """Stop the damage: the member's deletions (pages, API token, bulk actions) are
    refused with 403 deletions_suspended until an administrator lifts it."""
    require_admin_of(alert.account, actor)
    membership = _member_of_alert(alert)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.deletions_suspended_at is not None:
        raise Conflict(f"Deletions by {alert.actor_name} are suspended already.")
    if membership.user_id == actor.pk:
        raise Conflict("You cannot suspend your own deletions.")
    membership.deletions_suspended_at = timezone.now()
    membership.deletions_suspended_by = actor
    membership.save(update_fields=["deletions_suspended_at", "deletions_suspended_by"])
    _history(
        alert,
        Action.UPDATE,
        f"Deletions by {alert.actor_name} suspended",
        actor=actor,
        source=source,
    )
    return membership


@transaction.atomic
def lift_suspension(*, alert: Alert, actor, source: str = Source.PAGE) -> Membership:
    require_admin_of(alert.account, actor)
    membership = _member_of_alert(alert)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.deletions_suspended_at is None:
        raise Conflict(f"Deletions by {alert.actor_name} are not suspended.")
    membership.deletions_suspended_at = None
    membership.deletions_suspended_by = None
    membership.save(update_fields=["deletions_suspended_at", "deletions_suspended_by"])
    _history(
        alert,
        Action.UPDATE,
        f"Suspension of {alert.actor_name}'s deletions lifted",
        actor=actor,
        source=source,
    )
    return membership


# --- Undo ------------------------------------------------------------------------


@dataclass
class UndoPreview:
    counts: dict[str, int]
    total: int
    already_back: int
    conflicts: list[str] = field(default_factory=list)
    allowed: bool = True
    reason: str = ""


def _taken_sentences(alert: Alert) -> list[str]:
    from crm.registry import entity

    n, shown = selectors.taken_ids(alert)
    sentences = [
        f"{entity(e.entity_type).label.capitalize()} “{e.title}” (#{e.entity_id}): "
        "its id is now used by another record"
        for e in shown
    ]
    if n > len(shown):
        sentences.append(f"and {n - len(shown)} more")
    return sentences


def undo_preview(*, alert: Alert) -> UndoPreview:
    """What an undo would bring back, counted before confirming, and whether it can."""
    counts = selectors.burst_counts(alert)
    total = sum(counts.values())
    preview = UndoPreview(counts=counts, total=total, already_back=max(0, alert.total - total))
    preview.conflicts = _taken_sentences(alert) if total else []
    if alert.undone_at is not None:
        preview.allowed, preview.reason = False, "This burst has been undone already."
    elif total == 0:
        preview.allowed, preview.reason = False, "Nothing of this burst is left in the recycle bin."
    elif preview.conflicts:
        preview.allowed = False
        preview.reason = (
            "Nothing can be brought back, because some records cannot come back: "
            + "; ".join(preview.conflicts)
            + "."
        )
    return preview


def undo_burst(*, alert: Alert, actor):
    """Bring back everything of the burst in one action: original ids, fields,
    custom field values and links, parents first, all or nothing. It is the
    recycle bin's restore (`restore_events`: the records go from the burst's
    delete events to the tables in SQL), so the plans that have the bin have it
    (R3: commercial plans and the demo)."""
    from crm.recycle_bin import IdsTaken, bin_entity_types, restore_events

    require_admin_of(alert.account, actor)
    require_capability(alert.account, Capability.HISTORY)  # R3: as the recycle bin
    operation = new_operation()
    who = Actor.for_user(actor, Source.RECYCLE_BIN)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("account").get(pk=alert.pk)
        if alert.undone_at is not None:
            raise Conflict("This burst has been undone already.")
        deletions = selectors.burst_deletions(alert)
        if not deletions.exists():
            raise Conflict("Nothing of this burst is left in the recycle bin.")
        try:
            # The burst's delete events, read once in SQL for their ids and links;
            # the records go from them to the tables without passing through
            # Python. No limit on the count (max_records=None): should the
            # records path stand in, it loads a chunk of them at a time.
            result = restore_events(
                account=alert.account,
                events={
                    et.entity_type: deletions.filter(entity_type=et.entity_type)
                    for et in bin_entity_types()
                },
                actor=who,
                operation=operation,
                # The records the burst's deletions unlinked (a deleted company's
                # contacts and deals) are linked again, as the recycle bin does.
                relink_operations=set(deletions.values_list("operation", flat=True)),
                max_records=None,
            )
        except IdsTaken:
            # Told as the preview tells it, naming the burst's records.
            raise Conflict(
                "Nothing was restored: some records cannot come back: "
                + "; ".join(_taken_sentences(alert))
                + "."
            ) from None
        alert.undone_at = timezone.now()
        alert.undone_by = actor
        alert.undo_operation = operation
        alert.save(update_fields=["undone_at", "undone_by", "undo_operation"])
    return result
