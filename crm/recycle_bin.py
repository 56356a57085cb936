"""The recycle bin (issue 7): deleted CRM records of the last RECYCLE_BIN_DAYS
days, built from the History's delete events (each holds the record whole),
and the loader that brings records back with their original ids.

What this module owns:
- `still_in_bin` / `deletions_in_bin`: the one definition of "in the bin";
  `bin_entries`: the bin as a viewer sees it (employees their own deletions),
  filtered, with `seek`/`bin_page` for its cursor pages; `direct_parents_in_bin`
  / `ancestors_in_bin` for "bring back the company too".
- `restore_records`: THE original-id loader. It inserts canonical records
  (crm/records.py) with their ids, all fields and custom field values, parents
  first, in one transaction behind the write guard, with one "restore" History
  event per record, and (given the deleting operations) links again the
  records the deletion had unlinked. For callers that hold records.
- `restore_events`: the same restore from History events (their `data`), the
  records read from the events in SQL on PostgreSQL (`INSERT … SELECT` from
  the event table, restore events in the same statement), with the records
  path standing in for anything it cannot do exactly. The bin's restore and
  the mass-deletion undo use it.
- `restore_from_bin`: the bin's restore service (plan, visibility, state
  checks), which calls `restore_events`.

The bin covers the `crm` module (companies, contacts, leads, deals). Deleted
products and custom field definitions come back only with a full account
rollback (R13), so they are not in the bin.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT
from django.utils import timezone

from accounts.actors import Actor
from accounts.capabilities import Capability, require_capability
from accounts.guard import ensure_account_writable
from accounts.models import Account, Membership
from accounts.timezones import day_start_utc, local_to_utc
from crm_history.models import Action, Event
from crm_history.recorder import EventDraft, new_operation, record_events
from recovery_portal.errors import Conflict, Invalid, NotFound
from recovery_portal.pagination import KeysetPage, paginate_keyset, read_cursor

from .records import (
    RecordError,
    decode_value,
    encode_value,
    from_record,
    record_sql,
    title_of,
    title_sql,
    to_record,
)
from .registry import (
    SCHEMA_VERSION,
    EntityType,
    children_of,
    entity,
    entity_types,
    module_entities,
)

BIN_MODULE = "crm"
# One request restores at most this many records (a bulk delete takes 10,000 at
# a time; parents come on top). Bounds the memory of one request.
MAX_RESTORE_RECORDS = 50_000
MAX_SHOWN = 5  # records named in one refusal sentence


# --- What is in the bin ---------------------------------------------------------


def bin_entity_types() -> tuple[EntityType, ...]:
    """The entity types the bin holds, parents first (R13: not products or fields)."""
    return module_entities(BIN_MODULE)


_BIN_TYPES = frozenset(et.entity_type for et in module_entities(BIN_MODULE))


def _event_ids_in(events: QuerySet, ids: Sequence[int]) -> QuerySet:
    """`events` narrowed to these event ids: on PostgreSQL one array parameter
    (`id = ANY(%s)`) rather than one per id (building a query of 10,000
    parameters costs more in Python than running it)."""
    if connection.vendor != "postgresql":
        return events.filter(pk__in=ids)
    table = Event._meta.db_table
    return events.filter(RawSQL(f"{table}.id = ANY(%s)", (list(ids),), output_field=BooleanField()))


def retention_days() -> int:
    return int(settings.RECYCLE_BIN_DAYS)


def retention_cutoff(now: datetime | None = None) -> datetime:
    """A deletion at or before this moment has left the bin (its event stays in History).

    Deleted at T, a record is in the bin until T + RECYCLE_BIN_DAYS, exclusive.
    """
    return (now or timezone.now()) - timedelta(days=retention_days())


def period_bound(value: date | datetime, account: Account, *, end: bool) -> datetime:
    """A filter bound in UTC. A date is a whole day in the account's time zone
    (`end=True` gives the start of the next day, an exclusive bound); a datetime
    is taken as it is (without a zone, read in the account's zone)."""
    if isinstance(value, datetime):
        return local_to_utc(value, account, field="deleted_before" if end else "deleted_after")
    return day_start_utc(value + timedelta(days=1) if end else value, account)


def can_see(membership: Membership, event: Event) -> bool:
    """Administrators see all of the account's deletions; employees their own."""
    return membership.is_admin or event.actor_id == membership.user_id


def still_in_bin(events: QuerySet) -> QuerySet:
    """The events of `events` (delete events) whose record is not back: no record
    of that id in the account now, and no later restore or deletion of that
    record (deleted, restored and deleted again: only the newest deletion
    counts). The one definition of "in the bin", for the bin and its users
    (the mass-deletion undo).

    Uses index: event_record (account, entity_type, entity_id) for the later
    events, each table's primary key for "not back yet": two anti-joins per
    row, no query per row.
    """
    # A later restore means it came back; a later deletion is the newer entry.
    # Any other later event implies the record exists again (checked below).
    later = Event.objects.filter(
        account_id=OuterRef("account_id"),
        entity_type=OuterRef("entity_type"),
        entity_id=OuterRef("entity_id"),
        action__in=(Action.RESTORE, Action.DELETE),
    ).filter(
        Q(occurred_at__gt=OuterRef("occurred_at"))
        | Q(occurred_at=OuterRef("occurred_at"), id__gt=OuterRef("id"))
    )
    not_back = Q()
    for et in bin_entity_types():
        exists_now = et.model.objects.filter(
            account_id=OuterRef("account_id"), pk=OuterRef("entity_id")
        )
        not_back |= Q(entity_type=et.entity_type) & ~Exists(exists_now)
    return events.filter(not_back).filter(~Exists(later))


def deletions_in_bin(account: Account, *, now: datetime | None = None) -> QuerySet:
    """Every entry of the account's bin, whoever deleted it, newest first: the
    delete events of the last RECYCLE_BIN_DAYS days whose record is not back.

    Uses index: event_action_timeline (account, action, -occurred_at, -id).
    """
    deletions = Event.objects.filter(
        account=account,
        action=Action.DELETE,
        occurred_at__gt=retention_cutoff(now),  # the RECYCLE_BIN_DAYS retention
    )
    return still_in_bin(deletions).order_by(*BIN_ORDERING)


def bin_entries(
    account: Account,
    *,
    viewer_membership: Membership,
    entity_type: str | None = None,
    title: str | None = None,
    deleted_by: int | None = None,
    deleted_after: date | datetime | None = None,
    deleted_before: date | datetime | None = None,
    operation: uuid.UUID | None = None,
    now: datetime | None = None,
) -> QuerySet:
    """The entries of the bin that `viewer_membership` sees, filtered, newest first.

    Administrators see all of the account's; employees only the deletions they
    made themselves. Dates (`deleted_after`, `deleted_before`) are whole days
    in the account's time zone, both included; datetimes are exact bounds
    (from, before), read in the account's zone when they have none
    (accounts.timezones).

    Uses index: event_action_timeline (account, action, -occurred_at, -id) for
    the scan in keyset order; see `still_in_bin` for the rest.
    """
    if viewer_membership.account_id != account.pk:
        raise NotFound("There is no such recycle bin.")
    types = [et.entity_type for et in bin_entity_types()]
    if entity_type is not None and entity_type not in types:
        raise Invalid(
            f"“{entity_type}” is not a type of record in the recycle bin.",
            fields={"entity_type": [f"Choose one of: {', '.join(types)}."]},
        )
    qs = deletions_in_bin(account, now=now)
    if not viewer_membership.is_admin:
        qs = qs.filter(actor_id=viewer_membership.user_id)
    if entity_type:
        qs = qs.filter(entity_type=entity_type)
    if title:
        qs = qs.filter(title__icontains=title.strip())
    if deleted_by is not None:
        qs = qs.filter(actor_id=deleted_by)
    if deleted_after is not None:
        qs = qs.filter(occurred_at__gte=period_bound(deleted_after, account, end=False))
    if deleted_before is not None:
        qs = qs.filter(occurred_at__lt=period_bound(deleted_before, account, end=True))
    if operation is not None:
        qs = qs.filter(operation=operation)
    return qs


BIN_ORDERING = ("-occurred_at", "-id")  # newest first, keyset pages on (occurred_at, id)
BIN_CURSOR_SCOPE = "recycle-bin"


def seek(entries: QuerySet, cursor: str | None) -> QuerySet:
    """`entries` from the cursor's position on, as one row comparison
    `(occurred_at, id) < (x, y)`: an index condition on both columns, so a page
    inside a bulk delete (10,000 entries at one instant) starts exactly at the
    cursor instead of walking the tied rows before it. `paginate_keyset` still
    applies its own (equivalent) condition and the signature check; a tampered
    cursor is `Invalid` (400).

    Uses index: event_action_timeline, Index Cond ROW(occurred_at, id) < ROW(x, y).
    """
    if not cursor:
        return entries
    values, direction = read_cursor(BIN_CURSOR_SCOPE, cursor)
    if (
        len(values) != 2
        or not isinstance(values[0], datetime)
        or not isinstance(values[1], int)
        or isinstance(values[1], bool)
    ):
        raise Invalid("The cursor is not valid.")
    table = Event._meta.db_table
    op = "<" if direction == "n" else ">"  # newest first: "next" goes to older rows
    return entries.filter(
        RawSQL(
            f"({table}.occurred_at, {table}.id) {op} (%s, %s)",
            (values[0], values[1]),
            output_field=BooleanField(),
        )
    )


def bin_page(entries: QuerySet, *, cursor: str | None, page_size: int) -> KeysetPage:
    """One page of bin entries, newest first (pages and the API)."""
    return paginate_keyset(
        seek(entries, cursor),
        ordering=BIN_ORDERING,
        cursor=cursor,
        page_size=page_size,
        scope=BIN_CURSOR_SCOPE,
    )


def _parent_keys(events: Iterable[Event]) -> dict[str, set[int]]:
    """The (entity type → ids) that the events' records link to."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        et = entity(event.entity_type)
        for link in et.links:
            target = (event.data or {}).get(link.field)
            if isinstance(target, int) and not isinstance(target, bool):
                wanted[link.target].add(target)
    return wanted


def _linked_keys(events: Iterable[Event]) -> dict[str, set[int]]:
    """`_parent_keys` read in SQL from the events' records (the events' `data`
    need not be loaded: a restore of 10,000 entries never decodes them in
    Python). One query per linking entity type."""
    if connection.vendor != "postgresql":  # the SQLite demo: read in Python
        return _parent_keys(Event.objects.filter(pk__in=[event.pk for event in events]))
    by_type: dict[str, list[int]] = defaultdict(list)
    for event in events:
        by_type[event.entity_type].append(event.pk)
    wanted: dict[str, set[int]] = defaultdict(set)
    with connection.cursor() as cursor:
        for entity_type, event_ids in by_type.items():
            links = entity(entity_type).links if entity_type in _BIN_TYPES else ()
            for link in links:
                # A JSON whole number, as `_parent_keys` takes it (not a string or a bool).
                cursor.execute(
                    f"SELECT DISTINCT e.data->>%s FROM {Event._meta.db_table} e "
                    "WHERE e.id = ANY(%s) AND jsonb_typeof(e.data->%s) = 'number'",
                    [link.field, sorted(event_ids), link.field],
                )
                for (text,) in cursor.fetchall():
                    if text.lstrip("-").isdigit():
                        wanted[link.target].add(int(text))
    return wanted


def _entries_for(
    account: Account, viewer_membership: Membership, keys: dict[str, set[int]], now
) -> dict[tuple[str, int], Event]:
    found: dict[tuple[str, int], Event] = {}
    for entity_type, ids in keys.items():
        if not ids:
            continue
        rows = (
            bin_entries(
                account, viewer_membership=viewer_membership, entity_type=entity_type, now=now
            )
            .filter(entity_id__in=sorted(ids))
            .defer("data", "changes")  # the parents' links are read in SQL (_linked_keys)
        )
        for event in rows:
            found[(event.entity_type, event.entity_id)] = event
    return found


def direct_parents_in_bin(
    account: Account,
    *,
    viewer_membership: Membership,
    events: Sequence[Event],
    now: datetime | None = None,
) -> dict[int, list[Event]]:
    """For each event id, the bin entries (visible to the viewer) of the records its
    record links to: a contact's company, a deal's company and contact. One
    query per linked entity type, whatever the number of events."""
    now = now or timezone.now()
    found = _entries_for(account, viewer_membership, _parent_keys(events), now)
    result: dict[int, list[Event]] = {}
    for event in events:
        parents = []
        for link in entity(event.entity_type).links:
            target = (event.data or {}).get(link.field)
            parent = found.get((link.target, target))
            if parent is not None:
                parents.append(parent)
        result[event.pk] = parents
    return result


def ancestors_in_bin(
    account: Account,
    *,
    viewer_membership: Membership,
    events: Sequence[Event],
    now: datetime | None = None,
) -> list[Event]:
    """Every bin entry (visible to the viewer) that the events' records link to,
    directly or through another such entry (a deal's contact's company), parents
    first, leaving out the events themselves."""
    now = now or timezone.now()
    seen = {(e.entity_type, e.entity_id) for e in events}
    result: list[Event] = []
    frontier = list(events)
    while frontier:
        keys = _linked_keys(frontier)
        for entity_type, ids in keys.items():
            keys[entity_type] = {i for i in ids if (entity_type, i) not in seen}
        found = _entries_for(account, viewer_membership, keys, now)
        frontier = list(found.values())
        seen.update(found)
        result.extend(frontier)
    order = {et.entity_type: i for i, et in enumerate(entity_types())}
    result.sort(key=lambda e: (order[e.entity_type], -e.occurred_at.timestamp(), -e.pk))
    return result


# --- The original-id loader -------------------------------------------------------


@dataclass(frozen=True)
class RestoredRecord:
    entity_type: str
    id: int
    title: str


@dataclass(frozen=True)
class Unlinked:
    """A link of a restored record that pointed at a record that does not exist now
    and was not restored with it: the record came back without that link."""

    entity_type: str
    id: int
    title: str
    field: str
    target_type: str
    target_id: int

    def sentence(self) -> str:
        return (
            f"{entity(self.entity_type).label} “{self.title}” came back without its "
            f"{entity(self.target_type).label} (#{self.target_id} does not exist now)"
        )


@dataclass(frozen=True)
class Relinked:
    """A record that the deletion had unlinked from a restored record (a contact
    of a deleted company), linked to it again."""

    entity_type: str
    id: int
    title: str
    field: str
    target_type: str
    target_id: int


@dataclass
class RestoreResult:
    operation: uuid.UUID
    records: list[RestoredRecord] = field(default_factory=list)  # parents first
    unlinked: list[Unlinked] = field(default_factory=list)
    relinked: list[Relinked] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.records)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.records:
            counts[record.entity_type] = counts.get(record.entity_type, 0) + 1
        return counts

    def ids(self) -> dict[str, list[int]]:
        ids: dict[str, list[int]] = {}
        for record in self.records:
            ids.setdefault(record.entity_type, []).append(record.id)
        return ids


_EVENT_COLUMNS = (
    "account_id, operation, entity_type, entity_id, action, actor_id, actor_name, source, "
    "occurred_at, title, changes, data, schema_version"
)
_PG_CASTS = {
    "int": "bigint",
    "decimal": "numeric",
    "date": "date",
    "datetime": "timestamptz",
    "bool": "boolean",
}


def _ordered_groups(
    entity_type_records: Mapping[str, Iterable[dict]] | Iterable[tuple[str, Iterable[dict]]],
) -> list[tuple[EntityType, list[dict]]]:
    """The records grouped by entity type, in the registry's parent-first order."""
    pairs = (
        entity_type_records.items()
        if isinstance(entity_type_records, Mapping)
        else entity_type_records
    )
    grouped: dict[str, list[dict]] = defaultdict(list)
    for entity_type, records in pairs:
        try:
            entity(entity_type)
        except KeyError as exc:
            raise Invalid(f"“{entity_type}” is not a type of record.") from exc
        grouped[entity_type].extend(records)
    return [(et, grouped[et.entity_type]) for et in entity_types() if grouped.get(et.entity_type)]


