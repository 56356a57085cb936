"""R15: the account's snapshots nearest to a request's deletion time, the latest
one taken before it marked as recommended, and for each how many of the records
deleted around that time (from the History) it holds."""

from __future__ import annotations

from dataclasses import dataclass

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
    from backups.snapshots import snapshot_contains

    snapshots = selectors.available_snapshots(request.account)
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
    result = []
    for snapshot in sorted(chosen, key=lambda s: s.taken_at):
        contained = sum(
            len(snapshot_contains(snapshot, entity_type, ids))
            for entity_type, ids in around.ids_by_type.items()
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
    from backups.snapshots import snapshot_contains

    around = deletions_around(request.account, request.deleted_at)
    held = sum(
        len(snapshot_contains(snapshot, entity_type, ids))
        for entity_type, ids in around.ids_by_type.items()
    )
    return held, around.total
