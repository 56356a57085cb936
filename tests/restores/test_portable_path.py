"""The portable path (the SQLite demo's, record by record in Python) gives the
same end state, the same History events and the same counts as the set-based
PostgreSQL path: both run here, on PostgreSQL, from the same state, each in a
transaction that is then rolled back."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor, Source
from backups import restores
from backups.options import modules_for
from backups.restore_portable import apply_row_by_row, diff_row_by_row
from crm.registry import entity_types
from tests.restores.support import current_records, new_run, run_events

pytestmark = pytest.mark.django_db(transaction=True)


def _events(run) -> list[tuple]:
    return sorted(
        (
            e.entity_type,
            e.entity_id,
            e.action,
            e.title,
            e.changes,
            e.data,
            e.actor_id,
            e.actor_name,
            e.source,
            e.occurred_at,
            e.schema_version,
        )
        for e in run_events(run)
    )


@pytest.mark.parametrize("option", ["crm_rollback", "full_rollback"])
def test_the_portable_path_ends_where_the_set_based_path_ends(changed, option):
    w = changed
    run = new_run(w.acme, w.snapshot, option, w.alice)
    actor = Actor.system(source=Source.RESTORE, on_behalf_of=w.alice)
    now = timezone.now()
    start = current_records(w.acme.pk)
    outcome = {}
    for path, apply in (("sql", restores._apply_set_based), ("portable", apply_row_by_row)):
        with transaction.atomic():
            counts = apply(run, modules_for(option), actor, now, restores.Progress(run.pk))
            outcome[path] = (counts, current_records(w.acme.pk), _events(run))
            transaction.set_rollback(True)
        assert current_records(w.acme.pk) == start

    assert outcome["portable"][0] == outcome["sql"][0]  # counts per entity type
    assert outcome["portable"][1] == outcome["sql"][1]  # every record
    assert outcome["portable"][2] == outcome["sql"][2]  # every event
    assert len(outcome["sql"][2]) > 10


def test_the_portable_preview_counts_and_samples_like_the_set_based_one(changed):
    w = changed
    shown = restores.preview(account=w.acme, snapshot=w.snapshot, option="full_rollback")
    rows = {row.entity_type: row for row in shown.rows}
    for et in entity_types():
        portable = diff_row_by_row(w.snapshot, et, w.acme.pk, samples=5)
        row = rows[et.entity_type]
        assert (portable.total, portable.back, portable.lost, portable.reverted) == (
            row.total,
            row.back,
            row.lost,
            row.reverted,
        )
        assert portable.samples_back == row.samples_back
        assert portable.samples_lost == row.samples_lost
        assert portable.samples_reverted == row.samples_reverted
