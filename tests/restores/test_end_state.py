"""R12/R13 on a real worker: each option's exact end state, record by record
against the snapshot; what each option leaves alone (products and custom field
definitions for the CRM rollback, the whole account for the CSV file); and
other accounts never touched."""

from __future__ import annotations

import pytest

from backups.restores import start_run
from tests.restores.support import (
    CRM_TYPES,
    crm_checksum,
    current_records,
    finished,
    rows_checksum,
    snapshot_records,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _run(world, option):
    run = start_run(account=world.acme, snapshot=world.snapshot, option=option, actor=world.alice)
    run = finished(run)
    assert run.status == "completed", run.error
    assert run.phase == "done"
    types = CRM_TYPES if option != "full_rollback" else list(world.snapshot.row_counts)
    assert run.rows_done == run.rows_total == sum(world.snapshot.row_counts[t] for t in types)
    assert run.progress == 100
    return run


def test_r12_crm_rollback_returns_the_crm_module_exactly_to_the_snapshot(celery_worker, changed):
    w = changed
    before = current_records(w.acme.pk)
    others = rows_checksum(other_than=w.acme.pk)

    _run(w, "crm_rollback")

    after = current_records(w.acme.pk)
    wanted = snapshot_records(w.snapshot)
    for entity_type in CRM_TYPES:
        assert after[entity_type] == wanted[entity_type], entity_type
    # R10: the whole account, whoever made the change: alice's and bob's work alike.
    ids = w.ids
    assert ids["newco"] not in after["company"]
    assert ids["nina"] not in after["contact"]
    assert ids["new_deal"] not in after["deal"]
    assert ids["new_lead"] not in after["lead"]
    # Deleted records are back with their original ids and links.
    assert after["company"][ids["formula_co"]]["title"] == '=HYPERLINK("http://evil.example")'
    assert after["contact"][ids["anna"]]["company_id"] == ids["formula_co"]
    assert after["deal"][ids["d2"]]["company_id"] == ids["formula_co"]
    assert after["deal"][ids["d3"]]["contact_id"] == ids["luca"]
    assert after["contact"][ids["luca"]]["company_id"] == ids["citta"]
    # Changed records have their old values, custom field values included.
    assert after["contact"][ids["mario"]]["last_name"] == "Rossi"
    assert after["contact"][ids["mario"]]["custom_fields"] == {"UF_CRM_SIZE": "L"}
    assert after["deal"][ids["d1"]]["stage_id"] == "NEW"
    # R13: products and custom field definitions stay as they are now.
    assert after["product"] == before["product"]
    assert after["custom_field"] == before["custom_field"]
    assert ids["support"] not in after["product"]
    assert ids["cf_budget"] not in after["custom_field"]
    assert rows_checksum(other_than=w.acme.pk) == others


def test_r13_full_rollback_returns_every_module_including_products_and_custom_fields(
    celery_worker, changed
):
    w = changed
    others = rows_checksum(other_than=w.acme.pk)

    _run(w, "full_rollback")

    after = current_records(w.acme.pk)
    assert after == snapshot_records(w.snapshot)
    # R13: the deleted product and custom field are back, the new ones gone.
    assert after["product"][w.ids["support"]]["name"] == 'Support "Gold"'
    assert after["product"][w.ids["licence"]]["price"] == "100.00"
    assert w.ids["consulting"] not in after["product"]
    assert after["custom_field"][w.ids["cf_budget"]]["code"] == "UF_CRM_BUDGET"
    assert w.ids["cf_new"] not in after["custom_field"]
    assert rows_checksum(other_than=w.acme.pk) == others


def test_r12_rollback_leaves_users_memberships_and_plan_alone(celery_worker, changed):
    w = changed
    w.acme.plan = "standard"
    w.acme.save(update_fields=["plan"])
    members = sorted(w.acme.memberships.values_list("user_id", "role"))

    _run(w, "full_rollback")

    w.acme.refresh_from_db()
    assert w.acme.plan == "standard"
    assert sorted(w.acme.memberships.values_list("user_id", "role")) == members
    assert w.alice.is_active and w.bob.is_active


def test_r12_csv_export_changes_nothing_in_the_account(celery_worker, changed):
    w = changed
    mine = rows_checksum(account_id=w.acme.pk)
    others = rows_checksum(other_than=w.acme.pk)

    run = _run(w, "csv_export")

    assert run.export_path
    assert rows_checksum(account_id=w.acme.pk) == mine
    assert rows_checksum(other_than=w.acme.pk) == others
    assert run.safety_snapshot is None
    assert run.result["counts"]["contact"]["total"] == len(
        snapshot_records(w.snapshot, ["contact"])["contact"]
    )


def test_a_rollback_to_a_snapshot_that_holds_the_current_state_changes_nothing(
    celery_worker, world
):
    w = world
    mine = crm_checksum(w.acme.pk)

    run = _run(w, "full_rollback")

    assert crm_checksum(w.acme.pk) == mine
    assert all(c["back"] == c["lost"] == c["reverted"] == 0 for c in run.result["counts"].values())
