"""The restore engine (R10, R12, R13): CRM module rollback, CSV export and full
account rollback of an account to one of its snapshots, previews of what each
would change, and the undo of a rollback.

A rollback always applies to the whole account (R10). It runs on a worker as a
`RestoreRun` and is all or nothing:

1. the worker holds the run's advisory lock (so a crashed run is recognised by
   the lock being free), claims the run (queued → running), and, for a
   rollback, takes the account's exclusive write lock (CRM writes meanwhile
   answer 423) — BEFORE the safety snapshot, so no write can slip between the
   two;
2. the snapshot is verified (checksums, row counts) and a damaged one refused;
3. a safety snapshot of the current state is taken (the undo goes back to it);
4. in ONE database transaction the module's rows are compared with the
   snapshot and only what differs is deleted, set back or inserted with its
   original id, each change with its History event; the run's completion is
   written in the same transaction.

A failure at any point leaves the account as it was. At most one run per
account is queued or running (a partial unique constraint). A task delivered
twice applies once: the run is claimed with a conditional UPDATE.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.utils import timezone
from psycopg2.errors import LockNotAvailable

from accounts.actors import Actor, Source
from accounts.guard import account_writes_blocked
from accounts.models import Account
from crm.registry import MODULE_LABELS, SCHEMA_VERSION, module_entities
from crm_history.models import Action
from crm_history.recorder import EventDraft, record_events
from recovery_portal.errors import Conflict, DomainError, Invalid, NotFound

from .options import ROLLBACK_OPTIONS, Option, modules_for
from .restore_models import RestoreRun

logger = logging.getLogger(__name__)

RUN_LOCK_NAMESPACE = 0x5252  # "RR": one advisory lock per run, held while it executes
HEARTBEAT_SECONDS = 5
STALE_AFTER = timedelta(seconds=60)
WORKER_LOST = "The worker stopped during the run; nothing was changed. Retry the request."
NEVER_RUN = "Its task never reached a worker; nothing was changed. Retry the request."
ACCOUNT_BUSY = (
    "Changes to the account were still under way after {seconds} seconds, so the restore "
    "did not start; nothing was changed. Retry the request."
)


def _lock_timeout_ms() -> int:
    """How long a rollback waits for CRM writes under way to finish before giving up."""
    return int(getattr(settings, "RESTORE_LOCK_TIMEOUT_MS", 60_000))


def _queued_limit() -> timedelta:
    """A run still queued this long after it was created has lost its task: the
    broker hands an unacknowledged task out again within its visibility timeout,
    and beat's reaper comes every minute."""
    return timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT) + timedelta(minutes=15)


RunListener = Callable[[RestoreRun, str], None]
_listeners: list[RunListener] = []


