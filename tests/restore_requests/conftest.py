"""What the restore request tests share: helpdesk staff with an e-mail address,
snapshot rows, requests brought to each state through the services, and a
picture of everything a refused call must leave unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.actors import Actor, Source
from accounts.services import helpdesk_user_create
from backups.models import Snapshot
from backups.restore_models import RestoreRun
from crm import services as crm_services
from restore_requests import services
from restore_requests.models import (
    Candidate,
    DeletionReport,
    Message,
    RequestRun,
    RestoreRequest,
    Status,
    Transition,
)
from tests.factories import PASSWORD


@pytest.fixture
def helen(db):
    """Helpdesk staff, with an address for the e-mails the helpdesk gets."""
    user = helpdesk_user_create(username="helen", password=PASSWORD, email="helen@vendor.example")
    return user


def snapshot_row(account, *, ago: timedelta = timedelta(hours=3), kind: str = "daily"):
    """A complete snapshot row as the backups app records it, taken `ago`. It has
    no files: the tests using it never read a snapshot (no preview, no run)."""
    taken = timezone.now() - ago
    return Snapshot.objects.create(
        account=account,
        kind=kind,
        status=Snapshot.Status.COMPLETE,
        day=taken.date(),
        taken_at=taken,
        started_at=taken,
        finished_at=taken,
        row_counts={"company": 1, "contact": 4, "lead": 0, "deal": 0},
        size_bytes=1234,
        storage_path=f"snapshots/{account.pk}/none/",
    )


def file_request(account, admin, *, ago=timedelta(hours=1), option="csv_export", note=""):
    return services.request_file(
        account=account,
        actor=admin,
        deleted_at=timezone.now() - ago,
        option=option,
        note=note,
    )


def restore_run_of(request) -> RestoreRun:
    return request.runs.get(purpose=RequestRun.Purpose.RESTORE).run


def engine_event(request, run_status: str, event: str, *, error: str = "") -> RestoreRequest:
    """What the restore engine does when a run starts, completes or fails: its run
    row changes, then it calls the hook restore requests registered."""
    run = restore_run_of(request)
    values = {"status": run_status}
    if run_status == RestoreRun.Status.RUNNING:
        values["started_at"] = timezone.now()
    else:
        values.update(finished_at=timezone.now(), error=error)
    if run_status == RestoreRun.Status.COMPLETED:
        values.update(rows_done=run.rows_total, phase=RestoreRun.Phase.DONE)
    RestoreRun.objects.filter(pk=run.pk).update(**values)
    run.refresh_from_db()
    services.run_changed(run, event)
    request.refresh_from_db()
    return request


def bring_to(state: str, *, account, admin, helpdesk, snapshot, option="csv_export"):
    """A request of `account` in `state`, reached the way a real one gets there."""
    request = file_request(account, admin)
    if state == Status.SUBMITTED:
        return request
    if state == Status.CANCELLED:
        return services.request_cancel(request=request, actor=admin)
    if state == Status.REJECTED:
        return services.request_reject(request=request, reason="Not enough data", actor=helpdesk)
    services.request_propose(
        request=request, snapshot_ids=[snapshot.pk], message="Try this one", actor=helpdesk
    )
    request.refresh_from_db()
    if state == Status.PROPOSED:
        return request
    services.request_confirm(
        request=request,
        snapshot_id=snapshot.pk,
        option=option,
        confirm_account_name=account.name,
        actor=admin,
    )
    request.refresh_from_db()
    if state == Status.CONFIRMED:
        return request
    engine_event(request, RestoreRun.Status.RUNNING, "started")
    if state == Status.RUNNING:
        return request
    if state == Status.COMPLETED:
        return engine_event(request, RestoreRun.Status.COMPLETED, "completed")
    if state == Status.FAILED:
        return engine_event(request, RestoreRun.Status.FAILED, "failed", error="Disk full")
    raise AssertionError(state)


def picture(request) -> dict:
    """Everything about a request that a refused call must leave as it was."""
    row = RestoreRequest.objects.filter(pk=request.pk).values().get()
    return {
        "row": row,
        "transitions": list(Transition.objects.filter(request=request).values()),
        "candidates": list(Candidate.objects.filter(request=request).values()),
        "messages": list(Message.objects.filter(request=request).values()),
        "runs": list(RestoreRun.objects.filter(account_id=request.account_id).values()),
        "reports": list(DeletionReport.objects.values()),
    }


DEFAULT_VALUES = {
    "company": {"title": "Acme Srl"},
    "contact": {"name": "Mario", "last_name": "Rossi"},
    "lead": {"title": "Website enquiry"},
    "deal": {"title": "Annual licence"},
    "product": {"name": "Licence", "price": "100.00"},
}


def seed_deleted(account, entity_type: str, n: int, *, at, by=None) -> list[int]:
    """`n` records of `entity_type` created an hour before `at`, then deleted
    together at `at` (one bulk delete, one History event each), through the services."""
    actor = Actor.for_user(by, Source.PAGE) if by else Actor.system(source=Source.COMMAND)
    ids = []
    for i in range(n):
        if entity_type == "custom_field":
            values = {"entity_type": "contact", "code": f"UF_CRM_F{i}", "label": f"Field {i}"}
        else:
            values = dict(DEFAULT_VALUES[entity_type])
        if entity_type == "contact":
            values["name"] = f"Person {i}"
        obj = crm_services.record_create(
            account=account,
            entity_type=entity_type,
            values=values,
            actor=actor,
            now=at - timedelta(hours=1),
        )
        ids.append(obj.pk)
    crm_services.records_bulk_delete(
        account=account, entity_type=entity_type, ids=ids, actor=actor, now=at
    )
    return ids
