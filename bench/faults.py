"""The fault-injection tests at their full counts, and their figures (SECURITY.md).

    .venv/bin/python bench/faults.py

runs `pytest tests/faults` with FAULT_ROUNDS=full (20 kills mid-rollback, 50
double deliveries, 100 damaged backups, 1,000 writes around a rollback, the
broker restarted, a snapshot's session terminated, older and newer backups)
against PostgreSQL and Redis on 127.0.0.1, as the README's test command does,
then prints one line per figure. `.ci/run` runs the same tests at small counts.

Environment (defaults in brackets): DATABASE_URL
[postgres://postgres@127.0.0.1:5432/rp_faults; pytest-django uses test_<name>],
CELERY_BROKER_URL [redis://127.0.0.1:6379/0], REDIS_URL [redis://127.0.0.1:6379/1],
FAULT_SEED [random; printed, replays the same random choices]. Extra arguments
go to pytest (e.g. `-k kill`). Takes about five minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    env = {
        **os.environ,
        "FAULT_ROUNDS": "full",
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rp_faults"
        ),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
    }
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "faults.jsonl"
        env["FAULT_REPORT"] = str(report)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/faults", "-q", "-p", "no:cacheprovider"]
            + sys.argv[1:],
            cwd=ROOT,
            env=env,
        )
        minutes = (time.monotonic() - started) / 60
        lines = report.read_text().splitlines() if report.exists() else []
    print(f"\nFigures (FAULT_ROUNDS=full, {minutes:.1f} min, pytest exit {done.returncode}):")
    for line in lines:
        figure = json.loads(line)
        name, passed, total = figure.pop("fault"), figure.pop("passed"), figure.pop("total")
        print(f"  {name}: {passed}/{total}  {json.dumps(figure)}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
