"""What the fault tests need beyond the suite's worker: a second worker on the
same queue (two workers taking the same task), and a Redis server of their own
(started on a free port, killed and restarted at will without touching the
machine's Redis that other test runs use), with a worker that uses it as its
broker."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from kombu import pools

from recovery_portal.celery import app as celery_app
from tests.worker import ROOT, WorkerProcess


@pytest.fixture
def second_worker(worker_process):
    """Another solo worker on this run's queue, against the same database, for one
    test only: left running, it would take tasks of later tests from the shared
    queue (which read only the first worker's log, and kill only the first worker)."""
    worker = WorkerProcess(dict(worker_process.env), worker_process.queue)
    worker.log = worker.log.with_name(f"rp-worker-{worker.queue}-second.log")  # its own log
    worker.start()
    yield worker
    worker.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own, configured as production's broker
    (docker-compose.yml: append-only file, noeviction)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                "--dir", str(self.folder), "--appendonly", "yes", "--save", "",
                "--maxmemory-policy", "noeviction",
            ],
            stdout=open(self.folder / "redis.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        """A clean shutdown (SIGTERM): Redis flushes its append-only file and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)

    def restart(self) -> None:
        self.stop()
        self.start()


class PreforkWorker(WorkerProcess):
    """A worker with production's pool (prefork, as docker-compose's worker runs it)
    on its own broker."""

    def start(self, timeout: float = 60) -> None:
        self.hostname = f"{self.queue}-{uuid.uuid4().hex[:6]}@localhost"
        log = open(self.log, "ab")  # noqa: SIM115  (kept open for the child)
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "recovery_portal", "worker",
                "-Q", self.queue, "--pool=prefork", "--concurrency=1", "-n", self.hostname,
                "--without-mingle", "--without-gossip", "-l", "INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        with using_broker(self.env["CELERY_BROKER_URL"]):
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"The worker exited at start; see {self.log}")
                if celery_app.control.ping(destination=[self.hostname], timeout=0.5):
                    return
        raise RuntimeError(f"The worker did not answer within {timeout}s; see {self.log}")


@contextmanager
def using_broker(url: str):
    """Send this process's tasks to `url` for the block (Celery keeps a pool of
    broker connections per app: it is dropped on the way in and out)."""
    conf = celery_app.conf
    keys = ("broker_url", "broker_read_url", "broker_write_url")
    saved = {key: conf[key] for key in keys}

    def reset():
        pools.reset()  # kombu's pools are global, keyed by URL: a restarted server's are stale
        celery_app._pool = None
        if "amqp" in celery_app.__dict__:
            celery_app.amqp._producer_pool = None

    conf.update(dict.fromkeys(keys, url))
    reset()
    try:
        yield
    finally:
        conf.update(saved)
        reset()


@pytest.fixture
def own_redis(tmp_path, worker_process):
    """A Redis server of this test's own and a prefork worker using it as its broker
    (the same queue name as the run's: on another server, it is another queue)."""
    server = RedisServer(tmp_path)
    server.start()
    worker = PreforkWorker(
        {**worker_process.env, "CELERY_BROKER_URL": server.url}, worker_process.queue
    )
    worker.log = tmp_path / "worker.log"
    try:
        worker.start()
        with using_broker(server.url):
            yield server, worker
    finally:
        worker.kill()
        server.stop()
