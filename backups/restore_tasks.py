"""Celery tasks of the restore engine: thin, idempotent by the run's own row."""

from celery import shared_task
from celery.signals import worker_ready

from . import restores


@shared_task(name="backups.run_restore", acks_late=True, reject_on_worker_lost=True)
def run_restore(run_id: int) -> None:
    restores.execute_run(run_id)


@shared_task(name="backups.reap_restore_runs")
def reap_restore_runs() -> int:
    return restores.reap_stale_runs()


@worker_ready.connect
def _reap_at_worker_start(**kwargs) -> None:
    # Runs left "running" by a worker that died are failed as soon as one is back;
    # runs still queued get their task again (one a dead worker took may be lost).
    restores.reap_dead_runs()
    restores.resend_queued_runs()
