"""The production shape, checked as far as this machine can: `check --deploy`
with production variables, the docker-compose services and their commands, the
Dockerfile, and a README that lists every setting the code reads.

Docker itself cannot run here; these tests hold the files to what they claim.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS = (BASE_DIR / "recovery_portal" / "settings.py").read_text()
# Every environment variable the settings module reads: env("X"), env.bool("X"), ...
SETTINGS_VARIABLES = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", SETTINGS))


def _database_url() -> str:
    """The test database server, as a URL (the subprocess only runs checks on it)."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}{password}@{host}/{s['NAME']}"


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )


def _production_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "crm-recovery.example.com",
            "DATABASE_URL": _database_url(),
        }
    )
    env.update(overrides)
    return env


# --- check --deploy --------------------------------------------------------------------


def test_check_deploy_passes_with_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _manage("check", env=_production_env(SECRET_KEY=""))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


# --- docker-compose.yml ----------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def _command(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_compose_has_exactly_the_five_services_of_the_production_shape(compose):
    assert set(compose["services"]) == {"db", "redis", "web", "worker", "beat"}


def test_compose_runs_postgresql_16_and_redis_7_that_never_evicts_queued_tasks(compose):
    db, redis = compose["services"]["db"], compose["services"]["redis"]
    assert db["image"] == "postgres:16"
    assert redis["image"] == "redis:7"
    command = redis["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    for service in (db, redis):
        assert "healthcheck" in service
        # Published on the host's loopback only.
        assert all(str(p).startswith("127.0.0.1:") for p in service.get("ports", []))


def test_compose_web_runs_migrations_then_gunicorn_on_the_wsgi_application(compose):
    command = _command(compose["services"]["web"])
    assert "manage.py migrate --noinput" in command
    assert "gunicorn recovery_portal.wsgi:application" in command
    assert command.index("migrate") < command.index("gunicorn")
    assert (BASE_DIR / "recovery_portal" / "wsgi.py").exists()


def test_compose_worker_and_beat_run_celery_on_the_project_app(compose):
    worker = _command(compose["services"]["worker"])
    beat = _command(compose["services"]["beat"])
    assert worker.startswith("celery -A recovery_portal worker")
    assert beat.startswith("celery -A recovery_portal beat")
    assert "app = Celery(" in (BASE_DIR / "recovery_portal" / "celery.py").read_text()


def test_compose_app_services_share_one_image_and_point_at_db_and_redis(compose):
    services = compose["services"]
    app = [services[name] for name in ("web", "worker", "beat")]
    assert {s["build"] for s in app} == {"."}
    assert len({s["image"] for s in app}) == 1
    for service in app:
        env = service["environment"]
        assert env["DEBUG"] == "0"
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert env["CELERY_BROKER_URL"] != env["REDIS_URL"]  # the cache never shares the queue
        assert set(service["depends_on"]) == {"db", "redis"}
        assert "media:/app/var/media" in service["volumes"]  # web and worker share the files


def test_compose_sets_only_variables_that_the_settings_read(compose):
    env = compose["services"]["web"]["environment"]
    assert set(env) <= SETTINGS_VARIABLES, set(env) - SETTINGS_VARIABLES


# --- Dockerfile --------------------------------------------------------------------------


def test_dockerfile_installs_the_project_collects_static_and_runs_as_a_non_root_user():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    instructions = [
        line.split(maxsplit=1)
        for line in dockerfile.splitlines()
        if line.strip() and not line.startswith((" ", "#"))
    ]
    assert instructions[0] == ["FROM", "python:3.11-slim"]
    assert "pip install ." in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert "gunicorn recovery_portal.wsgi:application" in " ".join(
        re.findall(r'"([^"]+)"', dockerfile.splitlines()[-1])
    )
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var"} <= set(ignored)


# --- README ------------------------------------------------------------------------------


def test_readme_lists_every_environment_variable_the_settings_read():
    readme = (BASE_DIR / "README.md").read_text()
    missing = {name for name in SETTINGS_VARIABLES if f"`{name}`" not in readme}
    assert not missing, f"README.md does not document: {sorted(missing)}"


def test_readme_keeps_its_two_set_up_commands_and_the_makefile_has_them():
    readme = (BASE_DIR / "README.md").read_text()
    makefile = (BASE_DIR / "Makefile").read_text()
    assert "    make demo\n" in readme and "    make test\n" in readme
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "docker compose up -d db redis" in readme


def test_readme_lists_every_error_code_the_api_answers_with_its_status():
    """A client reads the catalogue once: every code the API can answer is in the
    README's table, with the status it comes with."""
    from recovery_portal.errors import catalogue

    readme = (BASE_DIR / "README.md").read_text()
    listed = {
        code: int(status)
        for status, code in re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", readme, re.M)
    }
    assert listed == catalogue()


def test_beat_runs_every_periodic_job_by_the_clock_or_within_the_hour():
    """Beat may restart without its schedule file (a redeployed container), which
    restarts every interval: no job may wait longer than an hour to come (R6, R7)."""
    from datetime import timedelta

    from celery.schedules import crontab
    from django.conf import settings

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        assert isinstance(schedule, crontab) or schedule <= timedelta(hours=1), name
