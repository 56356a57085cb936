"""A real Celery worker process for task tests (architecture.md: "A real-worker
test fixture").

The worker is started once the test database exists, points at it, and listens
on a queue of its own, so that several test runs on one Redis never meet. Tests
that use it need `transactional_db` (the worker sees only committed rows); the
`celery_worker` fixture brings both. `WorkerProcess.kill()` sends SIGKILL, for
the tests of what a dead worker leaves behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from email import message_from_string
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from recovery_portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
QUEUE = f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{s['NAME']}"


class WorkerProcess:
    def __init__(self, env: dict, queue: str):
        self.env = env
        self.queue = queue
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.gettempdir()) / f"rp-worker-{queue}.log"
        self.hostname = ""

    def start(self, timeout: float = 60) -> None:
        self.hostname = f"{self.queue}-{uuid.uuid4().hex[:6]}@localhost"
        log = open(self.log, "ab")  # noqa: SIM115  (kept open for the child)
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "recovery_portal", "worker",
                "-Q", self.queue, "--pool=solo", "-n", self.hostname,
                "--without-mingle", "--without-gossip", "-l", "INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The worker exited at start; see {self.log}")
            if celery_app.control.ping(destination=[self.hostname], timeout=0.5):
                return
        raise RuntimeError(f"The worker did not answer within {timeout}s; see {self.log}")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement, as when a machine dies."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.alive:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session", autouse=True)
def _celery_test_queue():
    """Every task sent by this test run goes to a queue of its own, emptied at the end."""
    celery_app.conf.task_default_queue = QUEUE
    yield QUEUE
    if not celery_app.conf.task_always_eager:
        try:
            with celery_app.connection_for_write() as conn:
                conn.default_channel.queue_delete(QUEUE)
        except Exception:  # noqa: BLE001  (Redis already gone: nothing to tidy)
            pass


@pytest.fixture(scope="session")
def worker_process(django_db_setup, django_db_blocker, _celery_test_queue, tmp_path_factory):
    if celery_app.conf.task_always_eager:
        pytest.fail("Task tests need CELERY_BROKER_URL (Redis): see the README's test command.")
    with django_db_blocker.unblock():
        database_url = _database_url()
    # E-mails the worker sends are written as files here (worker.mail_dir), so tests
    # can read what a user would receive from a task.
    mail_dir = tmp_path_factory.mktemp("worker-mail")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_TASK_DEFAULT_QUEUE": _celery_test_queue,
        "PYTHONUNBUFFERED": "1",
        "EMAIL_URL": f"filemail:///{mail_dir}",
    }
    worker = WorkerProcess(env, _celery_test_queue)
    worker.mail_dir = mail_dir
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(transactional_db, worker_process):
    """A live worker on this run's queue (restarted if a previous test killed it)."""
    if not worker_process.alive:
        worker_process.start()
    yield worker_process


def wait_for(predicate, what: str, timeout: float = 90):
    """`predicate()` once it is true, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"Timed out waiting for {what}")


def task_finished(worker, task_id: str) -> str | None:
    """The worker's log line for the end of a task (there is no result backend)."""
    for line in worker.log.read_text(errors="replace").splitlines():
        if f"[{task_id}] succeeded" in line or f"[{task_id}] raised" in line:
            return line
    return None


def wait_for_task(worker, task_id: str, what: str, timeout: float = 180) -> str:
    """The worker's line for the end of task `task_id`; on a time-out, the error
    carries what the worker was doing (its log's tail) and the queue's length."""
    try:
        return wait_for(lambda: task_finished(worker, task_id), what, timeout)
    except AssertionError as timed_out:
        try:
            with celery_app.connection_for_write() as conn:
                waiting = conn.default_channel.client.llen(worker.queue)
        except Exception as exc:  # noqa: BLE001  (the time-out is the error to report)
            waiting = f"unknown ({exc})"
        tail = worker.log.read_text(errors="replace").splitlines()[-40:]
        raise AssertionError(
            f"{timed_out} (task {task_id}; worker alive: {worker.alive}; "
            f"{waiting} message(s) waiting in the queue)\n" + "\n".join(tail)
        ) from None


def worker_mails(worker, link: str) -> list:
    """The e-mails the worker wrote (EMAIL_URL filemail: files under `mail_dir`)
    whose text holds `link`, as messages."""
    found = []
    for path in sorted(Path(worker.mail_dir).glob("*")):
        for chunk in path.read_text(errors="replace").split("-" * 79):
            chunk = chunk.strip()
            if chunk:
                message = message_from_string(chunk)
                if link in message.get_payload():
                    found.append(message)
    return found