def on_run_changed(listener: RunListener) -> None:
    """Register `listener(run, event)`, called after commit when a run has
    "started", "completed" or "failed" (restore requests follow their runs)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _notify(run_id: int, event: str) -> None:
    def send():
        run = RestoreRun.objects.select_related("account", "snapshot").get(pk=run_id)
        for listener in _listeners:
            try:
                listener(run, event)
            except Exception:  # a listener's failure never undoes the run's outcome
                logger.exception("Restore run listener failed for run %s (%s)", run_id, event)

    transaction.on_commit(send)


# --- Starting, cancelling, undoing -----------------------------------------------


def _available(snapshot, account: Account) -> bool:
    from .models import Snapshot

    return Snapshot.objects.available(account).filter(pk=snapshot.pk).exists()


def start_run(*, account: Account, snapshot, option: str, actor, undo_of=None) -> RestoreRun:
    """Queue a run and hand it to a worker once the caller's transaction commits.

    Refused (409) when the account already has a run queued or running.
    """
    if option not in Option.values:
        raise Invalid(f"Unknown option “{option}”.", fields={"option": ["Unknown option."]})
    if snapshot.account_id != account.pk:
        raise NotFound("There is no such snapshot in this account.")
    if not _available(snapshot, account):
        # R7: only complete snapshots of the last seven days are offered.
        raise Invalid(
            "This backup is no longer available (backups are kept seven days).",
            fields={"snapshot": ["This backup is no longer available."]},
        )
    try:
        with transaction.atomic():
            run = RestoreRun.objects.create(
                account=account,
                snapshot=snapshot,
                option=option,
                requested_by=actor,
                undo_of=undo_of,
                rows_total=_rows_total(snapshot, option),
            )
    except IntegrityError as exc:
        raise Conflict(
            "A restore is already queued or running for this account; wait for it to end."
        ) from exc
    from .restore_tasks import run_restore

    run_restore.delay_on_commit(run.pk)
    return run


def start_undo(*, run: RestoreRun, actor) -> RestoreRun:
    """Undo a finished rollback: roll back to its safety snapshot (the same code path)."""
    if run.status != RestoreRun.Status.COMPLETED or not run.is_rollback:
        raise Conflict("Only a completed rollback can be undone.")
    if RestoreRun.objects.filter(undo_of=run).exists():
        raise Conflict("This rollback has been undone already.")
    if run.safety_snapshot is None or not _available(run.safety_snapshot, run.account):
        raise Conflict(
            "The state before this rollback is no longer kept (seven days): it cannot be undone."
        )
    return start_run(
        account=run.account,
        snapshot=run.safety_snapshot,
        option=run.option,
        actor=actor,
        undo_of=run,
    )


def cancel_queued_run(run: RestoreRun) -> bool:
    """Cancel a run that no worker has started; False if it has started already."""
    cancelled = RestoreRun.objects.filter(pk=run.pk, status=RestoreRun.Status.QUEUED).update(
        status=RestoreRun.Status.CANCELLED, finished_at=timezone.now()
    )
    return bool(cancelled)


def _rows_total(snapshot, option: str) -> int:
    counts = snapshot.row_counts or {}
    return sum(
        int(counts.get(et.entity_type, 0))
        for module in modules_for(option)
        for et in module_entities(module)
    )


# --- Execution (on a worker) -------------------------------------------------------


def _run_lock_key(run_id: int) -> int:
    return (RUN_LOCK_NAMESPACE << 32) | int(run_id)


@contextmanager
def _run_lock(run_id: int):
    """Hold the run's advisory lock while executing; yields False if another
    worker holds it (a duplicate delivery of a run that is executing)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_run_lock_key(run_id)])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_run_lock_key(run_id)])


