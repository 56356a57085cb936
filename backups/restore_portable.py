"""The portable side of restores and previews, for the SQLite demo: the same
comparison as restore_sql, record by record in Python, with the same events.
PostgreSQL always takes the set-based path; a test holds the two to the same
end state, events and counts.

Memory stays bounded by the change, not by the table: the account's rows and
the snapshot's records are both read in id order and merged as they stream
(one pass to find what differs, keeping only the ids and the records that
change; one pass over the snapshot to write them).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection

from crm.records import from_record, record_changes, title_of, to_record
from crm.registry import SCHEMA_VERSION, EntityType, module_entities
from crm_history.models import Action
from crm_history.recorder import EventDraft, record_events

from .restore_sql import EntityDiff

BATCH = 500


def _current(et: EntityType, account_id: int) -> Iterator[dict]:
    rows = et.model.objects.filter(account_id=account_id).order_by("pk").iterator(chunk_size=2000)
    return (to_record(et, obj) for obj in rows)


def _merged(snapshot, et: EntityType, account_id: int):
    """(id, the account's record or None, the snapshot's record or None), in id order."""
    from .snapshots import iter_records

    now_rows, then_rows = _current(et, account_id), iter_records(snapshot, et.entity_type)
    now, then = next(now_rows, None), next(then_rows, None)
    while now is not None or then is not None:
        if then is None or (now is not None and now["id"] < then["id"]):
            yield now["id"], now, None
            now = next(now_rows, None)
        elif now is None or then["id"] < now["id"]:
            yield then["id"], None, then
            then = next(then_rows, None)
        else:
            yield now["id"], now, then
            now, then = next(now_rows, None), next(then_rows, None)


def _differs(et: EntityType, a: dict, b: dict) -> bool:
    return any(a.get(name) != b.get(name) for name in et.field_names)


def diff_row_by_row(snapshot, et: EntityType, account_id: int, *, samples: int = 5) -> EntityDiff:
    result = EntityDiff(et.entity_type)
    for _id, now, then in _merged(snapshot, et, account_id):
        if then is not None:
            result.total += 1
        if now is None:
            kind, record = "back", then
        elif then is None:
            kind, record = "lost", now
        elif _differs(et, now, then):
            kind, record = "reverted", now  # shown by its title now
        else:
            continue
        setattr(result, kind, getattr(result, kind) + 1)
        shown = getattr(result, f"samples_{kind}")
        if len(shown) < samples:
            shown.append(title_of(et, record))
    return result


def _apply_entity(run, et: EntityType, actor, now) -> EntityDiff:
    from .snapshots import iter_records

    result = EntityDiff(et.entity_type)
    removed: dict[int, dict] = {}  # id -> the record as it is now (kept in its event)
    changed: dict[int, dict] = {}  # id -> the record as it is now
    missing: set[int] = set()
    # Pass 1: what differs (the snapshot is read, and verified, to its end first).
    for record_id, current, wanted in _merged(run.snapshot, et, run.account_id):
        if wanted is not None:
            result.total += 1
        if wanted is None:
            removed[record_id] = current
        elif current is None:
            missing.add(record_id)
        elif _differs(et, current, wanted):
            changed[record_id] = current
    drafts: list[EventDraft] = []

    def flush(force: bool = False) -> None:
        if drafts and (force or len(drafts) >= BATCH):
            record_events(
                account_id=run.account_id,
                actor=actor,
                operation=run.operation,
                drafts=list(drafts),
                occurred_at=now,
            )
            drafts.clear()

    # Pass 2: rows the snapshot does not hold go; the others are set back or come back.
    ids = sorted(removed)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        et.model.objects.filter(account_id=run.account_id, pk__in=chunk)._raw_delete(
            connection.alias
        )
        for record_id in chunk:
            drafts.append(
                _draft(et, record_id, Action.DELETE, removed[record_id], data=removed[record_id])
            )
        flush()
    inserts = []
    if changed or missing:
        for record in iter_records(run.snapshot, et.entity_type):
            record_id = record["id"]
            if record_id in changed:
                values = from_record(et, record)
                et.model.objects.filter(account_id=run.account_id, pk=record_id).update(**values)
                drafts.append(
                    _draft(
                        et,
                        record_id,
                        Action.UPDATE,
                        record,
                        changes=record_changes(et, changed[record_id], record),
                    )
                )
            elif record_id in missing:
                inserts.append(et.model(account_id=run.account_id, **from_record(et, record)))
                drafts.append(_draft(et, record_id, Action.RESTORE, record, data=record))
                if len(inserts) >= BATCH:
                    et.model.objects.bulk_create(inserts)
                    inserts = []
            flush()
    if inserts:
        et.model.objects.bulk_create(inserts)
    flush(force=True)
    result.lost, result.reverted, result.back = len(removed), len(changed), len(missing)
    return result


def apply_row_by_row(run, modules, actor, now, progress) -> dict[str, EntityDiff]:
    counts: dict[str, EntityDiff] = {}
    done = 0
    for module in modules:
        for et in module_entities(module):
            result = _apply_entity(run, et, actor, now)
            counts[et.entity_type] = result
            done += result.total
            progress.set(rows_done=done)
    return counts


def _draft(et, entity_id, action, record, *, data=None, changes=None) -> EventDraft:
    return EventDraft(
        entity_type=et.entity_type,
        entity_id=entity_id,
        action=action,
        title=title_of(et, record),
        changes=changes or None,
        data=data,
        schema_version=SCHEMA_VERSION,
    )
