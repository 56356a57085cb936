"""When each account's daily snapshot is taken (R6): every account, whatever its
plan, once per UTC day, at a slot of its own spread over the day.

Beat runs `enqueue_due_snapshots` every 15 minutes. It queues a snapshot for
each account whose slot has passed today and that has no snapshot today
(queued, running or complete): the queued row is the claim (the partial unique
constraint allows one per account and day), and its task runs only that row.
A failed attempt does not count, so the next round tries again, up to
SNAPSHOT_MAX_ATTEMPTS_PER_DAY attempts a day.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Mod
from django.utils import timezone

from accounts.models import Account

from .models import Snapshot
from .snapshots import queue_daily_snapshot

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES  # 96
# Consecutive account ids land far apart: 59 is prime to 96 and near 96 / golden ratio.
SLOT_STRIDE = 59


def slot_index(account_id: int) -> int:
    return (int(account_id) * SLOT_STRIDE) % SLOTS_PER_DAY


def slot_time(account_id: int) -> time:
    """The UTC time of day from which the account's daily snapshot is due."""
    minutes = slot_index(account_id) * SLOT_MINUTES
    return time(minutes // 60, minutes % 60)


def due_accounts(now: datetime | None = None):
    """Accounts whose slot has passed today (UTC) and that have no snapshot today."""
    now = (now or timezone.now()).astimezone(UTC)
    day = now.date()
    current_slot = (now.hour * 60 + now.minute) // SLOT_MINUTES
    max_attempts = getattr(settings, "SNAPSHOT_MAX_ATTEMPTS_PER_DAY", 3)
    return (
        Account.objects.alias(slot=Mod(F("id") * SLOT_STRIDE, SLOTS_PER_DAY))
        .filter(slot__lte=current_slot)
        .alias(
            live=Count(
                "snapshots",
                filter=Q(snapshots__kind=Snapshot.Kind.DAILY, snapshots__day=day)
                & ~Q(snapshots__status=Snapshot.Status.FAILED),
            ),
            failed=Count(
                "snapshots",
                filter=Q(
                    snapshots__kind=Snapshot.Kind.DAILY,
                    snapshots__day=day,
                    snapshots__status=Snapshot.Status.FAILED,
                ),
            ),
        )
        .filter(live=0, failed__lt=max_attempts)
        .order_by("id")
    )


def enqueue_due_snapshots(now: datetime | None = None) -> list[Snapshot]:
    """Queue today's snapshot of every due account and send its task (on commit)."""
    from .tasks import run_snapshot  # the task module imports this one

    now = (now or timezone.now()).astimezone(UTC)
    queued = []
    for account in due_accounts(now).iterator(chunk_size=500):
        snapshot = queue_daily_snapshot(account, now.date())
        if snapshot is None:
            continue  # another round queued it first
        queued.append(snapshot)
        transaction.on_commit(lambda pk=snapshot.pk: run_snapshot.delay(pk))
    return queued


def next_slot_after(account_id: int, now: datetime | None = None) -> datetime:
    """When the account's next daily snapshot is due (for the Backups page)."""
    now = (now or timezone.now()).astimezone(UTC)
    today = datetime.combine(now.date(), slot_time(account_id), tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)
