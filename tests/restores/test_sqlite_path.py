"""The demo's path, for real: on SQLite with eager tasks (a subprocess with none
of the services' variables), each option ends where it must — the portable
comparison, the write guard as a flag on the account, progress between steps,
the Python CSV writer — as the PostgreSQL tests show for the set-based path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "CELERY_TASK_DEFAULT_QUEUE",
)


def test_every_option_ends_where_it_must_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert migrate.returncode == 0, migrate.stderr
    scenario = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("sqlite_scenario.py"))],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert scenario.returncode == 0, scenario.stderr
    out = json.loads(scenario.stdout.strip().splitlines()[-1])

    assert out["preview"]["company"] == [1, 1, 0]
    assert out["preview"]["contact"] == [1, 0, 1]
    assert out["preview"]["deal"] == [1, 0, 0]
    rollback = out["crm_rollback"]
    assert rollback["status"] == "completed", rollback["error"]
    assert rollback["crm_equal"] and rollback["r13_kept"] and rollback["flag_cleared"]
    assert rollback["counts"]["company"] == out["preview"]["company"]
    assert out["undo"] == {"status": "completed", "error": "", "equal": True}
    assert out["full_rollback"] == {"status": "completed", "error": "", "equal": True}
    export = out["csv_export"]
    assert export["status"] == "completed", export["error"]
    assert export["files"] == ["companies.csv", "contacts.csv", "deals.csv", "leads.csv"]
    assert export["companies"].startswith("ID,TITLE,COMPANY_TYPE,")
    assert '"\'=HYPERLINK(""x"")"' in export["companies"]
    assert "Gone Srl" in export["companies"]
    assert out["other_untouched"]
    assert out["runs"] == ["completed"] * 4
