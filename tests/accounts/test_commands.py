"""The operators' provisioning commands: create_account (prints the account id),
create_user and create_helpdesk_user. Each refuses bad input with a clear
message and a non-zero exit, and writes nothing."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import Account, Membership, Plan, Role
from accounts.tenancy import is_helpdesk

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "a-long-enough-secret-7"
BASE_DIR = Path(settings.BASE_DIR)


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _create_account(name="Initech", **overrides) -> list[str]:
    options = {"--plan": "standard", "--timezone": "Europe/Berlin", "--admin": "peter"}
    options.update(overrides)
    args = ["create_account", name, "--password", PASSWORD]
    for key, value in options.items():
        args += [key, value]
    return args


# --- create_account ---------------------------------------------------------------------


def test_create_account_prints_the_new_accounts_id_and_makes_its_administrator():
    out = _run(*_create_account())
    account = Account.objects.get(name="Initech")
    assert out.strip() == str(account.pk)
    assert (account.plan, account.timezone) == (Plan.STANDARD, "Europe/Berlin")
    membership = Membership.objects.get(user__username="peter")
    assert (membership.account, membership.role) == (account, Role.ADMIN)
    assert User.objects.get(username="peter").check_password(PASSWORD)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"--plan": "gold"}, "Unknown plan “gold”"),
        ({"--timezone": "Mars/Olympus"}, "“Mars/Olympus” is not a known time zone"),
        ({"--admin": "  "}, "A username is required."),
        ({"--admin": "peter griffin"}, "username: Enter a valid username"),
        ({"--admin": "p" * 151}, "username: Ensure this value has at most 150 characters"),
    ],
)
def test_create_account_refuses_bad_input_and_writes_nothing(overrides, message):
    with pytest.raises(CommandError, match=message):
        _run(*_create_account(**overrides))
    assert not Account.objects.exists()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "A name is required."),
        ("I" * 201, "name: Ensure this value has at most 200 characters"),
        ("Init\x00ech", "name: Null characters are not allowed."),
    ],
)
def test_create_account_refuses_a_bad_name(name, message):
    with pytest.raises(CommandError, match=message):
        _run(*_create_account(name=name))
    assert not Account.objects.exists()


def test_create_account_refuses_a_short_password():
    args = _create_account()
    args[args.index("--password") + 1] = "short"
    with pytest.raises(CommandError, match="password: This password is too short"):
        _run(*args)
    assert not Account.objects.exists()


def test_create_account_refuses_a_name_or_a_username_that_is_taken():
    _run(*_create_account())
    with pytest.raises(CommandError, match="An account named “initech” exists already"):
        _run(*_create_account(name="initech", **{"--admin": "someone"}))
    with pytest.raises(CommandError, match="The username “peter” is taken"):
        _run(*_create_account(name="Initrode"))
    assert list(Account.objects.values_list("name", flat=True)) == ["Initech"]


def test_create_account_requires_every_option():
    with pytest.raises(CommandError, match="--plan"):
        _run("create_account", "Initech", "--timezone", "UTC", "--admin", "p", "--password", "x")


def test_create_account_refuses_bad_input_with_a_non_zero_exit(db):
    """The command line, as an operator runs it: the message on stderr, exit code 1."""
    s = connection.settings_dict
    server = f"{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    env = {**os.environ, "DATABASE_URL": f"postgres://{server}/{s['NAME']}"}
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *_create_account(**{"--plan": "gold"})],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "CommandError: plan: Unknown plan “gold”" in result.stderr
    assert result.stdout == ""


# --- create_user ------------------------------------------------------------------------------


@pytest.fixture
def initech(db):
    _run(*_create_account())
    return Account.objects.get(name="Initech")


@pytest.mark.parametrize("role", ["employee", "admin"])
def test_create_user_adds_a_member_with_the_role(initech, role):
    out = _run(
        "create_user",
        "milton",
        "--password",
        PASSWORD,
        "--account",
        str(initech.pk),
        "--role",
        role,
    )
    assert "Created milton" in out
    membership = Membership.objects.get(user__username="milton")
    assert (membership.account, membership.role) == (initech, role)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "999999", "--role", "employee"], "There is no account with id 999999"),
        (["--account", "initech", "--role", "employee"], "invalid int value"),
        (["--account", "{id}", "--role", "boss"], "invalid choice: 'boss'"),
        (["--account", "{id}", "--role", "employee", "--password", "123"], "password:"),
        (["--account", "{id}"], "--role"),
        (["--account", "{id}", "--role", "employee", "--email", "milton@"], "email:"),
    ],
)
def test_create_user_refuses_bad_input_and_writes_nothing(initech, args, message):
    args = [a.replace("{id}", str(initech.pk)) for a in args]
    if "--password" not in args:
        args += ["--password", PASSWORD]
    with pytest.raises(CommandError, match=message):
        _run("create_user", "milton", *args)
    assert not User.objects.filter(username="milton").exists()


def test_create_user_refuses_a_username_that_is_taken(initech):
    with pytest.raises(CommandError, match="The username “Peter” is taken"):
        _run(
            "create_user", "Peter", "--password", PASSWORD, "--account", str(initech.pk),
            "--role", "employee",
        )  # fmt: skip
    assert User.objects.count() == 1


# --- create_helpdesk_user -----------------------------------------------------------------------


def test_create_helpdesk_user_makes_staff_in_the_helpdesk_group_and_in_no_account():
    out = _run("create_helpdesk_user", "helen", "--password", PASSWORD)
    assert "Created helpdesk user helen" in out
    user = User.objects.get(username="helen")
    assert is_helpdesk(user)
    assert user.is_staff and not user.is_superuser
    assert not Membership.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["helen", "--password", "short"], "password: This password is too short"),
        (["", "--password", PASSWORD], "A username is required."),
        (["helen"], "--password"),
    ],
)
def test_create_helpdesk_user_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        _run("create_helpdesk_user", *args)
    assert not User.objects.exists()
