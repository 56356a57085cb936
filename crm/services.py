"""Every write of CRM data made by a person: create, update, delete and bulk
delete of any entity type. Pages, the API, the admin site, the import and
management commands all call these. The only other writers of CRM rows bring
records back, with their own restore events: the recycle bin's loader
(crm/recycle_bin.py) and the restore engine (backups/).

Each write runs in one transaction that first passes the account's write guard
(423 while a restore runs), then changes the rows and records one History
event per record touched (R1), including the records a delete unlinks. A bulk
delete on PostgreSQL is set-based: `WITH d AS (DELETE … RETURNING …) INSERT INTO
<events> SELECT …`, building each event's record in SQL exactly as the Python
path does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.guard import ensure_account_writable, ensure_may_delete
from accounts.models import Account, Membership
from crm_history.models import Action, Event
from crm_history.recorder import EventDraft, new_operation, notify_deletions, record_events
from recovery_portal.errors import Invalid, NotFound

from . import custom_values
from .records import record_changes, record_sql, title_of, title_sql, to_record
from .registry import SCHEMA_VERSION, EntityType, children_of, entity

# Fields the services set themselves; callers may pass them only when bringing
# a record back (import, recycle bin), never from a form.
SYSTEM_FIELDS = ("id", "created_at", "updated_at")
# Fixed once created: values are keyed by the code on the records.
IMMUTABLE_FIELDS = {"custom_field": ("entity_type", "code")}


@dataclass(frozen=True)
class DeleteResult:
    deleted: int
    operation: uuid.UUID


def _validation_error(errors: dict) -> Invalid:
    first = next(iter(errors.items()))
    detail = (
        first[1][0] if first[0] in ("__all__", "non_field_errors") else f"{first[0]}: {first[1][0]}"
    )
    if "__all__" in errors:
        errors["non_field_errors"] = errors.pop("__all__")
    return Invalid(detail, fields=errors)


def _validate(account: Account, et: EntityType, obj, *, submitted_custom: dict | None) -> None:
    """Field rules, links inside the account, the assigned user's membership,
    custom field values. Raises Invalid with messages per field."""
    errors: dict[str, list[str]] = {}
    link_fields = {link.field for link in et.links}
    exclude = ["account", "assigned_by", *(f.removesuffix("_id") for f in link_fields)]
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        obj.validate_constraints()
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key if key != "__all__" else "code", []).extend(messages)
    for link in et.links:
        target_id = getattr(obj, link.field)
        if target_id is None:
            continue
        target = entity(link.target)
        if not target.model.objects.filter(account=account, pk=target_id).exists():
            errors.setdefault(link.field, []).append(
                f"There is no {target.label} #{target_id} in this account."
            )
    assigned = getattr(obj, "assigned_by_id", None)
    if (
        assigned is not None
        and not Membership.objects.filter(account=account, user_id=assigned).exists()
    ):
        errors.setdefault("assigned_by_id", []).append(
            f"User #{assigned} is not a member of this account."
        )
    if et.has_custom_fields:
        values, custom_errors = custom_values.merge(
            account.pk, et.entity_type, obj.custom_fields, submitted_custom
        )
        obj.custom_fields = values
        for code, messages in custom_errors.items():
            errors.setdefault(code, []).extend(messages)
    if errors:
        raise _validation_error(errors)


def _lock_record(account: Account, et: EntityType, record_id: int):
    obj = et.model.objects.select_for_update().filter(account=account, pk=record_id).first()
    if obj is None:
        raise NotFound(f"There is no {et.label} #{record_id} in this account.")
    return obj


def record_create(
    *,
    account: Account,
    entity_type: str,
    values: dict,
    actor: Actor,
    operation: uuid.UUID | None = None,
    now: datetime | None = None,
):
    """Create one record of `entity_type` from field values (by attname).

    `now` backdates the write (the demo seed's clock); it defaults to the present.
    """
    et = entity(entity_type)
    values = dict(values)
    submitted_custom = values.pop("custom_fields", None)
    now = now or timezone.now()
    with transaction.atomic():
        ensure_account_writable(account.pk)
        obj = et.model(account=account, **values)
        if obj.created_at is None:
            obj.created_at = now
        if obj.updated_at is None:
            obj.updated_at = obj.created_at
        if et.has_custom_fields:
            obj.custom_fields = {}
        _validate(account, et, obj, submitted_custom=submitted_custom)
        taken = Invalid(f"The id {obj.pk} is taken.", fields={"id": [f"The id {obj.pk} is taken."]})
        if obj.pk is not None and et.model.objects.filter(pk=obj.pk).exists():
            raise taken
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
        except IntegrityError as exc:
            # Taken between the check and the insert (a concurrent import or restore).
            if obj.pk is not None and et.model.objects.filter(pk=obj.pk).exists():
                raise taken from exc
            raise
        record = to_record(et, obj)
        record_events(
            account_id=account.pk,
            actor=actor,
            operation=operation or new_operation(),
            drafts=[
                EventDraft(
                    entity_type=et.entity_type,
                    entity_id=obj.pk,
                    action=Action.CREATE,
                    title=title_of(et, record),
                    data=record,
                    schema_version=SCHEMA_VERSION,
                )
            ],
            occurred_at=now,
        )
    return obj


def record_update(
    *,
    account: Account,
    entity_type: str,
    record_id: int,
    values: dict,
    actor: Actor,
    operation: uuid.UUID | None = None,
    now: datetime | None = None,
):
    """Change fields of one record; records only what changed. No change, no write."""
    et = entity(entity_type)
    values = dict(values)
    submitted_custom = values.pop("custom_fields", None)
    for name in SYSTEM_FIELDS:
        values.pop(name, None)
    now = now or timezone.now()
    with transaction.atomic():
        ensure_account_writable(account.pk)
        obj = _lock_record(account, et, record_id)
        before = to_record(et, obj)
        for name in IMMUTABLE_FIELDS.get(et.entity_type, ()):
            if name in values and values[name] != getattr(obj, name):
                raise Invalid(
                    f"{name} cannot be changed once the field exists.",
                    fields={name: ["This cannot be changed once the field exists."]},
                )
        for name, value in values.items():
            setattr(obj, name, value)
        _validate(account, et, obj, submitted_custom=submitted_custom)
        after = to_record(et, obj)
        changes = record_changes(et, before, after)
        if not changes:
            return obj
        obj.updated_at = now
        obj.save()
        after = to_record(et, obj)
        record_events(
            account_id=account.pk,
            actor=actor,
            operation=operation or new_operation(),
            drafts=[
                EventDraft(
                    entity_type=et.entity_type,
                    entity_id=obj.pk,
                    action=Action.UPDATE,
                    title=title_of(et, after),
                    changes=changes,
                    schema_version=SCHEMA_VERSION,
                )
            ],
            occurred_at=now,
        )
    return obj


def record_delete(
    *,
    account: Account,
    entity_type: str,
    record_id: int,
    actor: Actor,
    operation: uuid.UUID | None = None,
    now: datetime | None = None,
) -> DeleteResult:
    """Delete one record (its History event keeps it whole)."""
    return records_bulk_delete(
        account=account,
        entity_type=entity_type,
        ids=[record_id],
        actor=actor,
        operation=operation,
        now=now,
    )


def clean_ids(ids: Iterable) -> list[int]:
    cleaned = []
    for raw in ids:
        if isinstance(raw, bool):
            raise Invalid("ids must be whole numbers.", fields={"ids": ["Enter whole numbers."]})
        try:
            value = int(raw)
        except (TypeError, ValueError) as exc:
            raise Invalid(
                "ids must be whole numbers.", fields={"ids": ["Enter whole numbers."]}
            ) from exc
        if not 1 <= value <= 2**63 - 1:
            raise Invalid("ids must be positive.", fields={"ids": ["Ids are positive numbers."]})
        cleaned.append(value)
    return sorted(set(cleaned))


def records_bulk_delete(
    *,
    account: Account,
    entity_type: str,
    ids: Iterable,
    actor: Actor,
    operation: uuid.UUID | None = None,
    now: datetime | None = None,
) -> DeleteResult:
    """Delete the records `ids` of `entity_type`, all or none.

    Any id that is not a record of this account (unknown, or another account's)
    refuses the whole request with 404 and deletes nothing. Records that link to
    the deleted ones are unlinked, each with an update event.
    """
    et = entity(entity_type)
    ids = clean_ids(ids)
    if not ids:
        raise Invalid("Select at least one record.", fields={"ids": ["This list is empty."]})
    operation = operation or new_operation()
    now = now or timezone.now()
    with transaction.atomic():
        ensure_account_writable(account.pk)
        ensure_may_delete(account.pk, actor.user_id if actor.is_person else None)
        # Lock the rows in primary-key order (one order everywhere: no deadlocks).
        if connection.vendor == "postgresql":
            if _lock_in_order(account, et, ids) != len(ids):
                found = et.model.objects.filter(account=account, pk__in=ids)
                _refuse_missing(et, ids, found.values_list("pk", flat=True))
            deleted = _delete_set_based(account, et, ids, actor, operation, now)
        else:
            found = list(
                et.model.objects.select_for_update()
                .filter(account=account, pk__in=ids)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if len(found) != len(ids):
                _refuse_missing(et, ids, found)
            deleted = _delete_row_by_row(account, et, ids, actor, operation, now)
        notify_deletions(
            account_id=account.pk,
            operation=operation,
            actor=actor,
            counts={et.entity_type: deleted},
            at=now,
        )
    return DeleteResult(deleted=deleted, operation=operation)


def _refuse_missing(et: EntityType, ids: list[int], found: Iterable[int]) -> None:
    missing = sorted(set(ids) - set(found))
    shown = ", ".join(str(i) for i in missing[:10]) + ("…" if len(missing) > 10 else "")
    raise NotFound(f"No {et.label} with id {shown} in this account; nothing was deleted.")


def _lock_in_order(account: Account, et: EntityType, ids: list[int]) -> int:
    """Lock the account's rows among `ids` in primary-key order; how many there are.

    One statement that answers a count: the ids never travel back and no
    QuerySet of 10,000 parameters is built (most of what the ORM's
    `select_for_update() … values_list()` cost here was Python, not the
    locks). Uses index: the primary key (id = ANY), in id order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {et.table} WHERE account_id = %s "
            "AND id = ANY(%s) ORDER BY id FOR UPDATE) AS locked",
            [account.pk, ids],
        )
        return cursor.fetchone()[0]


_EVENT_COLUMNS = (
    "account_id, operation, entity_type, entity_id, action, actor_id, actor_name, source, "
    "occurred_at, title, changes, data, schema_version"
)


def _event_params(account, operation, actor, now) -> dict:
    return {
        "account": account.pk,
        "operation": operation,
        "actor_id": actor.user_id,
        "actor_name": actor.name,
        "source": actor.source,
        "now": now,
        "version": SCHEMA_VERSION,
    }


def _delete_set_based(account, et, ids, actor, operation, now) -> int:
    events = Event._meta.db_table
    params = {**_event_params(account, operation, actor, now), "ids": ids}
    with connection.cursor() as cursor:
        for child, link in children_of(et.entity_type):
            cursor.execute(
                f"""
                WITH old AS (
                    SELECT id, {link.field} AS old_value FROM {child.table}
                    WHERE account_id = %(account)s AND {link.field} = ANY(%(ids)s)
                    ORDER BY id FOR UPDATE
                ), u AS (
                    UPDATE {child.table} c SET {link.field} = NULL, updated_at = %(now)s
                    FROM old WHERE c.id = old.id
                    RETURNING c.id, old.old_value, {title_sql(child, "c")} AS title
                )
                INSERT INTO {events} ({_EVENT_COLUMNS})
                SELECT %(account)s, %(operation)s, %(child_type)s, u.id, 'update', %(actor_id)s,
                       %(actor_name)s, %(source)s, %(now)s, u.title,
                       jsonb_build_object(%(field)s, jsonb_build_array(u.old_value, NULL)),
                       NULL, %(version)s
                FROM u
                """,
                {**params, "child_type": child.entity_type, "field": link.field},
            )
        cursor.execute(
            f"""
            WITH d AS (
                DELETE FROM {et.table} t WHERE t.account_id = %(account)s AND t.id = ANY(%(ids)s)
                RETURNING t.*
            )
            INSERT INTO {events} ({_EVENT_COLUMNS})
            SELECT %(account)s, %(operation)s, %(entity_type)s, d.id, 'delete', %(actor_id)s,
                   %(actor_name)s, %(source)s, %(now)s, {title_sql(et, "d")}, NULL,
                   {record_sql(et, "d")}, %(version)s
            FROM d
            """,
            {**params, "entity_type": et.entity_type},
        )
        return cursor.rowcount


def _delete_row_by_row(account, et, ids, actor, operation, now) -> int:
    drafts: list[EventDraft] = []
    for child, link in children_of(et.entity_type):
        linked = child.model.objects.filter(account=account, **{f"{link.field}__in": ids}).order_by(
            "pk"
        )
        for obj in linked:
            old_value = getattr(obj, link.field)
            setattr(obj, link.field, None)
            obj.updated_at = now
            obj.save(update_fields=[link.field, "updated_at"])
            drafts.append(
                EventDraft(
                    entity_type=child.entity_type,
                    entity_id=obj.pk,
                    action=Action.UPDATE,
                    title=title_of(child, to_record(child, obj)),
                    changes={link.field: [old_value, None]},
                    schema_version=SCHEMA_VERSION,
                )
            )
    rows = et.model.objects.filter(account=account, pk__in=ids).order_by("pk")
    for obj in rows:
        record = to_record(et, obj)
        drafts.append(
            EventDraft(
                entity_type=et.entity_type,
                entity_id=obj.pk,
                action=Action.DELETE,
                title=title_of(et, record),
                data=record,
                schema_version=SCHEMA_VERSION,
            )
        )
    deleted = et.model.objects.filter(account=account, pk__in=ids)._raw_delete(connection.alias)
    record_events(
        account_id=account.pk, actor=actor, operation=operation, drafts=drafts, occurred_at=now
    )
    return deleted