def _cap(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _label(et: EntityType, record: dict) -> str:
    return f"{et.label} “{title_of(et, record)}” (#{record.get('id')})"


def canonical_record(et: EntityType, record: dict) -> dict:
    """`record` as a complete canonical record: every field present, each value
    read as its kind (RecordError if it cannot be) and written back canonically;
    a missing field, or a null in a field that takes none, gets the model's
    default. The id is required."""
    if not isinstance(record, dict):
        raise RecordError("a record is an object of field values.")
    out = {}
    for spec in et.fields:
        value = decode_value(spec, record[spec.name]) if spec.name in record else None
        if value is None and not spec.nullable:
            if spec.name == "id":
                raise RecordError("id: a record needs its id to come back.")
            model_field = et.model._meta.get_field(spec.name)
            value = model_field.get_default()
            if value is None:
                raise RecordError(f"{spec.name}: a value is required.")
        out[spec.name] = encode_value(spec, value)
    return out


def _prepare(groups: list[tuple[EntityType, list[dict]]]) -> list[tuple[EntityType, list[dict]]]:
    prepared = []
    total = 0
    for et, records in groups:
        rows = []
        seen: set[int] = set()
        for record in records:
            try:
                row = canonical_record(et, record)
            except RecordError as exc:
                name = _label(et, record) if isinstance(record, dict) else et.label
                raise Invalid(_cap(f"{name} cannot come back: {exc}")) from exc
            if row["id"] in seen:
                raise Invalid(_cap(f"{_label(et, row)} is in the request twice."))
            seen.add(row["id"])
            rows.append(row)
        total += len(rows)
        prepared.append((et, rows))
    if total == 0:
        raise Invalid("There is nothing to restore.")
    if total > MAX_RESTORE_RECORDS:
        raise Invalid(
            f"One request restores at most {MAX_RESTORE_RECORDS:,} records; "
            f"this one has {total:,}. Restore them in parts."
        )
    return prepared


class IdsTaken(Conflict):
    """409 `conflict`: records cannot come back because their ids are in use now."""


def _taken_sentence(et: EntityType, record: dict) -> str:
    return _cap(f"{_label(et, record)} cannot come back: its id is now used by another record")


def _ids_taken(sentences: list[str], total: int) -> IdsTaken:
    shown = "; ".join(sentences[:MAX_SHOWN])
    more = total - min(len(sentences), MAX_SHOWN)
    if more > 0:
        shown += f"; and {more} more"
    return IdsTaken(f"Nothing was restored. {shown}.")


def _refuse_taken_ids(prepared: list[tuple[EntityType, list[dict]]]) -> None:
    """All or nothing: an id that is taken now refuses the whole request."""
    taken_sentences = []
    for et, rows in prepared:
        ids = [row["id"] for row in rows]
        # Not scoped to the account on purpose: the primary key is unique across
        # accounts, so a row of any account holding the id blocks the insert.
        # Only the fact that the id is taken is reported, nothing of that row.
        taken = set(et.model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        for row in rows:
            if row["id"] in taken:
                taken_sentences.append(_taken_sentence(et, row))
    if taken_sentences:
        raise _ids_taken(taken_sentences, len(taken_sentences))


def _existing_ids(account: Account, target: EntityType, ids: list[int]) -> set[int]:
    """The ids among `ids` of records of `account` that exist now, locked against a
    concurrent delete until the restore commits (so its links stay valid)."""
    if not ids:
        return set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {target.table} WHERE account_id = %s AND id = ANY(%s) "
                "ORDER BY id FOR KEY SHARE",
                [account.pk, ids],
            )
            return {row[0] for row in cursor.fetchall()}
    return set(
        target.model.objects.filter(account=account, pk__in=ids).values_list("pk", flat=True)
    )


def _resolve_links(account: Account, prepared) -> list[Unlinked]:
    """Keep each link to a record that exists now in the account or comes back in
    this request; set the others to null and report them."""
    coming = {(et.entity_type, row["id"]) for et, rows in prepared for row in rows}
    unlinked: list[Unlinked] = []
    for et, rows in prepared:
        for link in et.links:
            wanted = sorted(
                {
                    row[link.field]
                    for row in rows
                    if row[link.field] is not None and (link.target, row[link.field]) not in coming
                }
            )
            existing = _existing_ids(account, entity(link.target), wanted)
            for row in rows:
                target_id = row[link.field]
                if target_id is None or (link.target, target_id) in coming:
                    continue
                if target_id not in existing:
                    unlinked.append(
                        Unlinked(
                            entity_type=et.entity_type,
                            id=row["id"],
                            title=title_of(et, row),
                            field=link.field,
                            target_type=link.target,
                            target_id=target_id,
                        )
                    )
                    row[link.field] = None
    return unlinked


def _from_json_sql(spec, alias: str) -> str:
    if spec.kind == "json":
        return f"{alias}->'{spec.name}'"
    if spec.kind == "str":
        return f"{alias}->>'{spec.name}'"
    return f"({alias}->>'{spec.name}')::{_PG_CASTS[spec.kind]}"


def _insert_set_based(account, et, rows, actor, operation, now) -> list[RestoredRecord]:
    """One statement per entity type: the rows from a jsonb array, and their
    restore events built in SQL from the inserted rows (the same dict as
    `to_record`)."""
    columns = ", ".join(spec.name for spec in et.fields)
    values = ", ".join(_from_json_sql(spec, "src.r") for spec in et.fields)
    events = Event._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH ins AS (
                INSERT INTO {et.table} (account_id, {columns})
                SELECT %(account)s, {values}
                FROM jsonb_array_elements(%(rows)s::jsonb) AS src(r)
                RETURNING *
            )
            INSERT INTO {events} ({_EVENT_COLUMNS})
            SELECT %(account)s, %(operation)s, %(entity_type)s, ins.id, 'restore', %(actor_id)s,
                   %(actor_name)s, %(source)s, %(now)s, {title_sql(et, "ins")}, NULL,
                   {record_sql(et, "ins")}, %(version)s
            FROM ins ORDER BY ins.id
            RETURNING entity_id, title
            """,
            {
                "account": account.pk,
                "rows": json.dumps(rows),
                "operation": operation,
                "entity_type": et.entity_type,
                "actor_id": actor.user_id,
                "actor_name": actor.name,
                "source": actor.source,
                "now": now,
                "version": SCHEMA_VERSION,
            },
        )
        restored = [RestoredRecord(et.entity_type, rid, title) for rid, title in cursor.fetchall()]
        # Explicit ids: make sure the table's sequence is past them, so that the
        # next record created gets a free id.
        cursor.execute(
            """
            SELECT setval(s.seq, %(max)s)
            FROM (SELECT pg_get_serial_sequence(%(table)s, 'id')::regclass AS seq) AS s
            WHERE COALESCE(pg_sequence_last_value(s.seq), 0) < %(max)s
            """,
            {"table": et.table, "max": max(row["id"] for row in rows)},
        )
    return restored


def _insert_row_by_row(account, et, rows, actor, operation, now) -> list[RestoredRecord]:
    """The portable path (the SQLite demo): the same rows and events, through the ORM."""
    objs = [et.model(account_id=account.pk, **from_record(et, row)) for row in rows]
    et.model.objects.bulk_create(objs, batch_size=500)
    drafts, restored = [], []
    for obj in sorted(objs, key=lambda o: o.pk):
        record = to_record(et, obj)
        title = title_of(et, record)
        drafts.append(
            EventDraft(
                entity_type=et.entity_type,
                entity_id=obj.pk,
                action=Action.RESTORE,
                title=title,
                data=record,
                schema_version=SCHEMA_VERSION,
            )
        )
        restored.append(RestoredRecord(et.entity_type, obj.pk, title))
    record_events(
        account_id=account.pk, actor=actor, operation=operation, drafts=drafts, occurred_at=now
    )
    return restored


def _relink_children(
    account: Account,
    restored: list[RestoredRecord],
    operations: set[uuid.UUID],
    actor: Actor,
    operation: uuid.UUID,
    now: datetime,
) -> list[Relinked]:
    """Link again the records that the deletions `operations` unlinked from the
    restored records, where that link is still empty and was not set since.

    The unlinks are the deletion's own update events (`{field: [parent, null]}`,
    written by the services in the delete's operation). Uses index:
    event_operation (account, operation) for them; event_record for "set
    since". One query per (child type, link), not per record.
    """
    restored_ids: dict[str, set[int]] = defaultdict(set)
    for record in restored:
        restored_ids[record.entity_type].add(record.id)
    relinked: list[Relinked] = []
    for parent_type, parent_ids in restored_ids.items():
        for child, link in children_of(parent_type):
            unlinks: dict[int, tuple[int, datetime, int]] = {}  # child id -> parent, at, event
            rows = Event.objects.filter(
                account=account,
                operation__in=operations,
                action=Action.UPDATE,
                entity_type=child.entity_type,
            ).values_list("id", "entity_id", "occurred_at", "changes")
            for event_id, child_id, at, changes in rows:
                change = (changes or {}).get(link.field)
                if (
                    isinstance(change, list)
                    and len(change) == 2
                    and change[1] is None
                    and change[0] in parent_ids
                ):
                    unlinks[child_id] = (change[0], at, event_id)
            if not unlinks:
                continue
            # Set since (by a person, an import, another restore): left as it is.
            since = Event.objects.filter(
                account=account,
                entity_type=child.entity_type,
                entity_id__in=sorted(unlinks),
                changes__has_key=link.field,
            ).values_list("id", "entity_id", "occurred_at")
            for event_id, child_id, at in since:
                _, unlinked_at, unlink_id = unlinks.get(child_id, (None, None, None))
                if unlink_id is not None and (at, event_id) > (unlinked_at, unlink_id):
                    del unlinks[child_id]
            children = list(
                child.model.objects.select_for_update()
                .filter(account=account, pk__in=sorted(unlinks), **{link.field: None})
                .order_by("pk")
            )
            if not children:
                continue
            drafts = []
            for obj in children:
                parent_id = unlinks[obj.pk][0]
                setattr(obj, link.field, parent_id)
                obj.updated_at = now
                title = title_of(child, to_record(child, obj))
                drafts.append(
                    EventDraft(
                        entity_type=child.entity_type,
                        entity_id=obj.pk,
                        action=Action.UPDATE,
                        title=title,
                        changes={link.field: [None, parent_id]},
                        schema_version=SCHEMA_VERSION,
                    )
                )
                relinked.append(
                    Relinked(child.entity_type, obj.pk, title, link.field, parent_type, parent_id)
                )
            child.model.objects.bulk_update(children, [link.field, "updated_at"], batch_size=1000)
            record_events(
                account_id=account.pk,
                actor=actor,
                operation=operation,
                drafts=drafts,
                occurred_at=now,
            )
    return relinked


def restore_records(
    *,
    account: Account,
    entity_type_records: Mapping[str, Iterable[dict]] | Iterable[tuple[str, Iterable[dict]]],
    actor: Actor,
    operation: uuid.UUID | None = None,
    relink_operations: Iterable[uuid.UUID] = (),
) -> RestoreResult:
    """Bring canonical records back with their original ids, all or nothing.

    `entity_type_records`: {entity_type: [record, ...]} or [(entity_type,
    [record, ...]), ...]; records are canonical (crm.records), e.g. the `data`
    of delete events. In one transaction that first passes the write guard
    (423 while a restore runs): the records are inserted parents first (the
    registry's order) with every field and their custom field values as they
    were (values of deleted definitions stay hidden, crm/custom_values.py);
    each link to a record that exists now in the account, or comes back in
    this request, is kept, any other is set to null and reported in
    `unlinked`; one "restore" History event per record, with the record as
    restored and `operation`.

    `relink_operations`: the operations that deleted these records. A record
    such a deletion unlinked (a contact of a deleted company) is linked to the
    restored record again when it exists and that link is still empty, never
    set since (`relinked`; an update event each, same `operation`).

    Refuses the whole request with 409 `conflict` naming the records when an id
    is taken now, and with 400 `invalid` when a record cannot be read.
    """
    groups = _ordered_groups(entity_type_records)
    operation = operation or new_operation()
    now = timezone.now()
    result = RestoreResult(operation=operation)
    try:
        with transaction.atomic():
            ensure_account_writable(account.pk)
            prepared = _prepare(groups)
            _refuse_taken_ids(prepared)
            result.unlinked = _resolve_links(account, prepared)
            insert = _insert_set_based if connection.vendor == "postgresql" else _insert_row_by_row
            for et, rows in prepared:
                result.records.extend(insert(account, et, rows, actor, operation, now))
            if relink_operations:
                result.relinked = _relink_children(
                    account, result.records, set(relink_operations), actor, operation, now
                )
    except IntegrityError as exc:
        # A record with one of these ids was created while we restored (the
        # check above saw it free): the transaction is rolled back whole.
        raise Conflict(
            "Nothing was restored: a record with one of these ids was created meanwhile. "
            "Reload the recycle bin and try again."
        ) from exc
    except DataError as exc:
        raise Invalid(
            f"Nothing was restored: a saved record does not fit its table now ({exc})."
        ) from exc
    return result


# --- The event path: records read from the History in SQL ---------------------------------

# The records path loads at most this many records at a time when it stands in
# for an unbounded event-path request (the mass-deletion undo): bounds memory.
RECORDS_CHUNK = 10_000

EventSource = Iterable[int] | QuerySet  # event ids, or a QuerySet of events


class _UseRecordsPath(Exception):
    """The event path cannot restore this request exactly as the records path would."""


def _unreadable(title: str, entity_id: int) -> Conflict:
    return Conflict(
        f"Nothing was restored: the deletion of {title} (#{entity_id}) "
        "does not hold a record this version can read."
    )


def _ordered_event_groups(
    events: Mapping[str, EventSource] | Iterable[tuple[str, EventSource]],
) -> list[tuple[EntityType, list[int] | QuerySet]]:
    """The events grouped by the entity type of their records, parents first:
    sorted ids, or the QuerySet as it is (read once, by `_collect`)."""
    pairs = events.items() if isinstance(events, Mapping) else events
    grouped: dict[str, list] = defaultdict(list)
    for entity_type, source in pairs:
        try:
            entity(entity_type)
        except KeyError as exc:
            raise Invalid(f"“{entity_type}” is not a type of record.") from exc
        grouped[entity_type].append(
            source if isinstance(source, QuerySet) else {int(i) for i in source}
        )
    groups = []
    for et in entity_types():
        sources = grouped.get(et.entity_type, [])
        if any(isinstance(source, QuerySet) for source in sources):
            if len(sources) > 1:
                raise ValueError(f"Give the {et.label_plural}' events once, as one QuerySet.")
            groups.append((et, sources[0]))
        elif any(sources):
            groups.append((et, sorted(set().union(*sources))))
    return groups


def _events_of(account: Account, et: EntityType, source: list[int] | QuerySet) -> QuerySet:
    events = source if isinstance(source, QuerySet) else _event_ids_in(Event.objects, source)
    return events.filter(account=account, entity_type=et.entity_type).order_by()


def _records_of_events(
    account: Account, et: EntityType, source: list[int] | QuerySet, *, chunk: int | None
) -> Iterable[list[dict]]:
    """The records (`data`) of the events, in chunks of `chunk` (all at once for
    None), ordered by record id; 409 for an event without a record this version
    reads, 404 for an id that is not an event of the account about `et`."""
    rows = (
        _events_of(account, et, source)
        .order_by("entity_id", "pk")
        .values_list("entity_id", "title", "data", "schema_version")
    )
    seen = 0
    records: list[dict] = []
    for entity_id, title, data, version in rows.iterator(chunk_size=2000):
        if data is None or version > SCHEMA_VERSION:
            raise _unreadable(title, entity_id)
        seen += 1
        records.append(data)
        if chunk is not None and len(records) == chunk:
            yield records
            records = []
    if not isinstance(source, QuerySet) and seen != len(source):
        raise NotFound(
            f"Some of these events are not deletions of {et.label_plural} in this account."
        )
    if records:
        yield records


def _restore_by_records(
    account: Account,
    groups: list[tuple[EntityType, list[int] | QuerySet]],
    *,
    actor: Actor,
    operation: uuid.UUID,
    relink_operations: set[uuid.UUID],
    chunk: int | None,
) -> RestoreResult:
    """The event path's stand-in: the events' records loaded in Python and given
    to `restore_records` (all at once, or `chunk` records at a time, parents
    first, in the caller's transaction and operation)."""
    if chunk is None:
        records = [
            (et.entity_type, part)
            for et, source in groups
            for part in _records_of_events(account, et, source, chunk=None)
        ]
        return restore_records(
            account=account,
            entity_type_records=records,
            actor=actor,
            operation=operation,
            relink_operations=relink_operations,
        )
    result = RestoreResult(operation=operation)
    for et, source in groups:
        for part in _records_of_events(account, et, source, chunk=chunk):
            done = restore_records(
                account=account,
                entity_type_records={et.entity_type: part},
                actor=actor,
                operation=operation,
                relink_operations=relink_operations,
            )
            result.records.extend(done.records)
            result.unlinked.extend(done.unlinked)
            result.relinked.extend(done.relinked)
    if not result.records:
        raise Invalid("There is nothing to restore.")
    return result


@dataclass
class _Collected:
    """What the event path reads of one entity type's events before writing."""

    event_ids: list[int] = field(default_factory=list)
    record_ids: set[int] = field(default_factory=set)
    targets: dict[str, set[int]] = field(default_factory=dict)  # link field -> ids


def _whole(text: str | None) -> int:
    try:
        return int(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _UseRecordsPath from None


def _collect(account: Account, et: EntityType, source: list[int] | QuerySet) -> _Collected:
    """One read of the events: their ids, their records' ids and link targets.
    A record without a readable id or link sends the request to the records
    path (which says why)."""
    links = [link.field for link in et.links]
    rows = _events_of(account, et, source).values_list(
        "pk", KT("data__id"), *(KT(f"data__{name}") for name in links)
    )
    out = _Collected(targets={name: set() for name in links})
    for row in rows.iterator(chunk_size=10_000):
        out.event_ids.append(row[0])
        out.record_ids.add(_whole(row[1]))
        for name, text in zip(links, row[2:], strict=True):
            if text is not None:
                out.targets[name].add(_whole(text))
    if not isinstance(source, QuerySet) and len(out.event_ids) != len(source):
        raise _UseRecordsPath  # ids that are not events of the account about `et`
    out.event_ids.sort()
    return out


_DATETIME_LIKE = "____-__-__T__:__:__.______Z"  # crm.records.DATETIME_FORMAT
_DATE_LIKE = "____-__-__"


def _shape_sql(et: EntityType, alias: str) -> str:
    """The conditions under which the SQL casts of `_from_json_sql` read a record
    as `canonical_record` does: every field present (else a default applies),
    dates and times in the canonical form (PostgreSQL would also take a time
    without a zone, or another date style), objects and booleans where those
    are expected, decimals with no more places than the field keeps (no
    rounding). A value that still does not cast raises an error, which sends
    the request to the records path too."""
    names = ", ".join(f"'{spec.name}'" for spec in et.fields)
    conditions = [f"{alias} ?& ARRAY[{names}]"]
    for spec in et.fields:
        value, text = f"{alias}->'{spec.name}'", f"({alias}->>'{spec.name}')"
        if spec.kind == "datetime":
            check = f"{text} LIKE '{_DATETIME_LIKE}'"
        elif spec.kind == "date":
            check = f"{text} LIKE '{_DATE_LIKE}'"
        elif spec.kind == "decimal":
            check = f"{text} ~ '^-?[0-9]+([.][0-9]{{1,{int(spec.decimal_places)}}})?$'"
        elif spec.kind in ("bool", "json"):
            check = f"jsonb_typeof({value}) = '{'boolean' if spec.kind == 'bool' else 'object'}'"
        else:
            continue  # int: a cast error if not whole; str: taken as written
        conditions.append(f"({text} IS NULL OR {check})" if spec.nullable else check)
    return " AND ".join(conditions)


def _insert_from_events(
    cursor, account, et: EntityType, event_ids: list[int], drops: dict, actor, operation, now
) -> list[RestoredRecord]:
    """One statement: the rows read from the events' records (the links in
    `drops` set to null), and their restore events built in SQL from the
    inserted rows, as `_insert_set_based` does. Rows whose record has another
    shape are left out: the caller then hands the request to the records path."""
    values = []
    params = {
        "account": account.pk,
        "ids": event_ids,
        "operation": operation,
        "entity_type": et.entity_type,
        "actor_id": actor.user_id,
        "actor_name": actor.name,
        "source": actor.source,
        "now": now,
        "version": SCHEMA_VERSION,
    }
    for spec in et.fields:
        value = _from_json_sql(spec, "e.data")
        missing = drops.get((et.entity_type, spec.name))
        if missing:
            params[f"drop_{spec.name}"] = missing
            value = f"CASE WHEN {value} = ANY(%(drop_{spec.name})s) THEN NULL ELSE {value} END"
        values.append(value)
    columns = ", ".join(spec.name for spec in et.fields)
    events = Event._meta.db_table
    cursor.execute(
        f"""
        WITH ins AS (
            INSERT INTO {et.table} (account_id, {columns})
            SELECT %(account)s, {", ".join(values)}
            FROM {events} e
            WHERE e.account_id = %(account)s AND e.id = ANY(%(ids)s)
              AND e.entity_type = %(entity_type)s AND e.schema_version <= %(version)s
              AND {_shape_sql(et, "e.data")}
            RETURNING *
        )
        INSERT INTO {events} ({_EVENT_COLUMNS})
        SELECT %(account)s, %(operation)s, %(entity_type)s, ins.id, 'restore', %(actor_id)s,
               %(actor_name)s, %(source)s, %(now)s, {title_sql(et, "ins")}, NULL,
               {record_sql(et, "ins")}, %(version)s
        FROM ins
        RETURNING entity_id, title
        """,
        params,
    )
    return sorted(
        (RestoredRecord(et.entity_type, rid, title) for rid, title in cursor.fetchall()),
        key=lambda record: record.id,
    )


def _restore_in_sql(
    account: Account,
    groups: list[tuple[EntityType, _Collected]],
    *,
    actor: Actor,
    operation: uuid.UUID,
    relink_operations: set[uuid.UUID],
    now: datetime,
) -> RestoreResult:
    """The event path on PostgreSQL; raises `_UseRecordsPath` (or a database
    error) when it cannot write exactly what the records path would."""
    result = RestoreResult(operation=operation)
    coming = {et.entity_type: collected.record_ids for et, collected in groups}
    if sum(len(collected.record_ids) for _, collected in groups) != sum(
        len(collected.event_ids) for _, collected in groups
    ):
        raise _UseRecordsPath  # a record twice: the records path names it
    # Links, as `_resolve_links`: kept when the record exists now (locked until
    # commit) or comes back in this request; otherwise set to null and reported.
    drops: dict[tuple[str, str], list[int]] = {}
    for et, collected in groups:
        for link in et.links:
            wanted = sorted(collected.targets[link.field] - coming.get(link.target, set()))
            existing = _existing_ids(account, entity(link.target), wanted)
            missing = [target for target in wanted if target not in existing]
            if missing:
                drops[(et.entity_type, link.field)] = missing
    events = Event._meta.db_table
    with connection.cursor() as cursor:
        for et, collected in groups:
            ids = collected.event_ids
            restored = _insert_from_events(cursor, account, et, ids, drops, actor, operation, now)
            if len(restored) != len(ids):
                raise _UseRecordsPath  # a record of another shape
            result.records.extend(restored)
            titles = {record.id: record.title for record in restored}
            for link in et.links:
                missing = drops.get((et.entity_type, link.field))
                if not missing:
                    continue
                cursor.execute(
                    f"SELECT (e.data->>'id')::bigint AS rid, (e.data->>%s)::bigint "
                    f"FROM {events} e WHERE e.id = ANY(%s) AND (e.data->>%s)::bigint = ANY(%s) "
                    "ORDER BY rid",
                    [link.field, ids, link.field, missing],
                )
                result.unlinked.extend(
                    Unlinked(et.entity_type, rid, titles[rid], link.field, link.target, target)
                    for rid, target in cursor.fetchall()
                )
            # Explicit ids: the table's sequence moves past them (as `_insert_set_based`).
            cursor.execute(
                """
                SELECT setval(s.seq, %(max)s)
                FROM (SELECT pg_get_serial_sequence(%(table)s, 'id')::regclass AS seq) AS s
                WHERE COALESCE(pg_sequence_last_value(s.seq), 0) < %(max)s
                """,
                {"table": et.table, "max": restored[-1].id},
            )
    if relink_operations:
        result.relinked = _relink_children(
            account, result.records, relink_operations, actor, operation, now
        )
    return result


def _taken_refusal(account: Account, groups: list[tuple[EntityType, _Collected]]) -> None:
    """After a failed insert: 409 naming the records whose ids are in use now, as
    `_refuse_taken_ids` words it, when that is why (else nothing)."""
    events = Event._meta.db_table
    sentences: list[str] = []
    total = 0
    with connection.cursor() as cursor:
        for et, collected in groups:
            # The records' ids are their events' entity ids (checked as text: no cast).
            cursor.execute(
                f"SELECT count(*) OVER (), e.id FROM {events} e "
                f"JOIN {et.table} t ON t.id = e.entity_id "
                "WHERE e.id = ANY(%s) AND e.data->>'id' = e.entity_id::text "
                "ORDER BY e.entity_id LIMIT %s",
                [collected.event_ids, MAX_SHOWN],
            )
            rows = cursor.fetchall()
            if not rows:
                continue
            total += rows[0][0]
            shown = Event.objects.filter(pk__in=[row[1] for row in rows]).order_by("entity_id")
            sentences.extend(_taken_sentence(et, event.data) for event in shown)
    if total:
        raise _ids_taken(sentences, total)


def restore_events(
    *,
    account: Account,
    events: Mapping[str, EventSource] | Iterable[tuple[str, EventSource]],
    actor: Actor,
    operation: uuid.UUID | None = None,
    relink_operations: Iterable[uuid.UUID] = (),
    max_records: int | None = MAX_RESTORE_RECORDS,
) -> RestoreResult:
    """Bring back the records that History events hold (the `data` of delete
    events), with the same result as `restore_records` given those records,
    without carrying them through Python on PostgreSQL.

    `events`: {entity_type: event ids, or a QuerySet of events} of the account.
    Same rules as `restore_records`: the write guard, one transaction, parents
    first, each link kept when its record exists now or comes back in this
    request (else null and reported in `unlinked`), one restore event per
    record in `operation`, the records `relink_operations` unlinked linked
    again; an id taken now refuses the whole request (409 `IdsTaken`, naming
    the records). An event without a record this version reads is 409; more
    than `max_records` records is 400 (None: no limit, for the mass-deletion
    undo).

    On PostgreSQL the events are read once for their ids and links, then each
    entity type is one `INSERT … SELECT` from the event table with its restore
    events written in the same statement from the inserted rows. That is exact
    for records of the shape the services write (`_shape_sql`); anything else
    (a field missing from an older record, a value of another form, the same
    record twice) rolls the attempt back and goes through the records path,
    which fills defaults or refuses with the record's name, as before. SQLite:
    the records path.
    """
    groups = _ordered_event_groups(events)
    operation = operation or new_operation()
    relink_operations = set(relink_operations)
    chunk = None if max_records is not None else RECORDS_CHUNK
    try:
        with transaction.atomic():
            ensure_account_writable(account.pk)
            collected = None
            if connection.vendor == "postgresql":
                with contextlib.suppress(_UseRecordsPath):  # the records path says why
                    collected = [(et, _collect(account, et, source)) for et, source in groups]
                    collected = [(et, c) for et, c in collected if c.event_ids]
            if collected is not None:
                total = sum(len(c.event_ids) for _, c in collected)
                if total == 0:
                    raise Invalid("There is nothing to restore.")
                if max_records is not None and total > max_records:
                    raise Invalid(
                        f"One request restores at most {max_records:,} records; "
                        f"this one has {total:,}. Restore them in parts."
                    )
                groups = [(et, c.event_ids) for et, c in collected]
                try:
                    with transaction.atomic():  # a savepoint: a failed attempt leaves nothing
                        return _restore_in_sql(
                            account,
                            collected,
                            actor=actor,
                            operation=operation,
                            relink_operations=relink_operations,
                            now=timezone.now(),
                        )
                except IntegrityError:
                    _taken_refusal(account, collected)  # the usual reason
                except (_UseRecordsPath, DataError):
                    pass
            # The records path restores it, or refuses it with the reason.
            return _restore_by_records(
                account,
                groups,
                actor=actor,
                operation=operation,
                relink_operations=relink_operations,
                chunk=chunk,
            )
    except IntegrityError as exc:  # a deferred constraint at commit
        raise Conflict(
            "Nothing was restored: the data changed while restoring. Try again."
        ) from exc


# --- Restoring from the bin ----------------------------------------------------------


def clean_event_ids(raw_ids: Iterable) -> list[int]:
    ids = []
    for raw in raw_ids:
        if isinstance(raw, bool):
            raise Invalid("events must be ids.", fields={"events": ["Enter whole numbers."]})
        try:
            value = int(raw)
        except (TypeError, ValueError) as exc:
            raise Invalid(
                "events must be ids.", fields={"events": ["Enter whole numbers."]}
            ) from exc
        if not 1 <= value <= 2**63 - 1:
            raise Invalid("events must be ids.", fields={"events": ["Ids are positive numbers."]})
        ids.append(value)
    return list(dict.fromkeys(ids))


def _why_not(event: Event, cutoff: datetime, tz) -> str:
    """Why a visible event is not a current entry of the bin."""
    try:
        et = entity(event.entity_type)
    except KeyError:
        return f"event #{event.pk} is not about a CRM record"
    name = f"{et.label} “{event.title}” (#{event.entity_id})"
    if event.action != Action.DELETE:
        return f"event #{event.pk} records a {event.action} of {name}, not a deletion"
    if et.module != BIN_MODULE:
        return f"{name} is not in the recycle bin: it comes back only with a full account rollback"
    if event.occurred_at <= cutoff:
        when = timezone.localtime(event.occurred_at, tz).strftime("%d %b %Y")
        return (
            f"{name} left the recycle bin {retention_days()} days after its deletion on {when} "
            "(it stays in the History)"
        )
    if et.model.objects.filter(account_id=event.account_id, pk=event.entity_id).exists():
        return f"{name} is back already"
    return f"{name} has come back since this deletion"


def _refusal(stale: list[Event], cutoff, tz) -> Conflict:
    reasons = [_why_not(e, cutoff, tz) for e in stale[:MAX_SHOWN]]
    if len(stale) > MAX_SHOWN:
        reasons.append(f"and {len(stale) - MAX_SHOWN} more")
    return Conflict("Nothing was restored: " + "; ".join(reasons) + ".")


def select_from_bin(
    account: Account,
    *,
    viewer_membership: Membership,
    event_ids: Iterable | None = None,
    operation: uuid.UUID | None = None,
    now: datetime | None = None,
) -> list[Event]:
    """The bin entries a restore request names, or its refusal, all or nothing.

    `event_ids`: each must be a current entry of the bin visible to the viewer:
    an id that is not an event of this account, or (for an employee) someone
    else's deletion, is 404 `not_found`; an event the viewer can see that is
    not a current entry (not a deletion, already back, past the retention
    days) is 409 `conflict` with the reason. `operation`: the current entries
    of that bulk deletion that the viewer sees (404 when there are none of any
    kind, 409 when all have come back or left the bin).
    """
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    tz = account.tzinfo
    selected: dict[int, Event] = {}
    ids = clean_event_ids(event_ids or [])
    if ids:
        # The records stay in the database (`data` deferred): the restore reads them in SQL.
        events = {
            e.pk: e
            for e in _event_ids_in(Event.objects.filter(account=account), ids).defer(
                "data", "changes"
            )
        }
        hidden = [i for i in ids if i not in events or not can_see(viewer_membership, events[i])]
        if hidden:
            shown = ", ".join(f"#{i}" for i in hidden[:10]) + ("…" if len(hidden) > 10 else "")
            raise NotFound(f"No deletion {shown} in your recycle bin; nothing was restored.")
        current = set(
            _event_ids_in(
                bin_entries(account, viewer_membership=viewer_membership, now=now), ids
            ).values_list("pk", flat=True)
        )
        stale = [events[i] for i in ids if i not in current]
        if stale:
            raise _refusal(stale, cutoff, tz)
        selected.update((i, events[i]) for i in ids)
    if operation is not None:
        entries = list(
            bin_entries(
                account, viewer_membership=viewer_membership, operation=operation, now=now
            ).defer("data", "changes")[: MAX_RESTORE_RECORDS + 1]
        )
        if not entries:
            deleted = Event.objects.filter(
                account=account, operation=operation, action=Action.DELETE
            )
            if not viewer_membership.is_admin:
                deleted = deleted.filter(actor_id=viewer_membership.user_id)
            first = deleted.order_by("-occurred_at", "-id").first()
            if first is None:
                raise NotFound("No deletion of that operation in your recycle bin.")
            raise Conflict(
                "Nothing was restored: every record of that deletion has come back or left "
                f"the recycle bin (e.g. {_why_not(first, cutoff, tz)})."
            )
        selected.update((e.pk, e) for e in entries)
    if not selected:
        raise Invalid(
            "Select the deleted records to restore.",
            fields={"events": ["Select at least one deleted record."]},
        )
    return list(selected.values())


def restore_from_bin(
    *,
    account: Account,
    viewer_membership: Membership,
    event_ids: Iterable | None = None,
    operation: uuid.UUID | None = None,
    include_parents: bool = False,
    actor: Actor,
    now: datetime | None = None,
) -> RestoreResult:
    """Restore the named bin entries (and, with `include_parents`, the deleted
    records they link to that are in the viewer's bin, parents first), all or
    nothing, through `restore_events` (the records read from the entries' events
    in SQL).

    403 `plan_upgrade_required` without History (R3: restoring from the bin is
    for plans with History, the demo included); 404/409 from `select_from_bin`;
    409 when an id is taken now; 423 while a restore of the account runs.
    """
    require_capability(account, Capability.HISTORY)  # R3: plans with History, and the demo
    try:
        with transaction.atomic():
            ensure_account_writable(account.pk)
            entries = select_from_bin(
                account,
                viewer_membership=viewer_membership,
                event_ids=event_ids,
                operation=operation,
                now=now,
            )
            if include_parents:
                entries += ancestors_in_bin(
                    account, viewer_membership=viewer_membership, events=entries, now=now
                )
            groups: dict[str, list[int]] = defaultdict(list)
            for event in entries:
                groups[event.entity_type].append(event.pk)
            # The records go from the events to the tables in SQL (restore_events).
            return restore_events(
                account=account,
                events=groups,
                actor=actor,
                operation=new_operation(),
                relink_operations={event.operation for event in entries},
            )
    except IntegrityError as exc:  # a deferred constraint at commit
        raise Conflict(
            "Nothing was restored: the data changed while restoring. Try again."
        ) from exc
