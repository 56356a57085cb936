"""What the benchmark scripts share: the environment they run Django in, their
scratch database (created, or dropped and created again with --fresh, or
always created anew; its name must contain "bench"), Django set up on it with
the migrations applied, and progress lines.

A script runs as `.venv/bin/python bench/<name>.py`, so this folder is on its
import path: `from _common import ...`. Call `bench_environment` before
anything imports Django's settings.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-any-deployment-0123456789"


def bench_environment(
    default_url: str,
    *,
    test_client: bool = False,
    tasks_in_process: bool = False,
    scratch_media: str | None = None,
) -> None:
    """The project importable, DATABASE_URL defaulting to `default_url`, and
    production's DEBUG=0 (no query log, cached templates). `test_client`: Django's
    test client may call the pages (plain HTTP, host "testserver").
    `tasks_in_process`: no broker, so tasks run eagerly in this process (no worker).
    `scratch_media`: unless MEDIA_ROOT is set, the snapshot files go to a new
    temporary folder whose name starts with it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DATABASE_URL", default_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery_portal.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    if test_client:
        os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
        os.environ["SECURE_SSL_REDIRECT"] = "0"
    if tasks_in_process:
        os.environ.pop("CELERY_BROKER_URL", None)
    if scratch_media is not None and "MEDIA_ROOT" not in os.environ:
        os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix=scratch_media)


def say(text: str) -> None:
    print(text, flush=True)


def _server_connection(url: str):
    """The database name `url` names and an autocommit connection to the server's
    "postgres" database, to create or drop it. Refuses anything but PostgreSQL and
    a name without "bench"."""
    import environ
    import psycopg2

    config = environ.Env.db_url_config(url)
    name = config["NAME"]
    if "postgresql" not in config["ENGINE"]:
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    if "bench" not in name:
        sys.exit(f"Refusing to use database {name!r}: its name must contain 'bench' (scratch).")
    conn = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    conn.autocommit = True
    return name, conn


def ensure_database(url: str, *, fresh: bool) -> None:
    """Create the scratch database `url` names if it does not exist; drop and create
    it again with `fresh`."""
    from psycopg2 import sql

    name, conn = _server_connection(url)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cur.fetchone() is not None
        if exists and fresh:
            say(f"Dropping database {name} (--fresh)")
            cur.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            exists = False
        if not exists:
            say(f"Creating database {name}")
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def recreate_database(url: str) -> None:
    """Drop the scratch database `url` names if it exists, and create it empty."""
    from psycopg2 import sql

    name, conn = _server_connection(url)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()
    say(f"Created database {name}")


def setup_django(*, migrate: bool = True) -> None:
    """django.setup(), then the migrations unless `migrate` is False (a child process
    working on a database its parent prepared)."""
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, skip_checks=True)
