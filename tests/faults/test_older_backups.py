"""Backups written by another version of the code. A snapshot written before a
migration added a column (its file and manifest lack the column, its schema
version is older) restores, the column taking the field's default. A snapshot
that today's code cannot read (a column today's CRM does not know, a newer
format or schema version) is refused with a message saying why, before
anything is done: no row, no History event, no safety snapshot.

The older and newer snapshots are made from a real one by rewriting its
contacts file and its manifest as that version would have written them, with
their checksums recomputed (so they verify as sound)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json

import pytest
from django.core.management import call_command

from backups.models import FORMAT_VERSION, Snapshot
from backups.restores import preview, start_run
from backups.snapshots import take_snapshot
from backups.storage import MANIFEST_NAME, snapshot_storage
from crm.registry import SCHEMA_VERSION, entity
from recovery_portal.errors import DomainError
from tests.factories import actor_for, make
from tests.faults.support import report
from tests.restores.support import (
    current_records,
    finished,
    rows_checksum,
    run_events,
    snapshot_records,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ADDED = "type_id"  # the contact column "added by a later migration" (default CLIENT)
CRM = ["company", "contact", "lead", "deal"]


def _read(path: str) -> bytes:
    with snapshot_storage().open(path, "rb") as f:
        return f.read()


def _write(path: str, data: bytes) -> None:
    storage = snapshot_storage()
    storage.delete(path)
    assert storage.save(path, io.BytesIO(data)) == path


def rewrite(snapshot: Snapshot, *, columns=None, manifest_changes=None) -> None:
    """Rewrite the snapshot as another version would have written it: the contacts
    file through `columns(header, rows) -> (header, rows)`, the manifest updated
    with `manifest_changes`, every checksum and size recomputed, the row too."""
    folder = snapshot.storage_path
    manifest = json.loads(_read(folder + MANIFEST_NAME))
    if columns is not None:
        entry = manifest["files"]["contact"]
        text = gzip.decompress(_read(folder + entry["name"])).decode("utf-8")
        reader = csv.reader(io.StringIO(text, newline=""))
        header, rows = columns(next(reader), list(reader))
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        raw = out.getvalue().encode("utf-8")
        data = gzip.compress(raw, mtime=0)
        _write(folder + entry["name"], data)
        kinds = entry["kinds"]
        entry.update(
            columns=header,
            kinds={c: kinds.get(c, "str") for c in header},
            sha256=hashlib.sha256(data).hexdigest(),
            bytes=len(data),
            csv_bytes=len(raw),
        )
    manifest.update(manifest_changes or {})
    body = json.dumps(manifest, indent=2).encode("utf-8")
    _write(folder + MANIFEST_NAME, body)
    Snapshot.objects.filter(pk=snapshot.pk).update(
        manifest_sha256=hashlib.sha256(body).hexdigest(),
        format_version=manifest["format_version"],
        schema_version=manifest["schema_version"],
    )
    snapshot.refresh_from_db()
    snapshot.__dict__.pop("_manifest_cache", None)  # read the new manifest from now on


def _without(column):
    def change(header, rows):
        at = header.index(column)
        return header[:at] + header[at + 1 :], [row[:at] + row[at + 1 :] for row in rows]

    return change


def _with_extra(column, value):
    def change(header, rows):
        return header + [column], [row + [value] for row in rows]

    return change


@pytest.fixture
def older(acme, alice):
    """Acme with contacts that are not of the default type, a snapshot, then the
    contacts deleted and others changed."""
    actor = actor_for(alice)
    company = make(acme, "company", actor, title="Acme Srl")
    partners = [
        make(acme, "contact", actor, name=f"P{i}", type_id="PARTNER", company_id=company.pk)
        for i in range(3)
    ]
    kept = make(acme, "contact", actor, name="Kept", type_id="SUPPLIER")
    make(acme, "deal", actor, title="Deal", company_id=company.pk, contact_id=partners[0].pk)
    snapshot = take_snapshot(acme)
    from crm import services

    services.records_bulk_delete(
        account=acme, entity_type="contact", ids=[p.pk for p in partners], actor=actor
    )
    make(acme, "contact", actor, name="Created after")
    return snapshot, kept


def test_a_snapshot_from_before_a_column_was_added_restores_with_the_fields_default(
    celery_worker, older, acme, alice
):
    snapshot, kept = older
    then = snapshot_records(snapshot, CRM)
    rewrite(
        snapshot,
        columns=_without(ADDED),
        manifest_changes={"schema_version": SCHEMA_VERSION - 1},
    )
    assert (
        ADDED
        not in json.loads(_read(snapshot.storage_path + MANIFEST_NAME))["files"]["contact"][
            "columns"
        ]
    )
    call_command("verify_snapshots", account=acme.pk, stdout=io.StringIO())  # sound files
    assert preview(account=acme, snapshot=snapshot, option="crm_rollback").rows

    run = finished(start_run(account=acme, snapshot=snapshot, option="crm_rollback", actor=alice))

    assert run.status == "completed", run.error
    default = entity("contact").model._meta.get_field(ADDED).get_default()
    assert default == "CLIENT"
    now = current_records(acme.pk, CRM)
    assert set(now["contact"]) == set(then["contact"])
    for pk, record in now["contact"].items():
        assert record[ADDED] == default  # the contacts of the older backup take the default
        assert {k: v for k, v in record.items() if k != ADDED} == {
            k: v for k, v in then["contact"][pk].items() if k != ADDED
        }
    assert now["contact"][kept.pk][ADDED] == "CLIENT"
    for entity_type in ("company", "lead", "deal"):
        assert now[entity_type] == then[entity_type]
    report("older snapshot (a column added since) restores", 1, 1, column=ADDED, took=default)


@pytest.mark.parametrize(
    "change, why",
    [
        (
            {"columns": _with_extra("loyalty_tier", "gold")},
            "columns today's CRM does not know (loyalty_tier)",
        ),
        (
            {"manifest_changes": {"format_version": FORMAT_VERSION + 1}},
            f"format {FORMAT_VERSION + 1}",
        ),
        (
            {"manifest_changes": {"schema_version": SCHEMA_VERSION + 1}},
            f"schema version {SCHEMA_VERSION + 1}",
        ),
    ],
    ids=["unknown column", "newer format", "newer schema"],
)
@pytest.mark.parametrize("option", ["crm_rollback", "full_rollback"])
def test_a_snapshot_todays_code_cannot_read_is_refused_before_anything_is_done(
    celery_worker, older, acme, alice, change, why, option
):
    snapshot, _ = older
    rewrite(snapshot, **change)
    mine = rows_checksum(account_id=acme.pk)
    safety_before = Snapshot.objects.filter(account=acme, kind="safety").count()

    with pytest.raises(DomainError) as refused:
        preview(account=acme, snapshot=snapshot, option=option)
    assert why in refused.value.detail

    run = finished(start_run(account=acme, snapshot=snapshot, option=option, actor=alice))

    assert run.status == "failed"
    assert why in run.error, run.error
    assert "cannot" in run.error and "nothing was changed" in run.error, run.error
    assert run.safety_snapshot is None
    assert Snapshot.objects.filter(account=acme, kind="safety").count() == safety_before
    assert not run_events(run).exists()
    assert rows_checksum(account_id=acme.pk) == mine
    report(f"unreadable snapshot refused ({why}, {option})", 1, 1, error=run.error)
