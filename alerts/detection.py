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
from django.db.models import Q, Sum
from django.utils import timezone

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


# Tallies older than this are pruned (the longest window a rule may set is a day).
TALLY_KEPT = timedelta(days=2)


def detect(notice: DeletionNotice) -> list[Alert]:
    key = actor_key(notice)
    path = path_of(notice)
    alerts: list[Alert] = []
    with transaction.atomic():
        rules = rules_for(notice.account_id, lock=True)  # one detector per account at a time
        # Uses index: tally_actor_window (account, actor_key, at): this actor's old rows.
        DeletionTally.objects.filter(
            account_id=notice.account_id, actor_key=key, at__lt=notice.occurred_at - TALLY_KEPT
        ).delete()
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
            alert = _actor_rule(rules, notice, key, path)
            if alert:
                alerts.append(alert)
        if rules.share_enabled:
            for entity_type, count in notice.counts.items():
                if not count:
                    continue
                alert = _share_rule(rules, notice, entity_type, path)
                if alert:
                    alerts.append(alert)
    return alerts


def _actor_rule(rules: AlertRules, notice: DeletionNotice, key: str, path: str) -> Alert | None:
    window = timedelta(minutes=rules.burst_minutes)
    since = _window_start(notice, Alert.Kind.ACTOR, key, window)
    burst = _burst_under_way(notice, Alert.Kind.ACTOR, key, window)
    if burst is not None:
        # The burst goes on: the same alert grows by this operation.
        return _grow(burst, notice, path, dict(notice.counts))
    # Uses index: tally_actor_window (account, actor_key, at).
    in_window = DeletionTally.objects.filter(
        account_id=notice.account_id, actor_key=key, at__gt=since, at__lte=notice.occurred_at
    )
    if (in_window.aggregate(n=Sum("count"))["n"] or 0) < rules.burst_count:
        return None
    return _open(notice, Alert.Kind.ACTOR, key, in_window)


