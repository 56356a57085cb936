"""A damaged snapshot is refused, and the refusal names the file and the damage:
one flipped byte, a truncated file, a missing file, an edited manifest."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backups.snapshots import iter_records, take_snapshot, verify_snapshot
from backups.storage import snapshot_storage
from recovery_portal.errors import SnapshotDamaged

pytestmark = pytest.mark.django_db(transaction=True)


def _rewrite(path: str, data: bytes) -> None:
    storage = snapshot_storage()
    storage.delete(path)
    assert storage.save(path, io.BytesIO(data)) == path


def _read(path: str) -> bytes:
    with snapshot_storage().open(path, "rb") as f:
        return f.read()


@pytest.fixture
def snapshot(filled):
    snapshot = take_snapshot(filled)
    verify_snapshot(snapshot)  # sound to begin with
    return snapshot


@pytest.mark.parametrize("where", [0.5, 0.9, 0.05], ids=["middle", "near-end", "header"])
def test_one_flipped_byte_is_refused_with_the_file_named(snapshot, where):
    path = snapshot.storage_path + "contact.csv.gz"
    data = bytearray(_read(path))
    data[int(len(data) * where)] ^= 0x10
    _rewrite(path, bytes(data))

    with pytest.raises(SnapshotDamaged) as caught:
        verify_snapshot(snapshot)
    assert caught.value.problems == [
        f"snapshot #{snapshot.pk}: contact.csv.gz: "
        "checksum mismatch (SHA-256 differs from the manifest)"
    ]
    assert "contact.csv.gz" in caught.value.detail

    with pytest.raises(SnapshotDamaged, match="contact.csv.gz"):
        list(iter_records(snapshot, "contact"))
    # The other files are sound and still readable.
    assert len(list(iter_records(snapshot, "deal"))) == snapshot.row_counts["deal"]


def test_a_truncated_file_is_refused_as_truncated(snapshot):
    path = snapshot.storage_path + "deal.csv.gz"
    data = _read(path)
    _rewrite(path, data[: len(data) - 7])

    with pytest.raises(SnapshotDamaged) as caught:
        verify_snapshot(snapshot)
    size = len(data)
    assert caught.value.problems == [
        f"snapshot #{snapshot.pk}: deal.csv.gz: truncated ({size - 7:,} of {size:,} bytes)"
    ]
    with pytest.raises(SnapshotDamaged, match=r"deal.csv.gz: truncated"):
        list(iter_records(snapshot, "deal"))


def test_a_missing_file_is_refused_as_missing(snapshot):
    snapshot_storage().delete(snapshot.storage_path + "company.csv.gz")

    with pytest.raises(SnapshotDamaged) as caught:
        verify_snapshot(snapshot)
    assert caught.value.problems == [f"snapshot #{snapshot.pk}: company.csv.gz: missing"]
    with pytest.raises(SnapshotDamaged, match="company.csv.gz: missing"):
        list(iter_records(snapshot, "company"))


def test_an_edited_manifest_is_refused(snapshot):
    path = snapshot.storage_path + "manifest.json"
    manifest = json.loads(_read(path))
    manifest["files"]["lead"]["rows"] += 1
    _rewrite(path, json.dumps(manifest, indent=2).encode())

    with pytest.raises(SnapshotDamaged) as caught:
        verify_snapshot(snapshot)
    assert "manifest.json" in caught.value.detail
    with pytest.raises(SnapshotDamaged, match="manifest.json"):
        list(iter_records(snapshot, "lead"))


def test_a_manifest_that_lies_about_a_row_count_is_caught_by_the_reader(snapshot):
    """Even with the manifest's own checksum updated on the row, the rows counted
    while reading must agree with the manifest."""
    path = snapshot.storage_path + "manifest.json"
    manifest = json.loads(_read(path))
    manifest["files"]["lead"]["rows"] += 1
    data = json.dumps(manifest, indent=2).encode()
    _rewrite(path, data)
    import hashlib

    counts = dict(snapshot.row_counts, lead=snapshot.row_counts["lead"] + 1)
    type(snapshot).objects.filter(pk=snapshot.pk).update(
        manifest_sha256=hashlib.sha256(data).hexdigest(), row_counts=counts
    )
    snapshot.refresh_from_db()

    with pytest.raises(SnapshotDamaged) as caught:
        verify_snapshot(snapshot)
    assert caught.value.problems == [
        f"snapshot #{snapshot.pk}: lead.csv.gz: row count mismatch (2 rows, manifest says 3)"
    ]


def test_verify_snapshots_command_reports_each_damaged_file_and_fails(snapshot, filled):
    sound = take_snapshot(filled, kind="safety")
    snapshot_storage().delete(snapshot.storage_path + "product.csv.gz")
    path = snapshot.storage_path + "contact.csv.gz"
    data = bytearray(_read(path))
    data[len(data) // 2] ^= 0xFF
    _rewrite(path, bytes(data))
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 of 2 snapshots are damaged"):
        call_command("verify_snapshots", stdout=out)
    text = out.getvalue()
    assert f"snapshot #{snapshot.pk} of Acme" in text and "DAMAGED" in text
    assert "product.csv.gz: missing" in text
    assert "contact.csv.gz: checksum mismatch" in text
    assert f"snapshot #{sound.pk} of Acme" in text and "ok (" in text


def test_verify_snapshots_command_passes_on_sound_snapshots(snapshot):
    out = io.StringIO()
    call_command("verify_snapshots", stdout=out)
    assert "All 1 snapshots verified." in out.getvalue()
