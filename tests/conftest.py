"""The cast every test module shares (healthchecks' habit): alice administers
Acme, bob is an employee of Acme, charlie administers Globex, helen is helpdesk
staff; plus API clients that authenticate with real tokens."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test.utils import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Plan, Role
from accounts.services import helpdesk_user_create
from tests.factories import PASSWORD, AccountFactory, member

pytest_plugins = ["tests.worker"]


@pytest.fixture(scope="session", autouse=True)
def _media_root(tmp_path_factory):
    """Files the tests write (snapshots, exports) go to a folder of this run, never
    var/media; the Celery worker started by tests/worker.py inherits it."""
    root = tmp_path_factory.mktemp("media")
    os.environ["MEDIA_ROOT"] = str(root)
    with override_settings(MEDIA_ROOT=str(root)):
        yield root


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Every test makes users; the production hasher takes a third of a second per
    password by design. Tests use a fast one (passwords still checked for real)."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def reset_throttle_counters() -> None:
    """Forget the API's throttle counters (DRF keeps them in the cache, Redis here):
    each test starts with none, whatever the tests before it sent."""
    from django.core.cache import cache

    client = getattr(cache, "_cache", None)
    if client is None or not hasattr(client, "get_client"):
        cache.clear()  # a local-memory cache: nothing else lives in it
        return
    redis = client.get_client(write=True)
    keys = list(redis.scan_iter(match=cache.make_key("throttle_") + "*", count=1000))
    if keys:
        redis.delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    reset_throttle_counters()


@pytest.fixture(autouse=True)
def _require_postgresql(request):
    """The suite runs on PostgreSQL, where the product runs (the demo's SQLite path
    has its own smoke test, in a subprocess)."""
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        assert connection.vendor == "postgresql", "Set DATABASE_URL to a PostgreSQL database."


@pytest.fixture
def acme(db):
    return AccountFactory(name="Acme", plan=Plan.PROFESSIONAL, timezone="Europe/Rome")


@pytest.fixture
def globex(db):
    return AccountFactory(name="Globex", plan=Plan.PROFESSIONAL, timezone="America/New_York")


@pytest.fixture
def alice(acme):
    return member(acme, Role.ADMIN, username="alice")


@pytest.fixture
def bob(acme):
    return member(acme, Role.EMPLOYEE, username="bob")


@pytest.fixture
def charlie(globex):
    return member(globex, Role.ADMIN, username="charlie")


@pytest.fixture
def helen(db):
    return helpdesk_user_create(username="helen", password=PASSWORD)


def _api_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api():
    """api(user) → an APIClient authenticated with the user's token; api(None) is anonymous."""
    return _api_client


@pytest.fixture
def page():
    """page(user) → a Django test client logged in as the user (session and CSRF)."""
    from django.test import Client

    def make(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
