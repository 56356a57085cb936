"""The portable side of restores and previews, for the SQLite demo: the same
comparison as restore_sql, record by record in Python, with the same events.
PostgreSQL always takes the set-based path."""

from __future__ import annotations

from django.db import connection

from crm.records import from_record, record_changes, title_of, to_record
from crm.registry import SCHEMA_VERSION, EntityType, module_entities
from crm_history.models import Action
from crm_history.recorder import EventDraft, record_events

from .restore_sql import EntityDiff


def _current(et: EntityType, account_id: int) -> dict[int, dict]:
    return {
        obj.pk: to_record(et, obj)
        for obj in et.model.objects.filter(account_id=account_id).order_by("pk").iterator()
    }


def _snapshot(snapshot, et: EntityType) -> dict[int, dict]:
    from .snapshots import iter_records

    return {record["id"]: record for record in iter_records(snapshot, et.entity_type)}


def diff_row_by_row(snapshot, et: EntityType, account_id: int, *, samples: int = 5) -> EntityDiff:
    current = _current(et, account_id)
    wanted = _snapshot(snapshot, et)
    result = EntityDiff(et.entity_type, total=len(wanted))
    back = [r for i, r in wanted.items() if i not in current]
    lost = [r for i, r in current.items() if i not in wanted]
    reverted = [
        current[i] for i, r in wanted.items() if i in current and _differs(et, current[i], r)
    ]
    result.back, result.lost, result.reverted = len(back), len(lost), len(reverted)
    result.samples_back = [title_of(et, r) for r in back[:samples]]
    result.samples_lost = [title_of(et, r) for r in lost[:samples]]
    result.samples_reverted = [title_of(et, r) for r in reverted[:samples]]
    return result


def _differs(et: EntityType, a: dict, b: dict) -> bool:
    return any(a.get(name) != b.get(name) for name in et.field_names)


def apply_row_by_row(run, modules, actor, now, progress) -> dict[str, EntityDiff]:
    counts: dict[str, EntityDiff] = {}
    done = 0
    for module in modules:
        for et in module_entities(module):
            current = _current(et, run.account_id)
            wanted = _snapshot(run.snapshot, et)
            result = EntityDiff(et.entity_type, total=len(wanted))
            drafts: list[EventDraft] = []
            removed = sorted(i for i in current if i not in wanted)
            if removed:
                et.model.objects.filter(account_id=run.account_id, pk__in=removed)._raw_delete(
                    connection.alias
                )
            for i in removed:
                drafts.append(_draft(et, i, Action.DELETE, current[i], data=current[i]))
            for i, record in wanted.items():
                if i in current and _differs(et, current[i], record):
                    values = from_record(et, record)
                    et.model.objects.filter(account_id=run.account_id, pk=i).update(**values)
                    drafts.append(
                        _draft(
                            et,
                            i,
                            Action.UPDATE,
                            record,
                            changes=record_changes(et, current[i], record),
                        )
                    )
                    result.reverted += 1
            missing = [record for i, record in wanted.items() if i not in current]
            et.model.objects.bulk_create(
                [et.model(account_id=run.account_id, **from_record(et, r)) for r in missing],
                batch_size=500,
            )
            for record in missing:
                drafts.append(_draft(et, record["id"], Action.RESTORE, record, data=record))
            result.lost, result.back = len(removed), len(missing)
            record_events(
                account_id=run.account_id,
                actor=actor,
                operation=run.operation,
                drafts=drafts,
                occurred_at=now,
            )
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
