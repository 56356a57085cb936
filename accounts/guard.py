"""The account-wide write guard (architecture.md, "Known traps").

Every CRM write calls `ensure_account_writable` inside its transaction: on
PostgreSQL it takes a shared transaction-level advisory lock on the account,
and fails at once with 423 `restore_in_progress` when a restore holds the
exclusive lock. A restore takes the exclusive lock with `account_writes_blocked`
before its safety snapshot and keeps it to the end; a dead worker's lock goes
with its connection. Where advisory locks do not exist (the SQLite demo) a flag
on the account does the same job.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connections, transaction

from recovery_portal.errors import DeletionsSuspended, RestoreInProgress

from .models import Account, Membership

LOCK_NAMESPACE = 0x5250  # "RP": keeps our advisory locks apart from anyone else's


def account_lock_key(account_id: int) -> int:
    return (LOCK_NAMESPACE << 32) | int(account_id)


def ensure_account_writable(account_id: int, *, using: str = "default") -> None:
    """Refuse the write (423) while a restore of the account is running.

    Must be called inside the write's transaction: the shared lock is held
    until it commits, so a restore cannot start half-way through the write.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock_shared(%s)", [account_lock_key(account_id)]
            )
            if not cursor.fetchone()[0]:
                raise RestoreInProgress()
    elif Account.objects.using(using).filter(pk=account_id, restore_in_progress=True).exists():
        raise RestoreInProgress()


def ensure_may_delete(account_id: int, user_id: int | None, *, using: str = "default") -> None:
    """Refuse a delete (403 deletions_suspended) by a member whose deletions an
    administrator suspended from a mass-deletion alert."""
    if user_id is None:
        return
    if (
        Membership.objects.using(using)
        .filter(account_id=account_id, user_id=user_id, deletions_suspended_at__isnull=False)
        .exists()
    ):
        raise DeletionsSuspended(
            "An administrator has suspended your deletions after a mass deletion; "
            "ask them to lift it."
        )


def account_is_being_restored(account_id: int, *, using: str = "default") -> bool:
    """For banners: true while a restore holds the account's writes."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock_shared(%s)", [account_lock_key(account_id)]
            )
            return not cursor.fetchone()[0]
    return Account.objects.using(using).filter(pk=account_id, restore_in_progress=True).exists()


@contextmanager
def account_writes_blocked(account_id: int, *, using: str = "default", timeout_ms: int = 60_000):
    """Hold the account's exclusive write lock for the duration of the block.

    Waits (up to `timeout_ms`) for writes already under way to commit, so each
    of them is in whatever the holder reads next. Must be entered outside any
    transaction: the lock belongs to the session, not to a transaction.
    """
    connection = connections[using]
    key = account_lock_key(account_id)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = %s", [f"{int(timeout_ms)}ms"])
            try:
                cursor.execute("SELECT pg_advisory_lock(%s)", [key])
            finally:
                cursor.execute("SET lock_timeout = DEFAULT")
        try:
            yield
        finally:
            if connection.connection is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    else:
        Account.objects.using(using).filter(pk=account_id).update(restore_in_progress=True)
        try:
            yield
        finally:
            Account.objects.using(using).filter(pk=account_id).update(restore_in_progress=False)
