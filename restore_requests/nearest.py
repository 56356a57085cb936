"""R15: the account's snapshots nearest to a request's deletion time, the latest
one taken before it marked as recommended, and for each how many of the records
deleted around that time (from the History) it holds."""

from __future__ import annotations

from dataclasses import dataclass

from backups.selectors import available_snapshots

from . import selectors
from .models import RestoreRequest
from .selectors import deletions_around


@dataclass
class NearestSnapshot:
    id: int
    taken_at: object
    kind: str
    row_counts: dict
    size_bytes: int
    recommended: bool
    contains_deleted: int
    deleted_around: int
    snapshot: object


def nearest_snapshots(request: RestoreRequest, *, limit: int = 5) -> list[NearestSnapshot]:
    from backups.snapshots import snapshots_contain

    snapshots = list(available_snapshots(request.account))
    if not snapshots:
        return []
    before = [s for s in snapshots if s.taken_at <= request.deleted_at]
    recommended = max(before, key=lambda s: s.taken_at) if before else None
    nearest = sorted(
        snapshots, key=lambda s: abs((s.taken_at - request.deleted_at).total_seconds())
    )
    chosen = nearest[:limit]
    if recommended is not None and recommended not in chosen:
        chosen[-1] = recommended
    around = deletions_around(request.account, request.deleted_at)
    # Every (snapshot, type) pair in two queries, not two per pair.
    found = snapshots_contain(
        {
            (snapshot.pk, entity_type): ids
            for snapshot in chosen
            for entity_type, ids in around.ids_by_type.items()
        }
    )
    result = []
    for snapshot in sorted(chosen, key=lambda s: s.taken_at):
        contained = sum(
            len(found[(snapshot.pk, entity_type)]) for entity_type in around.ids_by_type
        )
        result.append(
            NearestSnapshot(
                id=snapshot.pk,
                taken_at=snapshot.taken_at,
                kind=snapshot.kind,
                row_counts=snapshot.row_counts,
                size_bytes=snapshot.size_bytes,
                recommended=snapshot is recommended,
                contains_deleted=contained,
                deleted_around=around.total,
                snapshot=snapshot,
            )
        )
    return result


def holds_deleted(request: RestoreRequest, snapshot) -> tuple[int, int]:
    """How many of the records the History shows deleted around the request's time
    `snapshot` holds, and how many were deleted (the helpdesk queue's column)."""
    return holds_deleted_many([(request, snapshot)]).get(request.pk, (0, 0))


def holds_deleted_many(pairs: list[tuple[RestoreRequest, object]]) -> dict[int, tuple[int, int]]:
    """`holds_deleted` for a page of the queue, by request id: the deletions around
    every request in one query, and what their snapshots hold in two more (no
    queries per row). A request without a snapshot holds nothing: (0, 0)."""
    from django.db.models import Q

    from backups.snapshots import snapshots_contain
    from crm_history.models import Action, Event

    pairs = [(r, s) for r, s in pairs if s is not None]
    result: dict[int, tuple[int, int]] = {}
    if not pairs:
        return result
    window = selectors.AROUND
    condition = Q()
    for r, _snapshot in pairs:
        condition |= Q(
            account_id=r.account_id,
            occurred_at__gte=r.deleted_at - window,
            occurred_at__lt=r.deleted_at + window,
        )
    # Uses index: event_action_timeline (account_id, action, occurred_at), once per request.
    rows = (
        Event.objects.filter(condition, action=Action.DELETE)
        .order_by()
        .values_list("account_id", "entity_type", "entity_id", "occurred_at")
    )
    by_account: dict[int, list[tuple[str, int, object]]] = {}
    for account_id, entity_type, entity_id, occurred_at in rows.iterator(chunk_size=5000):
        by_account.setdefault(account_id, []).append((entity_type, entity_id, occurred_at))
    around: dict[int, dict[str, list[int]]] = {}
    asked: dict[tuple[int, str], set[int]] = {}
    for r, snapshot in pairs:
        start, end = r.deleted_at - window, r.deleted_at + window
        ids: dict[str, list[int]] = {}
        for entity_type, entity_id, occurred_at in by_account.get(r.account_id, []):
            if start <= occurred_at < end:
                ids.setdefault(entity_type, []).append(entity_id)
        around[r.pk] = ids
        for entity_type, type_ids in ids.items():
            asked.setdefault((snapshot.pk, entity_type), set()).update(type_ids)
    found = snapshots_contain(asked)
    for r, snapshot in pairs:
        ids = around[r.pk]
        held = sum(
            len(found[(snapshot.pk, entity_type)].intersection(type_ids))
            for entity_type, type_ids in ids.items()
        )
        result[r.pk] = (held, sum(len(type_ids) for type_ids in ids.values()))
    return result
