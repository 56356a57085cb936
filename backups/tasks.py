"""Celery tasks of the snapshots: thin wrappers around the services.

- `schedule_daily_snapshots` (beat, every 15 minutes): reaps dead snapshots,
  then queues today's snapshot of every account whose slot has passed (R6).
- `run_snapshot(snapshot_id)`: runs one queued snapshot; a second delivery
  finds the row claimed and does nothing (idempotent by the database).
- `prune_snapshots` (beat, daily): the seven-day retention (R7).
The reaper also runs when a worker starts.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import connection
from django.utils.dateparse import parse_datetime

from . import snapshot_schedule, snapshot_upkeep, snapshots

logger = logging.getLogger(__name__)


@shared_task(name="backups.schedule_daily_snapshots")
def schedule_daily_snapshots(now: str | None = None) -> int:
    moment = parse_datetime(now) if now else None
    snapshot_upkeep.reap_stale_snapshots(now=moment)
    return len(snapshot_schedule.enqueue_due_snapshots(moment))


@shared_task(name="backups.run_snapshot")
def run_snapshot(snapshot_id: int) -> str:
    snapshot = snapshots.run_queued_snapshot(snapshot_id)
    return "skipped" if snapshot is None else snapshot.status


@shared_task(name="backups.prune_snapshots")
def prune_snapshots() -> int:
    return len(snapshot_upkeep.prune_snapshots().pruned)


@worker_ready.connect(dispatch_uid="backups.reap_on_worker_start")
def _reap_on_worker_start(**kwargs) -> None:
    """Snapshots left running by a worker that died are failed and cleaned up."""
    try:
        reaped = snapshot_upkeep.reap_stale_snapshots()
        if reaped:
            logger.warning("Reaped stale snapshots at worker start: %s", reaped)
    except Exception:  # noqa: BLE001  (a worker must start even if the database is away)
        logger.exception("The snapshot reaper failed at worker start")
    finally:
        connection.close()
