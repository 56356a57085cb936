"""Writes events, always inside the transaction of the change they record, so
that a change never exists without its event nor an event without its change
(R1): called by the CRM's services, the recycle bin's restore, the restore
engine and the mass-deletion alerts (PostgreSQL's set-based paths insert the
same rows in SQL). Recorded on every plan (R4); what a plan decides is only who
may see them.

Listeners (the mass-deletion detector) hear of deletions once per operation,
after the transaction commits: the service that deleted calls
`notify_deletions` once with the counts per entity type.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor

from .models import Event


@dataclass
class EventDraft:
    entity_type: str
    entity_id: int
    action: str
    title: str
    changes: dict | None = None
    data: dict | None = None
    schema_version: int = 1


@dataclass(frozen=True)
class DeletionNotice:
    account_id: int
    operation: uuid.UUID
    actor: Actor
    counts: dict[str, int]
    occurred_at: datetime


DeletionListener = Callable[[DeletionNotice], None]
_deletion_listeners: list[DeletionListener] = []


def on_deletions_recorded(listener: DeletionListener) -> None:
    """Register a listener called on commit, once per operation that deleted records."""
    if listener not in _deletion_listeners:
        _deletion_listeners.append(listener)


def new_operation() -> uuid.UUID:
    return uuid.uuid4()


def notify_deletions(
    *, account_id: int, operation: uuid.UUID, actor: Actor, counts: dict[str, int], at: datetime
) -> None:
    """Tell the listeners, after commit, that `operation` deleted `counts` records."""
    if not counts or not _deletion_listeners:
        return
    notice = DeletionNotice(account_id, operation, actor, dict(counts), at)

    def send():
        for listener in _deletion_listeners:
            listener(notice)

    transaction.on_commit(send)


def record_events(
    *,
    account_id: int,
    actor: Actor,
    operation: uuid.UUID,
    drafts: Iterable[EventDraft],
    occurred_at: datetime | None = None,
    batch_size: int = 2000,
) -> int:
    """Insert one event per draft; returns how many. Must run inside the change's transaction."""
    conn_in_atomic = transaction.get_connection().in_atomic_block
    if not conn_in_atomic:
        raise RuntimeError("Events are recorded inside the transaction of the change they record.")
    at = occurred_at or timezone.now()
    events = []
    for draft in drafts:
        events.append(
            Event(
                account_id=account_id,
                operation=operation,
                entity_type=draft.entity_type,
                entity_id=draft.entity_id,
                action=draft.action,
                actor_id=actor.user_id,
                actor_name=actor.name,
                source=actor.source,
                occurred_at=at,
                title=(draft.title or "")[:255],
                changes=draft.changes,
                data=draft.data,
                schema_version=draft.schema_version,
            )
        )
    Event.objects.bulk_create(events, batch_size=batch_size)
    return len(events)
