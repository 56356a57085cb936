"""Log-in and sessions: failed log-ins are limited (django-axes) on the log-in page
and on POST /api/v1/auth/token/; the API is throttled with counters in Redis;
tokens can be revoked; production answers carry secure, HttpOnly cookies, HSTS
and the Content Security Policy (`check --deploy` itself: tests/test_deploy.py);
the CSV download link expires and opens only for the account's administrators
(restore_requests/downloads.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from restore_requests import downloads
from restore_requests.models import RestoreRequest
from tests.factories import PASSWORD

BASE_DIR = Path(__file__).resolve().parents[2]
TOKEN_URL = "/api/v1/auth/token/"
LIMIT = settings.AXES_FAILURE_LIMIT


def _login_page(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def _token(username, password, client=None):
    client = client or APIClient()
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


# --- Lockout on the log-in page ------------------------------------------------------


@pytest.mark.django_db
def test_login_page_locks_a_username_out_after_the_failure_limit_even_with_the_password(alice):
    client = Client()
    for _ in range(LIMIT - 1):
        response = _login_page(client, "alice", "wrong")
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content
    locked = _login_page(client, "alice", "wrong")
    assert locked.status_code == 429
    assert b"Log-in paused" in locked.content
    assert f"try again in {settings.AXES_COOLOFF_TIME.seconds // 60} minutes".encode() in (
        locked.content
    )
    assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    # The right password does not get in while the lockout lasts.
    right = _login_page(client, "alice", PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_page_lockout_is_per_username_and_ends_after_the_cooloff(alice, bob):
    client = Client()
    for _ in range(LIMIT):
        _login_page(client, "alice", "wrong")
    # Another username from the same address is not locked out.
    assert _login_page(client, "bob", PASSWORD).status_code == 302
    # Once the cool-off has passed (the failures are that old), alice gets in again.
    AccessAttempt.objects.filter(username="alice").update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    response = _login_page(Client(), "alice", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_a_successful_login_forgets_earlier_failures(alice):
    client = Client()
    for _ in range(LIMIT - 1):
        _login_page(client, "alice", "wrong")
    assert _login_page(client, "alice", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()


# --- Lockout and throttling on the token endpoint --------------------------------------


@pytest.mark.django_db
def test_token_endpoint_locks_out_after_the_failure_limit_with_429_login_locked(alice):
    for _ in range(LIMIT - 1):
        response = _token("alice", "wrong")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
    locked = _token("alice", "wrong")
    assert locked.status_code == 429
    assert locked.json()["code"] == "login_locked"
    assert "try again in 15 minutes" in locked.json()["detail"]
    assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    right = _token("alice", PASSWORD)
    assert right.status_code == 429
    assert right.json() == locked.json()
    assert not Token.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_page_and_api_failures_count_together_for_one_username(alice):
    """One limit per username and address, whatever the door."""
    client = Client()
    for _ in range(LIMIT - 1):
        _login_page(client, "alice", "wrong")
    assert _token("alice", "wrong").json()["code"] == "login_locked"


@pytest.mark.django_db
def test_token_endpoint_is_throttled_per_address_with_429_throttled(alice):
    """Guessing many usernames from one address meets the "login" rate (per minute)."""
    allowed = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    for i in range(allowed):
        assert _token(f"user{i}", "wrong").status_code == 400
    throttled = _token("alice", PASSWORD)
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0


@pytest.mark.django_db
def test_api_throttles_each_user_with_counters_in_redis(alice, bob, api, monkeypatch):
    rates = {"user": "3/minute", "anon": "2/minute", "login": "20/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    client = api(alice)
    for _ in range(3):
        assert client.get("/api/v1/me/").status_code == 200
    response = client.get("/api/v1/me/")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert cache.get(f"throttle_user_{alice.pk}")  # the counter lives in the cache (Redis)
    # Another user has a counter of their own.
    assert api(bob).get("/api/v1/me/").status_code == 200
    # Anonymous callers are counted per address (on what they may call: the schema).
    anonymous = APIClient()
    assert [anonymous.get("/api/schema/").status_code for _ in range(3)] == [200, 200, 429]


# --- Tokens can be revoked -------------------------------------------------------------


@pytest.mark.django_db
def test_a_revoked_token_answers_401_and_a_new_one_can_be_taken(alice):
    key = _token("alice", PASSWORD).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").json()["username"] == "alice"
    revoked = client.delete("/api/v1/auth/token/current/")
    assert revoked.status_code == 204
    assert not Token.objects.filter(key=key).exists()
    after = client.get("/api/v1/me/")
    assert after.status_code == 401
    assert after.json()["code"] == "authentication_failed"
    assert client.delete("/api/v1/auth/token/current/").status_code == 401
    new_key = _token("alice", PASSWORD).json()["token"]
    assert new_key != key


@pytest.mark.django_db
def test_revoking_without_credentials_is_401(db):
    response = APIClient().delete("/api/v1/auth/token/current/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- Production answers: cookies, HSTS, CSP ------------------------------------------------


PRODUCTION_PROBE = """
import json, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery_portal.settings")
django.setup()
from django.test import Client
client = Client()
page = client.get("/login/", secure=True)
plain = client.get("/login/")
login = client.post(
    "/login/",
    {"username": os.environ["PROBE_USER"], "password": os.environ["PROBE_PASSWORD"],
     "csrfmiddlewaretoken": page.cookies["csrftoken"].value},
    secure=True,
)
def flags(morsel):
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"]}
print(json.dumps({
    "status": page.status_code,
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "hsts": page.get("Strict-Transport-Security", ""),
    "csp": page.get("Content-Security-Policy", ""),
    "nosniff": page.get("X-Content-Type-Options", ""),
    "frame": page.get("X-Frame-Options", ""),
    "csrf_cookie": flags(page.cookies["csrftoken"]),
    "login_status": login.status_code,
    "session_cookie": flags(login.cookies["sessionid"]),
}))
"""


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"  # noqa: E501


@pytest.mark.django_db(transaction=True)
def test_production_answers_have_secure_httponly_cookies_hsts_and_the_csp(acme, tmp_path):
    from tests.factories import member

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        member(acme, "admin", username="prod_admin")
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 64,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=_database_url(),
        PROBE_USER="prod_admin",
        PROBE_PASSWORD=PASSWORD,
        STATIC_ROOT=str(tmp_path / "static"),
    )
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] == 200
    assert seen["plain_status"] == 301 and seen["plain_location"].startswith("https://")
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["nosniff"] == "nosniff" and seen["frame"] == "DENY"
    csp = dict(part.strip().split(" ", 1) for part in seen["csp"].split(";"))
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"  # no inline script, no eval
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    assert seen["csrf_cookie"] == {"secure": True, "httponly": False, "samesite": "Lax"}
    assert seen["login_status"] == 302
    assert seen["session_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}


# --- The CSV download link (restore_requests/downloads.py) -------------------------------


def _old_token(pk: int) -> str:
    """A link signed LINK_MAX_AGE seconds and a minute ago."""
    signer = signing.TimestampSigner(salt=downloads.LINK_SALT)
    then = signing.b62_encode(int(time.time()) - downloads.LINK_MAX_AGE - 60)
    return signing.Signer.sign(signer, f"{pk}{signer.sep}{then}")


@pytest.mark.django_db(transaction=True)
def test_download_link_expires_and_opens_only_for_the_accounts_administrators():
    from .world import build_world

    world = build_world()
    pk = world.ids["request_csv_done"]
    link = downloads.signed_link(RestoreRequest.objects.get(pk=pk))

    def get(caller, url):
        return world.client(caller, session=True).get(url)

    ok = get("admin", link)
    assert ok.status_code == 200
    assert ok["Content-Type"] == "application/zip"
    assert ok["Content-Disposition"].startswith('attachment; filename="acme-crm-')
    ok.close()
    # Not for an employee of the account, nor helpdesk staff, nor anyone signed out.
    assert get("employee", link).status_code == 403
    assert get("helpdesk", link).status_code == 403
    assert get("anonymous", link)["Location"].startswith(reverse("login"))
    # Another account's administrator: the link is not valid for his account.
    foreign = get("other_admin", link)
    assert foreign.status_code == 404
    assert b"This download link is not valid for your account." in foreign.content
    # Expired after LINK_MAX_AGE, even for the administrator.
    expired = get("admin", reverse("restore_requests:download", args=[_old_token(pk)]))
    assert expired.status_code == 404
    assert b"This download link has expired" in expired.content
    # Altered: another request's id under the same signature.
    token = link.rstrip("/").split("/")[-1]
    forged = token.replace(f"{pk}:", f"{pk + 1}:", 1)
    altered = get("admin", reverse("restore_requests:download", args=[forged]))
    assert altered.status_code == 404
    assert b"This download link is not valid." in altered.content
