"""The preview (R16: shown before confirming): per entity type, what comes back,
what created since is lost, what changed since reverts, with samples; it
changes nothing, and the rollback then does exactly what it said."""

from __future__ import annotations

import pytest

from backups.restores import execute_run, preview
from backups.snapshots import take_snapshot
from crm.records import title_of
from crm.registry import entity
from recovery_portal.errors import NotFound
from tests.restores.support import (
    CRM_TYPES,
    current_records,
    new_run,
    rows_checksum,
    run_events,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("option", ["crm_rollback", "full_rollback"])
def test_the_preview_says_what_the_rollback_then_does_and_changes_nothing(changed, option):
    w = changed
    mine = rows_checksum(account_id=w.acme.pk)
    before = current_records(w.acme.pk)

    shown = preview(account=w.acme, snapshot=w.snapshot, option=option, samples=50)

    assert rows_checksum(account_id=w.acme.pk) == mine  # a preview changes nothing
    run = new_run(w.acme, w.snapshot, option, w.alice)
    execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == "completed", run.error
    rows = {row.entity_type: row for row in shown.rows}
    assert list(rows) == [*CRM_TYPES, "product", "custom_field"]
    events = run_events(run)
    for entity_type, row in rows.items():
        et = entity(entity_type)
        in_scope = option == "full_rollback" or entity_type in CRM_TYPES
        assert row.affected is in_scope
        if not in_scope:
            continue
        counts = run.result["counts"][entity_type]
        assert (row.total, row.back, row.lost, row.reverted) == (
            counts["total"],
            counts["back"],
            counts["lost"],
            counts["reverted"],
        )
        assert row.unchanged == row.total - row.back - row.reverted
        mine_events = events.filter(entity_type=entity_type)
        back = {e.title for e in mine_events.filter(action="restore")}
        lost = {e.title for e in mine_events.filter(action="delete")}
        reverted_ids = set(mine_events.filter(action="update").values_list("entity_id", flat=True))
        # Reverted records are shown by their title now (what the administrator knows).
        reverted = {title_of(et, before[entity_type][i]) for i in reverted_ids}
        assert set(row.samples_back) == back
        assert set(row.samples_lost) == lost
        assert set(row.samples_reverted) == reverted


def test_the_preview_of_the_csv_file_changes_nothing_and_counts_what_comes_back(changed):
    w = changed
    mine = rows_checksum(account_id=w.acme.pk)

    shown = preview(account=w.acme, snapshot=w.snapshot, option="csv_export")

    assert rows_checksum(account_id=w.acme.pk) == mine
    assert shown.changes_nothing
    rows = {row.entity_type: row for row in shown.rows}
    assert rows["company"].back == 2  # formula_co and citta, deleted since
    assert rows["contact"].back == 1
    assert not rows["product"].affected
    assert [e["entity_type"] for e in shown.as_dict()["entities"]][:4] == CRM_TYPES


def test_the_preview_samples_are_limited_and_in_id_order(changed):
    w = changed
    shown = preview(account=w.acme, snapshot=w.snapshot, option="crm_rollback", samples=1)
    rows = {row.entity_type: row for row in shown.rows}
    assert rows["company"].back == 2
    assert rows["company"].samples_back == ['=HYPERLINK("http://evil.example")']  # lowest id


def test_the_preview_of_another_accounts_snapshot_is_not_found(changed):
    w = changed
    theirs = take_snapshot(w.globex)
    with pytest.raises(NotFound):
        preview(account=w.acme, snapshot=theirs, option="crm_rollback")
