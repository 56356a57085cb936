"""An alert's e-mails are sent by the Celery worker, never by the request that
deleted (issue 11): 150 contacts deleted by one employee make exactly one e-mail
to each administrator, written by the worker's file e-mail backend; the same
task delivered twice sends them once."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import Alert
from alerts.tasks import send_alert_emails
from tests.worker import task_finished, wait_for, wait_for_task, worker_mails

from .conftest import alerts_of, contacts, filler_contacts

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _mails(worker, alert_id: int) -> list:
    return worker_mails(worker, f"/alerts/{alert_id}/")


def test_150_deletions_by_one_employee_email_each_administrator_once_from_the_worker(
    celery_worker, acme, admins, bob, api
):
    ids = contacts(acme, 180)
    filler_contacts(acme, 820)
    mail.outbox.clear()

    response = api(bob).post("/api/v1/crm/contacts/bulk-delete/", {"ids": ids[:150]})

    assert response.status_code == 200, response.content
    (alert,) = alerts_of(acme)
    assert mail.outbox == []  # the deleting process sent nothing
    wait_for(lambda: len(_mails(celery_worker, alert.pk)) >= len(admins), "the alert's e-mails")
    # The burst goes on: the alert grows, and nobody gets a second e-mail.
    response = api(bob).post("/api/v1/crm/contacts/bulk-delete/", {"ids": ids[150:]})
    assert response.status_code == 200, response.content
    (grown,) = alerts_of(acme)
    assert grown.pk == alert.pk and grown.counts == {"contact": 180}
    time.sleep(2)  # time enough for a stray second e-mail task to have run

    mails = _mails(celery_worker, alert.pk)
    assert sorted(m["To"] for m in mails) == sorted(u.email for u in admins)
    assert all(m["Subject"] == "Mass deletion in Acme: bob deleted 150 contacts" for m in mails)
    assert all("(Europe/Rome), by api." in m.get_payload() for m in mails)
    assert mail.outbox == []
    grown.refresh_from_db()
    assert grown.notified_at is not None


def test_the_same_task_delivered_twice_sends_the_emails_once(celery_worker, acme, admins, bob):
    now = timezone.now()
    alert = Alert.objects.create(
        account=acme,
        kind=Alert.Kind.ACTOR,
        burst_key=f"user:{bob.pk}",
        actor_id=bob.pk,
        actor_name="bob",
        actors=["bob"],
        counts={"contact": 150},
        paths={"bulk action": 150},
        started_at=now,
        last_at=now,
    )

    sent = [send_alert_emails.delay(alert.pk), send_alert_emails.delay(alert.pk)]

    for task in sent:
        wait_for_task(celery_worker, task.id, "both deliveries")
    mails = _mails(celery_worker, alert.pk)
    assert sorted(m["To"] for m in mails) == sorted(u.email for u in admins)
    finished = [task_finished(celery_worker, task.id) for task in sent]
    assert sorted(line.rsplit(": ", 1)[-1] for line in finished) == ["0", str(len(admins))]