class Progress:
    """Writes the run's phase, progress and heartbeat outside the run's big
    transaction, on a connection of its own (a thread), so pages and the API see
    them while the run works. On SQLite (the demo) it writes only between steps."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.values: dict = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self.threaded = connection.vendor == "postgresql"

    def __enter__(self):
        if self.threaded:
            self._thread = threading.Thread(
                target=self._loop, daemon=True, name=f"run-{self.run_id}"
            )
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        return False

    def set(self, **values) -> None:
        with self._lock:
            self.values.update(values)
        if not self.threaded and not connection.in_atomic_block:
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            values, self.values = self.values, {}
        RestoreRun.objects.filter(pk=self.run_id, status=RestoreRun.Status.RUNNING).update(
            heartbeat_at=timezone.now(), **values
        )

    def _loop(self) -> None:
        try:
            last_beat = 0.0
            while not self._stop.wait(0.5):
                if self.values or time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                    self._flush()
                    last_beat = time.monotonic()
            self._flush()
        finally:
            connection.close()


def execute_run(run_id: int) -> None:
    """The body of the task: apply the run once, whatever the deliveries."""
    run = RestoreRun.objects.filter(pk=run_id).first()
    if run is None:
        return
    with _run_lock(run_id) as acquired:
        if not acquired:
            return  # another worker is executing this run right now
        run.refresh_from_db()
        if run.status == RestoreRun.Status.RUNNING:
            # Delivered again after its worker died: the transaction never committed.
            _fail(run, WORKER_LOST)
            return
        if run.status != RestoreRun.Status.QUEUED:
            return  # done, failed or cancelled already: a duplicate delivery does nothing
        rollback = run.option in ROLLBACK_OPTIONS
        # Claimed BEFORE waiting for the account's writes: a worker that dies while it
        # waits leaves a "running" run whose run lock is free, which the reaper fails
        # when a worker is back; a run left "queued" would wait for the broker to hand
        # its task out again, hours later (the visibility timeout).
        claimed = RestoreRun.objects.filter(pk=run_id, status=RestoreRun.Status.QUEUED).update(
            status=RestoreRun.Status.RUNNING,
            phase=RestoreRun.Phase.LOCKING if rollback else RestoreRun.Phase.VERIFYING,
            started_at=timezone.now(),
            heartbeat_at=timezone.now(),
            attempts=run.attempts + 1,
        )
        if not claimed:
            return
        _notify(run_id, "started")
        block = (
            account_writes_blocked(run.account_id, timeout_ms=_lock_timeout_ms())
            if rollback
            else nullcontext()
        )
        try:
            with block:
                run.refresh_from_db()
                if rollback:
                    RestoreRun.objects.filter(pk=run_id).update(
                        phase=RestoreRun.Phase.VERIFYING, heartbeat_at=timezone.now()
                    )
                with Progress(run_id) as progress:
                    if run.option == Option.CSV_EXPORT:
                        _export(run, progress)
                    else:
                        _rollback(run, progress)
        except Exception as exc:  # the run fails; the account is as it was
            logger.exception("Restore run %s failed", run_id)
            _fail(run, _explain(exc))


def _explain(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.detail
    if isinstance(getattr(exc, "__cause__", None), LockNotAvailable):
        # The account's write lock did not come within the timeout (writes under way).
        return ACCOUNT_BUSY.format(seconds=_lock_timeout_ms() // 1000)
    return f"The restore stopped on an error and changed nothing ({type(exc).__name__})."


def _fail(run: RestoreRun, message: str) -> bool:
    """Mark a queued or running run failed; False if it had ended already."""

    def mark() -> int:
        return RestoreRun.objects.filter(
            pk=run.pk, status__in=[RestoreRun.Status.RUNNING, RestoreRun.Status.QUEUED]
        ).update(status=RestoreRun.Status.FAILED, finished_at=timezone.now(), error=message[:2000])

    try:
        updated = mark()
    except (OperationalError, InterfaceError):
        # The connection died with the run (e.g. terminated): record the failure on a new one.
        connection.close()
        updated = mark()
    if updated:
        _notify(run.pk, "failed")
    return bool(updated)


def _rollback(run: RestoreRun, progress: Progress) -> None:
    from .snapshots import check_readable, take_snapshot, verify_snapshot

    verify_snapshot(run.snapshot)  # a damaged snapshot is refused before anything changes
    # So is one this version cannot read (newer format, unknown columns), before the
    # safety snapshot rather than half-way through the transaction.
    check_readable(run.snapshot, _entity_types(run.option))
    progress.set(phase=RestoreRun.Phase.SAFETY)
    safety = take_snapshot(run.account, kind="safety")
    RestoreRun.objects.filter(pk=run.pk).update(safety_snapshot=safety)
    progress.set(phase=RestoreRun.Phase.LOADING)
    actor = Actor.system(source=Source.RESTORE, on_behalf_of=run.requested_by)
    now = timezone.now()
    modules = modules_for(run.option)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            counts = _apply_set_based(run, modules, actor, now, progress)
        else:
            from .restore_portable import apply_row_by_row

            counts = apply_row_by_row(run, modules, actor, now, progress)
        summary = _summary(run, counts)
        record_events(
            account_id=run.account_id,
            actor=actor,
            operation=run.operation,
            drafts=[
                EventDraft(
                    entity_type="restore_run",
                    entity_id=run.pk,
                    action=Action.RESTORE,
                    title=summary["title"],
                    data=summary,
                    schema_version=SCHEMA_VERSION,
                )
            ],
            occurred_at=now,
        )
        RestoreRun.objects.filter(pk=run.pk).update(
            status=RestoreRun.Status.COMPLETED,
            phase=RestoreRun.Phase.DONE,
            finished_at=timezone.now(),
            rows_done=run.rows_total,
            result=summary,
        )
        _notify(run.pk, "completed")


def _entity_types(option: str) -> list:
    return [et for module in modules_for(option) for et in module_entities(module)]


def _apply_set_based(run, modules, actor, now, progress) -> dict:
    from . import restore_sql
    from .snapshots import open_entity_csv, read_manifest

    manifest = read_manifest(run.snapshot)
    params = {
        "operation": run.operation,
        "actor_id": actor.user_id,
        "actor_name": actor.name,
        "source": actor.source,
        "now": now,
        "version": SCHEMA_VERSION,
    }
    counts = {}
    done = 0
    with connection.cursor() as cursor:
        restore_sql.tune_session(cursor)
        for module in modules:
            for et in module_entities(module):
                columns = manifest["files"][et.entity_type]["columns"]
                with open_entity_csv(run.snapshot, et.entity_type) as stream:
                    restore_sql.load_temp_table(cursor, et, columns, stream)
                foreign = restore_sql.foreign_ids(cursor, et, run.account_id)
                if foreign:
                    raise Conflict(
                        f"{et.label_plural}: ids {', '.join(map(str, foreign))} of the backup "
                        "belong to another account now; nothing was changed."
                    )
                diff = restore_sql.apply(cursor, et, run.account_id, params)
                counts[et.entity_type] = diff
                done += diff.total
                progress.set(rows_done=done)
    return counts


def _summary(run: RestoreRun, counts: dict) -> dict:
    label = Option(run.option).label
    what = "Undo of a rollback" if run.undo_of_id else label
    taken = run.snapshot.taken_at
    return {
        "title": f"{what} to the backup of {taken:%Y-%m-%d %H:%M} UTC",
        "option": run.option,
        "snapshot_id": run.snapshot_id,
        "snapshot_taken_at": taken.isoformat(),
        "undo_of": run.undo_of_id,
        "modules": [MODULE_LABELS[m] for m in modules_for(run.option)],
        "counts": {
            entity_type: {
                "total": d.total,
                "back": d.back,
                "lost": d.lost,
                "reverted": d.reverted,
            }
            for entity_type, d in counts.items()
        },
    }


def _export(run: RestoreRun, progress: Progress) -> None:
    from .export import write_export
    from .snapshots import check_readable, read_manifest

    # Every file is verified (checksum, row count) as the export reads it, and the
    # zip is stored only if all were sound: a damaged snapshot gives no file.
    read_manifest(run.snapshot)
    check_readable(run.snapshot, _entity_types(run.option))
    progress.set(phase=RestoreRun.Phase.EXPORTING)
    path, counts = write_export(run, progress)
    with transaction.atomic():
        RestoreRun.objects.filter(pk=run.pk).update(
            status=RestoreRun.Status.COMPLETED,
            phase=RestoreRun.Phase.DONE,
            finished_at=timezone.now(),
            rows_done=run.rows_total,
            export_path=path,
            result={
                "title": f"CSV file of the backup of {run.snapshot.taken_at:%Y-%m-%d %H:%M} UTC",
                "option": run.option,
                "snapshot_id": run.snapshot_id,
                "counts": {
                    t: {"total": n, "back": 0, "lost": 0, "reverted": 0} for t, n in counts.items()
                },
            },
        )
        _notify(run.pk, "completed")


def open_export(run: RestoreRun):
    """The export's zip file, opened from storage; None once it has been removed."""
    from .storage import snapshot_storage

    storage = snapshot_storage()
    if not run.export_path or not storage.exists(run.export_path):
        return None
    return storage.open(run.export_path, "rb")


