"""Keeping the snapshot store honest: the reaper and the seven-day retention (R7).

- The reaper marks failed the snapshots whose worker died half-way (running,
  and their advisory lock is free on PostgreSQL; elsewhere running for longer
  than a task may run) and those queued whose task was lost, and deletes their
  leftover files. It runs at worker start, every 15 minutes with the fan-out,
  and before each prune.
- `prune_snapshots` deletes snapshots older than seven days with their files;
  failed ones never count, and the newest complete snapshot of an account is
  never removed (it is simply not offered once past seven days).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError, Q, RestrictedError
from django.utils import timezone

from .models import Snapshot, SnapshotIds, window_start
from .snapshots import orphaned
from .storage import delete_folder, folder_of

logger = logging.getLogger(__name__)


def _running_limit() -> timedelta:
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def _queued_limit() -> timedelta:
    return timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT) + timedelta(minutes=15)


def _mark_failed(snapshot: Snapshot, status: str, reason: str) -> bool:
    marked = Snapshot.objects.filter(pk=snapshot.pk, status=status).update(
        status=Snapshot.Status.FAILED, finished_at=timezone.now(), error=reason
    )
    if marked:
        snapshot.id_chunks.all().delete()
        delete_folder(snapshot.storage_path or folder_of(snapshot.account_id, snapshot.pk))
        logger.warning("Snapshot #%s marked failed: %s", snapshot.pk, reason)
    return bool(marked)


def reap_stale_snapshots(*, now=None) -> list[int]:
    """Mark failed the snapshots nobody is writing any more; returns their ids."""
    now = now or timezone.now()
    reaped = []
    for snapshot in Snapshot.objects.filter(status=Snapshot.Status.RUNNING).order_by("pk"):
        with orphaned(snapshot.pk) as dead:
            if dead is None:  # no advisory locks: judge by age
                dead = (snapshot.started_at or snapshot.created_at) < now - _running_limit()
            if dead and _mark_failed(
                snapshot, Snapshot.Status.RUNNING, "The worker stopped before it finished."
            ):
                reaped.append(snapshot.pk)
    lost = Snapshot.objects.filter(
        status=Snapshot.Status.QUEUED, created_at__lt=now - _queued_limit()
    ).order_by("pk")
    for snapshot in lost:
        if _mark_failed(snapshot, Snapshot.Status.QUEUED, "Its task was never run."):
            reaped.append(snapshot.pk)
    return reaped


@dataclass
class PruneResult:
    pruned: list[Snapshot] = field(default_factory=list)
    kept_newest: list[Snapshot] = field(default_factory=list)
    reaped: list[int] = field(default_factory=list)
    freed_bytes: int = 0


def prune_snapshots(*, now=None) -> PruneResult:
    """R7: delete the snapshots older than seven days, with their files."""
    now = now or timezone.now()
    result = PruneResult(reaped=reap_stale_snapshots(now=now))
    cutoff = window_start(now)
    newer_complete = Snapshot.objects.filter(
        account=OuterRef("account"),
        status=Snapshot.Status.COMPLETE,
        taken_at__gt=OuterRef("taken_at"),
    )
    old = Snapshot.objects.select_related("account").filter(
        Q(status=Snapshot.Status.COMPLETE, taken_at__lt=cutoff)
        | Q(status=Snapshot.Status.FAILED, created_at__lt=cutoff)
    )
    # Uses index: snapshot_status_taken (status, taken_at).
    for snapshot in old.annotate(has_newer=Exists(newer_complete)).order_by("pk"):
        if snapshot.status == Snapshot.Status.COMPLETE and not snapshot.has_newer:
            # Never remove an account's newest complete snapshot (not offered past R7).
            result.kept_newest.append(snapshot)
            continue
        # Files first: a row without files is harmless, files without a row are lost.
        result.freed_bytes += delete_folder(
            snapshot.storage_path or folder_of(snapshot.account_id, snapshot.pk)
        )
        pk = snapshot.pk
        try:
            with transaction.atomic():
                snapshot.delete()
        except (ProtectedError, RestrictedError):
            # A restore run or a request names it: keep the row as their record,
            # without files and never offered again (R7).
            with transaction.atomic():
                SnapshotIds.objects.filter(snapshot_id=pk).delete()
                Snapshot.objects.filter(pk=pk).update(status=Snapshot.Status.EXPIRED, size_bytes=0)
        snapshot.pk = pk  # kept for the report
        result.pruned.append(snapshot)
    return result
