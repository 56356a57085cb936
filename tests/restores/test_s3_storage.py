"""Snapshots in an S3-compatible bucket (SNAPSHOT_STORAGE=s3, django-storages):
written, verified, read back, refused when damaged, rolled back from, exported
from and pruned, through the same code as on the file system.

No S3 service runs here: moto stands in for it inside this process, so the
real path (django-storages, boto3, botocore's requests) is exercised up to the
HTTP call it answers."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import boto3
import moto
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from backups.models import Snapshot
from backups.restores import execute_run, open_export
from backups.snapshot_upkeep import prune_snapshots
from backups.snapshots import iter_records, take_snapshot, verify_snapshot
from recovery_portal.errors import SnapshotDamaged
from tests.restores.support import CRM_TYPES, current_records, new_run, snapshot_records

pytestmark = pytest.mark.django_db(transaction=True)

BUCKET = "rp-snapshots-test"
REGION = "eu-south-1"


@pytest.fixture
def s3(monkeypatch, tmp_path):
    """The "snapshots" storage on a (moto) S3 bucket, as settings.py configures it
    for SNAPSHOT_STORAGE=s3; the local media folder is left empty to show it."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with moto.mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        storages = {
            **settings.STORAGES,
            "snapshots": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "access_key": "testing",
                    "secret_key": "testing",
                    "region_name": REGION,
                    "default_acl": "private",
                    "querystring_auth": True,
                    "file_overwrite": True,
                },
            },
        }
        with override_settings(STORAGES=storages, MEDIA_ROOT=str(tmp_path / "media")):
            yield client


def _keys(client, prefix: str) -> set[str]:
    answer = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"] for item in answer.get("Contents", [])}


@pytest.fixture
def s3_changed(s3, changed):
    """The restore tests' world with its snapshot taken into the bucket (the
    `s3` fixture comes first), then a day's work on Acme."""
    return changed


def test_a_snapshot_is_written_to_the_bucket_verified_and_read_back(s3, s3_changed, tmp_path):
    snapshot = s3_changed.snapshot
    files = {f"{snapshot.storage_path}{t}.csv.gz" for t in snapshot.row_counts}

    assert _keys(s3, snapshot.storage_path) == files | {f"{snapshot.storage_path}manifest.json"}
    assert not (tmp_path / "media").exists()  # nothing on the local disk
    verify_snapshot(snapshot)
    for entity_type, n in snapshot.row_counts.items():
        assert len(list(iter_records(snapshot, entity_type))) == n


def test_a_damaged_object_is_refused_with_its_file_named(s3, s3_changed):
    snapshot = s3_changed.snapshot
    key = f"{snapshot.storage_path}contact.csv.gz"
    data = bytearray(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    data[len(data) // 2] ^= 0x10
    s3.put_object(Bucket=BUCKET, Key=key, Body=bytes(data))

    with pytest.raises(SnapshotDamaged) as caught:
        verify_snapshot(snapshot)
    assert caught.value.problems == [
        f"snapshot #{snapshot.pk}: contact.csv.gz: "
        "checksum mismatch (SHA-256 differs from the manifest)"
    ]


def test_a_crm_rollback_reads_its_snapshot_from_the_bucket(s3, s3_changed):
    w = s3_changed
    run = new_run(w.acme, w.snapshot, "crm_rollback", w.alice)

    execute_run(run.pk)

    run.refresh_from_db()
    assert run.status == "completed", run.error
    assert current_records(w.acme.pk, CRM_TYPES) == snapshot_records(w.snapshot, CRM_TYPES)
    # Its safety snapshot went to the bucket too.
    assert run.safety_snapshot.status == "complete"
    assert f"{run.safety_snapshot.storage_path}manifest.json" in _keys(
        s3, run.safety_snapshot.storage_path
    )


def test_a_csv_export_is_stored_in_the_bucket_and_downloaded_from_it(s3, s3_changed):
    w = s3_changed
    run = new_run(w.acme, w.snapshot, "csv_export", w.alice)

    execute_run(run.pk)

    run.refresh_from_db()
    assert run.status == "completed", run.error
    assert run.export_path in _keys(s3, w.snapshot.storage_path)
    with open_export(run) as stored, zipfile.ZipFile(stored) as archive:
        names = set(archive.namelist())
        contacts = archive.read("contacts.csv").decode("utf-8-sig")
    assert names == {"contacts.csv", "companies.csv", "leads.csv", "deals.csv"}
    rows = list(csv.reader(io.StringIO(contacts)))
    assert len(rows) == w.snapshot.row_counts["contact"] + 1  # and the header


def test_r7_pruning_deletes_an_old_snapshot_s_objects_from_the_bucket(s3, acme):
    old = take_snapshot(acme)
    newer = take_snapshot(acme, kind="safety")
    Snapshot.objects.filter(pk=old.pk).update(taken_at=timezone.now() - timedelta(days=8))
    assert _keys(s3, old.storage_path)

    result = prune_snapshots()

    assert [s.pk for s in result.pruned] == [old.pk]
    assert _keys(s3, old.storage_path) == set()
    assert not Snapshot.objects.filter(pk=old.pk).exists()
    assert _keys(s3, newer.storage_path)  # the newer one is untouched
    verify_snapshot(newer)
