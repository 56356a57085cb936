"""A rollback is all or nothing, on a real worker: a damaged snapshot is refused
before anything changes; a worker killed half-way through the rollback's
transaction leaves the account exactly as it was and the run failed once a
worker is back; CRM writes meanwhile get 423 and are never silently lost; a
write under way when the rollback starts is waited for and kept for the undo."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections, transaction

from accounts.guard import account_lock_key
from backups.restore_models import RestoreRun
from backups.restores import WORKER_LOST, start_run
from backups.snapshots import take_snapshot
from backups.storage import snapshot_storage
from crm import services
from crm.registry import entity
from tests.factories import actor_for, make
from tests.faults.support import big_account
from tests.restores.support import (
    backend_gone,
    backend_waiting_on,
    backend_waiting_on_advisory,
    crm_checksum,
    current_records,
    finished,
    rows_checksum,
    run_events,
    snapshot_records,
    table_locked,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CONTACTS_URL = "/api/v1/crm/contacts/"


def _rewrite(path: str, data: bytes) -> None:
    storage = snapshot_storage()
    storage.delete(path)
    assert storage.save(path, io.BytesIO(data)) == path


def _read(path: str) -> bytes:
    with snapshot_storage().open(path, "rb") as f:
        return f.read()


def _flip(path):
    data = bytearray(_read(path))
    data[len(data) // 2] ^= 0x10
    _rewrite(path, bytes(data))
    return "checksum mismatch"


def _truncate(path):
    _rewrite(path, _read(path)[:-9])
    return "truncated"


def _delete(path):
    snapshot_storage().delete(path)
    return "missing"


@pytest.mark.parametrize("option", ["crm_rollback", "full_rollback", "csv_export"])
@pytest.mark.parametrize("damage", [_flip, _truncate, _delete], ids=["flip", "truncate", "delete"])
def test_a_damaged_snapshot_is_refused_naming_the_file_and_nothing_changes(
    celery_worker, changed, damage, option
):
    w = changed
    path = w.snapshot.storage_path + "contact.csv.gz"
    what = damage(path)
    mine = rows_checksum(account_id=w.acme.pk)
    others = rows_checksum(other_than=w.acme.pk)

    run = finished(start_run(account=w.acme, snapshot=w.snapshot, option=option, actor=w.alice))

    assert run.status == "failed"
    assert "contact.csv.gz" in run.error and what in run.error
    assert f"snapshot #{w.snapshot.pk}" in run.error
    assert run.finished_at is not None
    assert run.safety_snapshot is None  # refused before the safety snapshot
    assert not run.export_path
    assert rows_checksum(account_id=w.acme.pk) == mine  # not even a History event
    assert rows_checksum(other_than=w.acme.pk) == others
    # The write guard is released: the account takes writes again.
    make(w.acme, "contact", actor_for(w.alice), name="After the refusal")


def test_a_worker_killed_mid_rollback_leaves_the_account_as_it_was_and_the_run_failed(
    celery_worker, acme, globex, alice, charlie
):
    make(globex, "contact", actor_for(charlie), name="Globex person")
    big_account(acme, 10_000)  # 20,000 records
    snapshot = take_snapshot(acme)
    contact_ids = list(
        entity("contact").model.objects.filter(account=acme).values_list("pk", flat=True)[:3000]
    )
    services.records_bulk_delete(
        account=acme, entity_type="contact", ids=contact_ids, actor=actor_for(alice)
    )
    make(acme, "company", actor_for(alice), title="Created after the snapshot")
    before = rows_checksum(account_id=acme.pk)
    others = rows_checksum(other_than=acme.pk)
    deal_table = entity("deal").table

    # The deals table is locked from elsewhere: the rollback's transaction has
    # applied companies, contacts and leads and waits there, half-way.
    with table_locked(deal_table):
        run = start_run(account=acme, snapshot=snapshot, option="crm_rollback", actor=alice)
        wait_for(
            lambda: RestoreRun.objects.filter(pk=run.pk, phase="loading").exists(),
            "the run to be loading",
        )
        pid = wait_for(lambda: backend_waiting_on(deal_table), "the rollback to reach the deals")
        # Writes meanwhile get 423.
        assert services_refused(acme, alice)
        celery_worker.kill()

    wait_for(lambda: backend_gone(pid), "the dead worker's database session to end")
    run.refresh_from_db()
    assert run.status == "running"  # nobody has finished it yet
    assert rows_checksum(account_id=acme.pk) == before  # the transaction never committed

    celery_worker.start()  # the reaper runs at worker start

    run = finished(run)
    assert run.status == "failed"
    assert run.error == WORKER_LOST
    assert rows_checksum(account_id=acme.pk) == before
    assert rows_checksum(other_than=acme.pk) == others
    assert not run_events(run).exists()
    # The account takes writes again.
    make(acme, "contact", actor_for(alice), name="Back to work")


def services_refused(account, user) -> bool:
    from recovery_portal.errors import RestoreInProgress

    try:
        make(account, "contact", actor_for(user), name="During the restore")
    except RestoreInProgress:
        return True
    return False


def test_writes_during_a_rollback_get_423_and_are_never_silently_lost(
    celery_worker, changed, api, page
):
    w = changed
    client = api(w.bob)
    mario, anna = w.ids["mario"], w.ids["anna"]
    deal_table = entity("deal").table

    with table_locked(deal_table):
        run = start_run(account=w.acme, snapshot=w.snapshot, option="crm_rollback", actor=w.alice)
        wait_for(lambda: backend_waiting_on(deal_table), "the rollback to be half-way")
        during = crm_checksum(w.acme.pk)
        answers = [
            client.post(CONTACTS_URL, {"name": "Late", "last_name": "Writer"}, format="json"),
            client.patch(f"{CONTACTS_URL}{mario}/", {"name": "Changed"}, format="json"),
            client.delete(f"{CONTACTS_URL}{anna}/"),
            client.post(f"{CONTACTS_URL}bulk-delete/", {"ids": [mario]}, format="json"),
            client.post(
                "/api/v1/crm/products/", {"name": "Gadget", "price": "1.00"}, format="json"
            ),
        ]
        upload = SimpleUploadedFile("contacts.csv", b"NAME\nImported\n")
        answers.append(client.post("/api/v1/crm/import/", {"file": upload}, format="multipart"))
        for answer in answers:
            assert answer.status_code == 423, answer.content
            assert answer.json()["code"] == "restore_in_progress"
        # A page says so beside the form, and keeps nothing.
        shown = page(w.bob).post(
            "/crm/import/", {"file": SimpleUploadedFile("contacts.csv", b"NAME\nImported\n")}
        )
        assert shown.status_code == 423
        assert "A restore is in progress" in shown.content.decode()
        # Reads still work while the restore runs.
        assert client.get(f"{CONTACTS_URL}{mario}/").status_code == 200
        assert crm_checksum(w.acme.pk) == during

    run = finished(run)
    assert run.status == "completed", run.error
    after = current_records(w.acme.pk)
    assert after["contact"] == snapshot_records(w.snapshot, ["contact"])["contact"]
    assert not any(r["name"] in ("Late", "Imported") for r in after["contact"].values())
    # The guard is released: the same write now succeeds and stays.
    answer = client.post(CONTACTS_URL, {"name": "Late", "last_name": "Writer"}, format="json")
    assert answer.status_code == 201, answer.content
    assert entity("contact").model.objects.filter(account=w.acme, name="Late").exists()


def test_a_write_under_way_when_the_rollback_starts_is_waited_for_and_kept_for_the_undo(
    celery_worker, changed
):
    w = changed
    in_write = threading.Event()
    release = threading.Event()
    created = {}

    def slow_write():
        try:
            with transaction.atomic():
                obj = make(w.acme, "contact", actor_for(w.bob), name="Slow", last_name="Writer")
                created["id"] = obj.pk
                in_write.set()
                release.wait(30)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_write)
    writer.start()
    assert in_write.wait(30)
    run = start_run(account=w.acme, snapshot=w.snapshot, option="crm_rollback", actor=w.alice)
    # The worker has claimed the run and waits for the write's shared lock.
    wait_for(
        lambda: backend_waiting_on_advisory(account_lock_key(w.acme.pk)),
        "the rollback to wait for the write",
    )
    waiting = RestoreRun.objects.get(pk=run.pk)
    assert (waiting.status, waiting.phase) == ("running", "locking")
    release.set()
    writer.join(30)

    run = finished(run)
    assert run.status == "completed", run.error
    # Created after the snapshot: removed by the rollback, but in the safety
    # snapshot (so the undo brings it back) and in the History's delete event.
    contact = created["id"]
    assert not entity("contact").model.objects.filter(pk=contact).exists()
    assert contact in snapshot_records(run.safety_snapshot, ["contact"])["contact"]
    assert (
        run_events(run).filter(entity_type="contact", entity_id=contact, action="delete").exists()
    )
