"""Mass deletions noticed as they are recorded. The History calls `on_deletions`
once per operation that deleted records, after it commits: the detector adds a
tally row per entity type and sums the tallies of a short window — an index
range over a few rows, never a query over the History — then opens an alert,
or updates the alert of the burst under way, when a rule's threshold is
crossed. A failure here never reaches the person who deleted: it is logged."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum

from accounts.actors import Source
from crm.registry import entity
from crm_history.recorder import DeletionNotice

from .models import Alert, AlertRules, DeletionTally
from .services import alert_opened, rules_for

logger = logging.getLogger(__name__)

SHARE_WINDOW = timedelta(hours=1)
# Deletions by restores and the system are not a person's mass deletion.
IGNORED_SOURCES = {Source.RESTORE, Source.SYSTEM}


def actor_key(notice: DeletionNotice) -> str:
    if notice.actor.user_id is not None:
        return f"user:{notice.actor.user_id}"
    return f"name:{notice.actor.name}"


def path_of(notice: DeletionNotice) -> str:
    """By which path: page, API, import, admin… and "bulk action" for a bulk delete
    from a page or the admin (an API bulk delete stays "api")."""
    total = sum(notice.counts.values())
    if total > 1 and notice.actor.source in (Source.PAGE, Source.ADMIN):
        return "bulk action"
    return str(notice.actor.source)


def on_deletions(notice: DeletionNotice) -> None:
    if notice.actor.source in IGNORED_SOURCES or not notice.counts:
        return
    try:
        detect(notice)
    except Exception:  # noqa: BLE001  (the deletion is done; alerting must not undo or break it)
        logger.exception("Mass-deletion detection failed for account %s", notice.account_id)


def detect(notice: DeletionNotice) -> list[Alert]:
    key = actor_key(notice)
    path = path_of(notice)
    alerts: list[Alert] = []
    with transaction.atomic():
        rules = rules_for(notice.account_id, lock=True)  # one detector per account at a time
        DeletionTally.objects.bulk_create(
            [
                DeletionTally(
                    account_id=notice.account_id,
                    actor_key=key,
                    actor_id=notice.actor.user_id,
                    actor_name=notice.actor.name,
                    entity_type=entity_type,
                    path=path,
                    count=count,
                    at=notice.occurred_at,
                    operation=notice.operation,
                )
                for entity_type, count in notice.counts.items()
                if count
            ]
        )
        if rules.burst_enabled:
            alert = _actor_rule(rules, notice, key)
            if alert:
                alerts.append(alert)
        if rules.share_enabled:
            for entity_type in notice.counts:
                alert = _share_rule(rules, notice, entity_type)
                if alert:
                    alerts.append(alert)
    return alerts


def _actor_rule(rules: AlertRules, notice: DeletionNotice, key: str) -> Alert | None:
    window = timedelta(minutes=rules.burst_minutes)
    since = notice.occurred_at - window
    tallies = DeletionTally.objects.filter(account_id=notice.account_id, actor_key=key)
    # Uses index: tally_actor_window (account, actor_key, at).
    in_window = tallies.filter(at__gt=since).aggregate(n=Sum("count"))["n"] or 0
    burst = _burst_under_way(notice.account_id, Alert.Kind.ACTOR, key, since)
    if burst is None and in_window < rules.burst_count:
        return None
    start = burst.started_at if burst else tallies.filter(at__gt=since).order_by("at").first().at
    return _open_or_update(
        notice, Alert.Kind.ACTOR, key, burst, tallies.filter(at__gte=start), start
    )


def _share_rule(rules: AlertRules, notice: DeletionNotice, entity_type: str) -> Alert | None:
    since = notice.occurred_at - SHARE_WINDOW
    tallies = DeletionTally.objects.filter(account_id=notice.account_id, entity_type=entity_type)
    # Uses index: tally_type_window (account, entity_type, at).
    deleted = tallies.filter(at__gt=since).aggregate(n=Sum("count"))["n"] or 0
    burst = _burst_under_way(notice.account_id, Alert.Kind.SHARE, entity_type, since)
    if burst is None and _actor_alert_covers(notice.account_id, entity_type, since):
        return None  # one alert per burst: the actor's alert tells it already
    if burst is None:
        # Cheap test first: the share cannot be crossed below this many deletions.
        if deleted * 100 < rules.share_percent * rules.share_min_records:
            return None
        remaining = entity(entity_type).model.objects.filter(account_id=notice.account_id).count()
        before = remaining + deleted
        if before < rules.share_min_records or deleted * 100 <= rules.share_percent * before:
            return None
    start = burst.started_at if burst else tallies.filter(at__gt=since).order_by("at").first().at
    return _open_or_update(
        notice, Alert.Kind.SHARE, entity_type, burst, tallies.filter(at__gte=start), start
    )


def _actor_alert_covers(account_id: int, entity_type: str, since) -> bool:
    return any(
        entity_type in alert.counts
        for alert in Alert.objects.filter(
            account_id=account_id, kind=Alert.Kind.ACTOR, last_at__gt=since
        ).only("counts")
    )


def _burst_under_way(account_id: int, kind: str, key: str, since) -> Alert | None:
    """The alert of a burst that is still going on (its last deletion inside the window)."""
    return (
        Alert.objects.select_for_update()
        .filter(account_id=account_id, kind=kind, burst_key=key, last_at__gt=since)
        .order_by("-last_at")
        .first()
    )


def _open_or_update(notice, kind, key, alert, tallies, start) -> Alert:
    counts: Counter = Counter()
    paths: Counter = Counter()
    actors: list[str] = []
    last = start
    for tally in tallies.order_by("at"):
        counts[tally.entity_type] += tally.count
        paths[tally.path] += tally.count
        if tally.actor_name not in actors:
            actors.append(tally.actor_name)
        last = max(last, tally.at)
    if alert is None:
        alert = Alert(
            account_id=notice.account_id,
            kind=kind,
            burst_key=key,
            actor_id=notice.actor.user_id if kind == Alert.Kind.ACTOR else None,
            actor_name=notice.actor.name if kind == Alert.Kind.ACTOR else ", ".join(actors),
            started_at=start,
        )
        created = True
    else:
        created = False
    alert.counts = dict(counts)
    alert.paths = dict(paths)
    alert.actors = actors
    alert.last_at = last
    if kind == Alert.Kind.SHARE:
        alert.actor_name = ", ".join(actors)
    alert.save()
    if created:
        alert_opened(alert)
    return alert
