"""Reads of alerts, always through the account, and the deletions of a burst."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.actors import Source
from accounts.models import Account, Membership
from crm.recycle_bin import bin_entity_types, retention_cutoff
from crm_history.models import Action, Event

from .models import Alert


def alerts_of(account: Account, *, state: str | None = None):
    qs = Alert.objects.filter(account=account)
    if state:
        qs = qs.filter(state=state)
    return qs  # Uses index: alert_account_state


def alert_of(account: Account, alert_id: int) -> Alert | None:
    return Alert.objects.filter(account=account, pk=alert_id).select_related("account").first()


def open_alerts(account: Account) -> list[Alert]:
    return list(alerts_of(account, state=Alert.State.OPEN).order_by("-created_at")[:5])


def actor_suspended(alert: Alert) -> bool:
    if alert.actor_id is None:
        return False
    return Membership.objects.filter(
        account_id=alert.account_id, user_id=alert.actor_id, deletions_suspended_at__isnull=False
    ).exists()


def burst_deletions(alert: Alert) -> QuerySet:
    """The burst's delete events that an undo brings back: the deletions of the
    alert's period (by its actor, or of its entity type for the share rule) that
    are still in the recycle bin's retention and whose record has no later event
    (not restored, imported or deleted again since).

    A record whose id is in use now without a later event (a row written outside
    the services) stays in the burst, so that the undo refuses it rather than
    quietly leaving it out.

    Uses index: event_action_timeline (account, action, -occurred_at, -id) for the
    period; event_record (account, entity_type, entity_id) for "no later event".
    """
    qs = Event.objects.filter(
        account_id=alert.account_id,
        action=Action.DELETE,
        entity_type__in=[et.entity_type for et in bin_entity_types()],
        occurred_at__gte=max(alert.started_at, retention_cutoff()),
        occurred_at__lte=alert.last_at,
    ).exclude(source__in=[Source.RESTORE, Source.SYSTEM])
    if alert.kind == Alert.Kind.ACTOR:
        if alert.actor_id is not None:
            qs = qs.filter(actor_id=alert.actor_id)
        else:
            qs = qs.filter(actor_id__isnull=True, actor_name=alert.actor_name)
    else:
        qs = qs.filter(entity_type=alert.burst_key)
    later = Event.objects.filter(
        account_id=OuterRef("account_id"),
        entity_type=OuterRef("entity_type"),
        entity_id=OuterRef("entity_id"),
    ).filter(
        Q(occurred_at__gt=OuterRef("occurred_at"))
        | Q(occurred_at=OuterRef("occurred_at"), id__gt=OuterRef("id"))
    )
    return qs.filter(~Exists(later))


def burst_counts(alert: Alert) -> dict[str, int]:
    """{entity_type: n} of `burst_deletions`, counted in SQL."""
    rows = burst_deletions(alert).values("entity_type").annotate(n=Count("id")).order_by()
    return {row["entity_type"]: row["n"] for row in rows}


def taken_ids(alert: Alert, *, limit: int = 5) -> tuple[int, list[Event]]:
    """How many of the burst's records have their id in use now (by any row of
    any account: the primary key is unique across accounts), and the first
    `limit` of their delete events. One anti-join per entity type."""
    deletions = burst_deletions(alert)
    total, shown = 0, []
    for et in bin_entity_types():
        taken = deletions.filter(entity_type=et.entity_type).filter(
            Exists(et.model.objects.filter(pk=OuterRef("entity_id")))
        )
        n = taken.count()
        if n:
            total += n
            shown.extend(taken.order_by("entity_id")[: max(0, limit - len(shown))])
    return total, shown