def _share_rule(
    rules: AlertRules, notice: DeletionNotice, entity_type: str, path: str
) -> Alert | None:
    since = _window_start(notice, Alert.Kind.SHARE, entity_type, SHARE_WINDOW)
    burst = _burst_under_way(notice, Alert.Kind.SHARE, entity_type, SHARE_WINDOW)
    if burst is not None:
        return _grow(burst, notice, path, {entity_type: notice.counts[entity_type]})
    if _actor_alert_covers(notice.account_id, entity_type, since):
        return None  # one alert per burst: the actor's alert tells it already
    # Uses index: tally_type_window (account, entity_type, at).
    in_window = DeletionTally.objects.filter(
        account_id=notice.account_id,
        entity_type=entity_type,
        at__gt=since,
        at__lte=notice.occurred_at,
    )
    deleted = in_window.aggregate(n=Sum("count"))["n"] or 0
    # Cheap test first: the share cannot be crossed below this many deletions.
    if deleted * 100 <= rules.share_percent * rules.share_min_records:
        return None
    # Crossed when the type had at least share_min_records records before the
    # deletions (remaining + deleted) and deleted > P% of them, that is when
    # remaining < deleted * (100 - P) / P. Counting the remaining records up to
    # that bound is enough: the count costs at most a few times the deletions,
    # never the whole table.
    p = rules.share_percent
    at_most = max(rules.share_min_records - deleted, -(-deleted * (100 - p) // p)) + 1
    remaining = _count_up_to(notice.account_id, entity_type, at_most)
    before = remaining + deleted
    if before < rules.share_min_records or deleted * 100 <= p * before:
        return None
    return _open(notice, Alert.Kind.SHARE, entity_type, in_window)


def _count_up_to(account_id: int, entity_type: str, limit: int) -> int:
    """How many records of the type the account has now, counted up to `limit`."""
    model = entity(entity_type).model
    # Uses index: the table's (account_id, …) index; reads at most `limit` entries.
    # SELECT count(*) FROM (SELECT … WHERE account_id = … LIMIT limit): counted in SQL.
    return model.objects.filter(account_id=account_id).values("pk")[:limit].count()


def _actor_alert_covers(account_id: int, entity_type: str, since) -> bool:
    """An open actor alert tells of this type's deletions in the window already (a
    closed one has ended the share rule's window: see `_closed`)."""
    return Alert.objects.filter(
        account_id=account_id,
        kind=Alert.Kind.ACTOR,
        last_at__gt=since,
        state=Alert.State.OPEN,
        undone_at__isnull=True,
        counts__has_key=entity_type,
    ).exists()


def _closed(kind: str, key: str) -> Q:
    """The closed alerts of a burst: dismissed or undone. A closed alert ends its
    burst: it takes no more deletions, and what it told (its deletions, up to its
    last_at) no longer counts toward the next alert. The share rule's burst is
    also ended by a closed actor alert that told of that type."""
    closed = Q(state=Alert.State.DISMISSED) | Q(undone_at__isnull=False)
    same_burst = Q(kind=kind, burst_key=key)
    if kind == Alert.Kind.SHARE:
        same_burst |= Q(kind=Alert.Kind.ACTOR, counts__has_key=key)
    return closed & same_burst


def _window_start(notice: DeletionNotice, kind: str, key: str, window):
    """Where the rule's window starts: `window` before this deletion, or after the
    last deletion of a closed alert (dismissed or undone), whichever is later: what
    an administrator was told of, dismissed or brought back does not count toward
    the next alert; deletions after it count afresh.

    Uses index: alert_burst (account, kind, burst_key, -last_at)."""
    since = notice.occurred_at - window
    closed = (
        Alert.objects.filter(
            _closed(kind, key),
            account_id=notice.account_id,
            last_at__gt=since,
            last_at__lte=notice.occurred_at,
        )
        .order_by("-last_at")
        .values_list("last_at", flat=True)
        .first()
    )
    return max(since, closed) if closed else since


def _burst_under_way(notice: DeletionNotice, kind: str, key: str, window) -> Alert | None:
    """The alert of a burst that this deletion continues: its deletions reach to
    within `window` of this one (a backdated deletion, from the demo's seed, is
    never taken into a later burst). A dismissed or undone alert is closed: what
    follows is a burst of its own, with an alert, an e-mail and a banner of its own.

    Uses index: alert_burst (account, kind, burst_key, -last_at)."""
    return (
        Alert.objects.select_for_update()
        .filter(
            account_id=notice.account_id,
            kind=kind,
            burst_key=key,
            last_at__gt=notice.occurred_at - window,
            started_at__lt=notice.occurred_at + window,
            state=Alert.State.OPEN,
            undone_at__isnull=True,
        )
        .order_by("-last_at")
        .first()
    )


def _open(notice: DeletionNotice, kind: str, key: str, tallies) -> Alert:
    """A new alert from the tallies of the window in which the rule was crossed."""
    counts: Counter = Counter()
    paths: Counter = Counter()
    actors: list[str] = []
    ordered = list(tallies.order_by("at", "id"))
    for tally in ordered:
        counts[tally.entity_type] += tally.count
        paths[tally.path] += tally.count
        if tally.actor_name not in actors:
            actors.append(tally.actor_name)
    if kind == Alert.Kind.SHARE:
        counts = Counter({key: counts[key]})
    now = timezone.now()
    alert = Alert.objects.create(
        account_id=notice.account_id,
        kind=kind,
        burst_key=key,
        actor_id=notice.actor.user_id if kind == Alert.Kind.ACTOR else None,
        actor_name=notice.actor.name if kind == Alert.Kind.ACTOR else ", ".join(actors),
        actors=actors,
        counts=dict(counts),
        paths=dict(paths),
        started_at=ordered[0].at,
        last_at=max(t.at for t in ordered),
        created_at=now,
        updated_at=now,
    )
    alert_opened(alert)
    return alert


def _grow(alert: Alert, notice: DeletionNotice, path: str, counts: dict[str, int]) -> Alert:
    """Add one operation's deletions to the alert of the burst under way."""
    added = sum(counts.values())
    alert.counts = {t: alert.counts.get(t, 0) + counts.get(t, 0) for t in {*alert.counts, *counts}}
    alert.paths = {**alert.paths, path: alert.paths.get(path, 0) + added}
    if notice.actor.name not in alert.actors:
        alert.actors = [*alert.actors, notice.actor.name]
        if alert.kind == Alert.Kind.SHARE:
            alert.actor_name = ", ".join(alert.actors)
    alert.started_at = min(alert.started_at, notice.occurred_at)
    alert.last_at = max(alert.last_at, notice.occurred_at)
    alert.updated_at = timezone.now()
    alert.save(
        update_fields=[
            "counts", "paths", "actors", "actor_name", "started_at", "last_at", "updated_at"
        ]
    )  # fmt: skip
    return alert
