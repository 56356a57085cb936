"""What the alert tests share. Detection runs on commit of the deleting
transaction, so these tests commit for real (`transaction=True`): an alert
exists as soon as the delete call has returned, with no worker involved.

An alert's e-mails are a Celery task queued when the alert commits. In tests
without the `celery_worker` fixture the task runs in the test process as it is
queued (Celery's eager mode), so `mail.outbox` holds what the administrators
receive; the tests with a worker (test_emails_worker.py) show it sent there."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from accounts.actors import Source
from alerts.models import Alert
from crm import services
from crm.models import Contact
from crm.registry import entity_types
from crm_history.models import Event
from recovery_portal.celery import app as celery_app
from tests.factories import actor_for, make

API = "/api/v1/alerts/"


@pytest.fixture(autouse=True)
def _alert_emails_sent_in_process(request):
    if "celery_worker" in request.fixturenames:
        yield
        return
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager


def contacts(account, n: int, *, by=None, **values) -> list[int]:
    """`n` contacts made through the services; their ids, in order."""
    actor = actor_for(by) if by is not None else None
    return [
        make(account, "contact", actor=actor, name=f"Name{i}", last_name=f"Last{i}", **values).pk
        for i in range(n)
    ]


def filler_contacts(account, n: int) -> None:
    """`n` more contacts in one INSERT, to make an account large (they are not what
    the tests delete or look at, only what a share is computed against)."""
    now = timezone.now()
    Contact.objects.bulk_create(
        [
            Contact(
                account=account, name="Filler", last_name=str(i), created_at=now, updated_at=now
            )
            for i in range(n)
        ],
        batch_size=1000,
    )


def bulk_delete(account, ids, *, by, source: str = Source.PAGE, entity_type: str = "contact"):
    return services.records_bulk_delete(
        account=account, entity_type=entity_type, ids=ids, actor=actor_for(by, source)
    )


def alerts_of(account) -> list[Alert]:
    return list(Alert.objects.filter(account=account).order_by("id"))


def fingerprint() -> dict:
    """Row count and an md5 of every row, per CRM table, and the History's size."""
    prints = {}
    with connection.cursor() as cursor:
        for et in entity_types():
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) "
                f"FROM {et.table} t"
            )
            prints[et.entity_type] = cursor.fetchone()
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM crm_history_event")
        prints["events"] = cursor.fetchone()
    return prints


def deletion_events(account, operation) -> list[Event]:
    return list(
        Event.objects.filter(account=account, operation=operation, action="delete").order_by(
            "entity_id"
        )
    )


@pytest.fixture
def admins(acme, alice):
    """A second administrator of Acme, so "each administrator" means two."""
    from accounts.models import Role
    from tests.factories import member

    return [alice, member(acme, Role.ADMIN, username="amelia")]