# --- Crashed runs ----------------------------------------------------------------


def reap_stale_runs(*, now=None) -> int:
    """Mark failed the runs left "running" by a worker that died (its run lock is
    free and its heartbeat is old), and the runs still queued long after their
    task should have come (a lost message would hold the account's one active
    run forever). Their data is untouched: the transaction never committed.
    Called periodically (beat)."""
    now = now or timezone.now()
    reaped = 0
    lost = RestoreRun.objects.filter(
        status=RestoreRun.Status.QUEUED, created_at__lt=now - _queued_limit()
    )
    for run in lost:
        with _run_lock(run.pk) as acquired:
            if acquired:
                reaped += _fail(run, NEVER_RUN)
    stale = RestoreRun.objects.filter(status=RestoreRun.Status.RUNNING).filter(
        heartbeat_at__lt=now - STALE_AFTER
    )
    for run in stale:
        with _run_lock(run.pk) as acquired:
            if not acquired:
                continue  # still executing somewhere
            run.refresh_from_db()
            if run.status == RestoreRun.Status.RUNNING:
                reaped += _fail(run, WORKER_LOST)
    return reaped


def resend_queued_runs() -> int:
    """At worker start: hand every queued run's task out again. A worker that died
    between receiving a run's task and claiming it leaves the run queued and its
    message unacknowledged, which the broker gives out again only after its
    visibility timeout (hours); a second delivery is harmless (the claim is a
    conditional UPDATE), so each queued run gets one now."""
    from .restore_tasks import run_restore

    queued = list(
        RestoreRun.objects.filter(status=RestoreRun.Status.QUEUED).values_list("pk", flat=True)
    )
    for run_id in queued:
        run_restore.delay(run_id)
    return len(queued)


