"""Undo: a finished rollback is undone by rolling back to its safety snapshot
(the same code path), which brings the account back exactly to the state
before the rollback; it can be undone once."""

from __future__ import annotations

import pytest

from backups.restores import start_run, start_undo
from backups.storage import snapshot_storage
from recovery_portal.errors import Conflict
from tests.restores.support import crm_checksum, current_records, finished, snapshot_records

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("option", ["crm_rollback", "full_rollback"])
def test_undo_brings_the_account_back_exactly_to_before_the_rollback(
    celery_worker, changed, option
):
    w = changed
    before = current_records(w.acme.pk)
    before_sum = crm_checksum(w.acme.pk)
    run = finished(start_run(account=w.acme, snapshot=w.snapshot, option=option, actor=w.alice))
    assert run.status == "completed", run.error
    assert current_records(w.acme.pk) != before
    # The safety snapshot holds the state before the rollback.
    assert run.safety_snapshot.kind == "safety"
    assert snapshot_records(run.safety_snapshot) == before

    undo = finished(start_undo(run=run, actor=w.alice))

    assert undo.status == "completed", undo.error
    assert undo.undo_of == run
    assert undo.snapshot == run.safety_snapshot
    assert undo.option == option
    assert current_records(w.acme.pk) == before
    assert crm_checksum(w.acme.pk) == before_sum
    assert undo.result["title"].startswith("Undo of a rollback")

    # A second undo is refused.
    with pytest.raises(Conflict) as refused:
        start_undo(run=run, actor=w.alice)
    assert refused.value.status == 409
    assert "undone already" in refused.value.detail


def test_only_a_completed_rollback_can_be_undone(celery_worker, changed):
    w = changed
    export = finished(
        start_run(account=w.acme, snapshot=w.snapshot, option="csv_export", actor=w.alice)
    )
    with pytest.raises(Conflict):
        start_undo(run=export, actor=w.alice)

    snapshot_storage().delete(w.snapshot.storage_path + "deal.csv.gz")
    failed = finished(
        start_run(account=w.acme, snapshot=w.snapshot, option="crm_rollback", actor=w.alice)
    )
    assert failed.status == "failed"
    with pytest.raises(Conflict):
        start_undo(run=failed, actor=w.alice)
