"""Where snapshot files live: the "snapshots" storage alias (settings.STORAGES).

By default a FileSystemStorage rooted at MEDIA_ROOT, so a snapshot's folder
`snapshots/<account_id>/<snapshot_id>/` is under MEDIA_ROOT/snapshots/; with
SNAPSHOT_STORAGE=s3 the same keys in an S3-compatible bucket (django-storages).
Everything goes through Django's storage API.
"""

from __future__ import annotations

import contextlib
import os

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages

STORAGE_ALIAS = "snapshots"
MANIFEST_NAME = "manifest.json"


def snapshot_storage():
    return storages[STORAGE_ALIAS]


def folder_of(account_id: int, snapshot_id: int) -> str:
    return f"snapshots/{int(account_id)}/{int(snapshot_id)}/"


def file_name(entity_type: str) -> str:
    return f"{entity_type}.csv.gz"


def save_file(name: str, fileobj) -> None:
    """Store an open binary file (read in chunks) under exactly `name`."""
    stored = snapshot_storage().save(name, File(fileobj, name=os.path.basename(name)))
    if stored != name:
        snapshot_storage().delete(stored)
        raise RuntimeError(f"The snapshot storage put {name} under another name ({stored}).")


def save_bytes(name: str, data: bytes) -> None:
    save_file(name, ContentFile(data).file)


def delete_folder(folder: str) -> int:
    """Delete every file under `folder` (and the folder itself on a file system).
    Returns the bytes freed. A folder that does not exist is fine."""
    storage = snapshot_storage()
    freed = 0
    try:
        dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for name in files:
        path = folder + name
        with contextlib.suppress(OSError):
            freed += storage.size(path)
        storage.delete(path)
    for sub in dirs:
        freed += delete_folder(f"{folder}{sub}/")
    if isinstance(storage, FileSystemStorage):
        with contextlib.suppress(OSError):
            os.rmdir(storage.path(folder))
    return freed
