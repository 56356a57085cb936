"""The CSV file of a snapshot (R12.2): a zip of contacts.csv, companies.csv,
leads.csv and deals.csv as they were at the snapshot, in the columns the CRM's
CSV import reads (crm.csv_format), custom field values under their UF_CRM_
codes as the snapshot's definitions name them. Streamed record by record from
the snapshot files into the zip: memory stays bounded whatever the size."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile

from django.core.files import File

from crm.csv_format import CSV_ENTITY_TYPES, FILE_NAMES, header, record_to_row
from crm.registry import entity

from .storage import snapshot_storage


def _custom_codes(snapshot) -> dict[str, list[str]]:
    """The snapshot's custom field codes per entity type, in their sort order."""
    from .snapshots import iter_records

    by_type: dict[str, list[tuple[int, int, str]]] = {}
    for record in iter_records(snapshot, "custom_field"):
        by_type.setdefault(record["entity_type"], []).append(
            (record["sort"], record["id"], record["code"])
        )
    return {t: [code for _s, _i, code in sorted(rows)] for t, rows in by_type.items()}


def write_export(run, progress=None) -> tuple[str, dict[str, int]]:
    """Write the zip into the snapshot storage; returns (path, rows per entity type)."""
    from .snapshots import iter_records

    codes = _custom_codes(run.snapshot)
    counts: dict[str, int] = {}
    done = 0
    fd, tmp_path = tempfile.mkstemp(suffix=".zip", prefix="rp-export-")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for entity_type in CSV_ENTITY_TYPES:
                et = entity(entity_type)
                custom = codes.get(entity_type, [])
                with archive.open(FILE_NAMES[entity_type], "w") as raw:
                    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                    writer = csv.writer(text)
                    writer.writerow(header(et, custom))
                    rows = 0
                    for record in iter_records(run.snapshot, entity_type):
                        writer.writerow(record_to_row(et, record, custom))
                        rows += 1
                        if progress is not None and rows % 5000 == 0:
                            progress.set(rows_done=done + rows)
                    text.flush()
                    text.detach()
                counts[entity_type] = rows
                done += rows
        name = f"exports/{run.account_id}/run-{run.pk}.zip"
        storage = snapshot_storage()
        with open(tmp_path, "rb") as handle:
            saved = storage.save(name, File(handle, name=os.path.basename(name)))
        return saved, counts
    finally:
        os.unlink(tmp_path)