def reap_dead_runs() -> int:
    """At worker start: any run still "running" whose run lock is free belongs to
    a worker that is gone, whatever its heartbeat says."""
    close_old_connections()
    reaped = 0
    for run in RestoreRun.objects.filter(status=RestoreRun.Status.RUNNING):
        with _run_lock(run.pk) as acquired:
            if acquired and connection.vendor == "postgresql":
                run.refresh_from_db()
                if run.status == RestoreRun.Status.RUNNING:
                    reaped += _fail(run, WORKER_LOST)
    return reaped


# --- Preview ---------------------------------------------------------------------


@dataclass
class PreviewRow:
    entity_type: str
    label: str
    affected: bool
    total: int = 0
    back: int = 0
    lost: int = 0
    reverted: int = 0
    unchanged: int = 0
    samples_back: list[str] = field(default_factory=list)
    samples_lost: list[str] = field(default_factory=list)
    samples_reverted: list[str] = field(default_factory=list)


@dataclass
class Preview:
    snapshot: object
    option: str
    rows: list[PreviewRow]

    @property
    def option_label(self) -> str:
        return Option(self.option).label

    @property
    def changes_nothing(self) -> bool:
        return self.option == Option.CSV_EXPORT

    @property
    def note(self) -> str:
        if self.option == Option.CSV_EXPORT:
            return (
                "Nothing in the account changes: the file holds the records as they were. "
                "“Come back” counts the records the file has that the account no longer has."
            )
        return ""

    def as_dict(self) -> dict:
        return {
            "snapshot": self.snapshot.pk,
            "taken_at": self.snapshot.taken_at.isoformat(),
            "option": self.option,
            "changes_nothing": self.changes_nothing,
            "entities": [row.__dict__ for row in self.rows],
        }


def preview(*, account: Account, snapshot, option: str, samples: int = 5) -> Preview:
    """What restoring `snapshot` with `option` would change, per entity type,
    without changing anything (R16: shown to the administrator before confirming)."""
    from .snapshots import check_readable, open_entity_csv, read_manifest

    if snapshot.account_id != account.pk:
        raise NotFound("There is no such snapshot in this account.")
    scope = {et.entity_type for m in modules_for(option) for et in module_entities(m)}
    all_types = [et for m in ("crm", "catalog", "fields") for et in module_entities(m)]
    check_readable(snapshot, all_types)
    rows: list[PreviewRow] = []
    if connection.vendor == "postgresql":
        from . import restore_sql

        manifest = read_manifest(snapshot)
        with transaction.atomic(), connection.cursor() as cursor:
            restore_sql.tune_session(cursor)
            for et in all_types:
                columns = manifest["files"][et.entity_type]["columns"]
                with open_entity_csv(snapshot, et.entity_type) as stream:
                    restore_sql.load_temp_table(cursor, et, columns, stream)
                d = restore_sql.diff(cursor, et, account.pk, samples=samples)
                rows.append(_preview_row(et, d, et.entity_type in scope))
            transaction.set_rollback(True)  # a preview never changes anything
    else:
        from .restore_portable import diff_row_by_row

        for et in all_types:
            d = diff_row_by_row(snapshot, et, account.pk, samples=samples)
            rows.append(_preview_row(et, d, et.entity_type in scope))
    return Preview(snapshot=snapshot, option=option, rows=rows)


def _preview_row(et, d, affected: bool) -> PreviewRow:
    return PreviewRow(
        entity_type=et.entity_type,
        label=et.label_plural.capitalize(),
        affected=affected,
        total=d.total,
        back=d.back,
        lost=d.lost,
        reverted=d.reverted,
        unchanged=d.unchanged,
        samples_back=d.samples_back,
        samples_lost=d.samples_lost,
        samples_reverted=d.samples_reverted,
    )
