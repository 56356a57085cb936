"""The snapshot format: what take_snapshot writes is exactly the account's data,
the COPY fast path and the portable path give the same records, and each file
loads with the COPY FROM the restore engine uses."""

from __future__ import annotations

import gzip
import io
import json

import pytest
from django.db import connection, transaction

from backups.models import Snapshot
from backups.snapshots import iter_records, open_entity_csv, read_manifest, take_snapshot
from backups.storage import snapshot_storage
from crm.records import record_sql, to_record
from crm.registry import SCHEMA_VERSION, entity_types
from recovery_portal.errors import SnapshotDamaged

pytestmark = pytest.mark.django_db(transaction=True)


def _records_in_db(account, et) -> list[dict]:
    return [to_record(et, obj) for obj in et.model.objects.filter(account=account).order_by("id")]


def test_r6_snapshot_holds_every_entity_type_exactly(filled, globex):
    from tests.factories import make

    make(globex, "contact", name="Not", last_name="Acme")
    snapshot = take_snapshot(filled)

    assert snapshot.status == Snapshot.Status.COMPLETE
    assert snapshot.taken_at is not None
    for et in entity_types():
        assert list(iter_records(snapshot, et.entity_type)) == _records_in_db(filled, et)
        assert (
            snapshot.row_counts[et.entity_type] == et.model.objects.filter(account=filled).count()
        )
    assert snapshot.records == sum(snapshot.row_counts.values()) > 0


def test_manifest_describes_every_file(filled):
    snapshot = take_snapshot(filled)
    storage = snapshot_storage()
    folder = f"snapshots/{filled.pk}/{snapshot.pk}/"
    assert snapshot.storage_path == folder
    with storage.open(folder + "manifest.json", "rb") as f:
        manifest = json.load(f)

    assert manifest == read_manifest(snapshot)
    assert manifest["format_version"] == 1
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["account_id"] == filled.pk
    assert manifest["snapshot_id"] == snapshot.pk
    assert manifest["kind"] == "daily"
    assert manifest["taken_at"].endswith("Z")
    assert manifest["modules"] == {
        "fields": ["custom_field"],
        "catalog": ["product"],
        "crm": ["company", "contact", "lead", "deal"],
    }
    total = 0
    for et in entity_types():
        entry = manifest["files"][et.entity_type]
        assert entry["name"] == f"{et.entity_type}.csv.gz"
        assert entry["module"] == et.module
        assert entry["columns"] == et.field_names
        assert entry["kinds"] == {s.name: s.kind for s in et.fields}
        assert "account_id" not in entry["columns"]
        assert entry["bytes"] == storage.size(folder + entry["name"])
        total += entry["bytes"]
        with storage.open(folder + entry["name"], "rb") as f:
            text = gzip.decompress(f.read()).decode("utf-8")
        assert text.splitlines()[0] == ",".join(et.field_names)
    assert snapshot.size_bytes > total


def test_copy_path_and_portable_path_give_the_same_records(filled, settings):
    fast = take_snapshot(filled, kind="safety")
    settings.SNAPSHOT_USE_COPY = False
    portable = take_snapshot(filled, kind="safety")

    assert portable.row_counts == fast.row_counts
    for et in entity_types():
        assert list(iter_records(portable, et.entity_type)) == list(
            iter_records(fast, et.entity_type)
        )


@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "portable"])
def test_each_file_loads_with_copy_from_as_the_restore_engine_will(filled, settings, use_copy):
    settings.SNAPSHOT_USE_COPY = use_copy
    snapshot = take_snapshot(filled, kind="safety")
    manifest = read_manifest(snapshot)
    qn = connection.ops.quote_name
    for et in entity_types():
        entry = manifest["files"][et.entity_type]
        columns = ", ".join(qn(c) for c in entry["columns"])
        text_columns = ", ".join(qn(c) for c, k in entry["kinds"].items() if k == "str")
        scratch = f"scratch_{et.entity_type}"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {scratch} (LIKE {qn(et.table)}) ON COMMIT DROP")
            cursor.execute(
                f"ALTER TABLE {scratch} ALTER COLUMN account_id SET DEFAULT %s", [filled.pk]
            )
            with open_entity_csv(snapshot, et.entity_type) as stream:
                cursor.copy_expert(
                    f"COPY {scratch} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true"
                    + (f", FORCE_NOT_NULL ({text_columns})" if text_columns else "")
                    + ")",
                    stream,
                )
            cursor.execute(f"SELECT {record_sql(et, 's')} FROM {scratch} s ORDER BY s.id")
            loaded = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                f"SELECT {record_sql(et, 't')} FROM {qn(et.table)} t "
                "WHERE t.account_id = %s ORDER BY t.id",
                [filled.pk],
            )
            original = [row[0] for row in cursor.fetchall()]
        assert loaded == original, et.entity_type
        assert len(loaded) == snapshot.row_counts[et.entity_type]


def test_a_damaged_file_aborts_the_copy_from_with_the_file_named(filled):
    snapshot = take_snapshot(filled)
    storage = snapshot_storage()
    path = snapshot.storage_path + "contact.csv.gz"
    data = bytearray(storage.open(path, "rb").read())
    data[len(data) // 2] ^= 0x01
    storage.delete(path)
    storage.save(path, io.BytesIO(bytes(data)))

    columns = ", ".join(read_manifest(snapshot)["files"]["contact"]["columns"])
    loaded = []
    with (
        pytest.raises(SnapshotDamaged) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
        open_entity_csv(snapshot, "contact") as stream,
    ):
        cursor.execute("CREATE TEMP TABLE scratch (LIKE crm_contact)")
        cursor.execute("ALTER TABLE scratch ALTER COLUMN account_id SET DEFAULT 0")
        cursor.copy_expert(
            f"COPY scratch ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)", stream
        )
        loaded.append("the COPY went through")
    assert loaded == []
    with connection.cursor() as cursor:  # rolled back with the transaction
        cursor.execute("SELECT to_regclass('pg_temp.scratch')")
        assert cursor.fetchone()[0] is None
    assert "contact.csv.gz" in caught.value.detail
    assert caught.value.code == "snapshot_damaged"
    assert caught.value.status == 409
