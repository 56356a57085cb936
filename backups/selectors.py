"""Reads of snapshots for pages and the API, always scoped to one account."""

from __future__ import annotations

from crm.registry import entity_types

from .models import Snapshot


def available_snapshots(account, *, now=None):
    """R7: the complete snapshots of the last seven days, newest first."""
    return Snapshot.objects.available(account, now=now)


def recent_snapshots(account, *, now=None):
    """Every snapshot of the last seven days, any status, newest first (Backups page)."""
    return Snapshot.objects.recent(account, now=now).order_by("-created_at", "-id")


def count_rows(snapshot: Snapshot) -> list[dict]:
    """The snapshot's row counts per entity type, in the registry's order."""
    counts = snapshot.row_counts or {}
    return [
        {"entity_type": et.entity_type, "label": et.label_plural, "rows": counts[et.entity_type]}
        for et in entity_types()
        if et.entity_type in counts
    ]
