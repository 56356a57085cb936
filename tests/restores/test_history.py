"""A rollback writes the History (architecture.md, "Known traps"): one event per
record it removed, reverted or brought back, with the run's operation id, and
one summary "restore" event naming the snapshot and the counts. The History
itself is never rolled back."""

from __future__ import annotations

import pytest

from crm.records import record_changes
from crm.registry import entity
from crm_history.models import Event
from tests.restores.support import CRM_TYPES, current_records, new_run, run_events, snapshot_records

pytestmark = pytest.mark.django_db(transaction=True)


def _execute(run):
    from backups.restores import execute_run

    execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == "completed", run.error
    return run


@pytest.mark.parametrize("option", ["crm_rollback", "full_rollback"])
def test_a_rollback_records_an_event_per_record_and_one_summary(changed, option):
    w = changed
    types = CRM_TYPES if option == "crm_rollback" else list(w.snapshot.row_counts)
    before = current_records(w.acme.pk, types)
    wanted = snapshot_records(w.snapshot, types)
    history_before = set(Event.objects.values_list("pk", flat=True))

    run = _execute(new_run(w.acme, w.snapshot, option, w.alice))

    expected = set()
    for t in types:
        for i in set(before[t]) - set(wanted[t]):
            expected.add((t, i, "delete"))
        for i in set(wanted[t]) - set(before[t]):
            expected.add((t, i, "restore"))
        for i in set(before[t]) & set(wanted[t]):
            if before[t][i] != wanted[t][i]:
                expected.add((t, i, "update"))
    records = run_events(run).exclude(entity_type="restore_run")
    assert {(e.entity_type, e.entity_id, e.action) for e in records} == expected
    assert len(records) == len(expected)
    for event in records:
        t, i = event.entity_type, event.entity_id
        assert event.actor_id == w.alice.pk
        assert event.actor_name == "system, for alice"
        assert event.source == "restore"
        if event.action == "delete":  # kept whole, so it is in the recycle bin
            assert event.data == before[t][i]
        elif event.action == "restore":
            assert event.data == wanted[t][i]
        else:
            assert event.changes == record_changes(entity(t), before[t][i], wanted[t][i])
    # R13: a CRM rollback writes no event about products or custom fields.
    if option == "crm_rollback":
        assert not records.filter(entity_type__in=["product", "custom_field"]).exists()

    summary = run_events(run).get(entity_type="restore_run")
    assert summary.entity_id == run.pk
    assert summary.action == "restore"
    taken = f"{w.snapshot.taken_at:%Y-%m-%d %H:%M}"
    assert taken in summary.title
    assert summary.data["snapshot_id"] == w.snapshot.pk
    assert summary.data["option"] == option
    assert summary.data["counts"] == run.result["counts"]
    for t in types:
        counts = summary.data["counts"][t]
        assert counts["lost"] == sum(1 for e in expected if e[0] == t and e[2] == "delete")
        assert counts["back"] == sum(1 for e in expected if e[0] == t and e[2] == "restore")
        assert counts["reverted"] == sum(1 for e in expected if e[0] == t and e[2] == "update")
        assert counts["total"] == len(wanted[t])
    # The History is never rolled back: every event before the run is still there,
    # the ones written after the snapshot included.
    assert history_before <= set(Event.objects.values_list("pk", flat=True))
    assert (
        Event.objects.filter(account=w.acme, occurred_at__gt=w.snapshot.taken_at)
        .exclude(operation=run.operation)
        .count()
        > 10
    )


def test_the_summary_event_shows_on_the_history_page_and_api(changed, api, page):
    w = changed
    run = _execute(new_run(w.acme, w.snapshot, "crm_rollback", w.alice))
    summary = run_events(run).get(entity_type="restore_run")

    answer = api(w.alice).get("/api/v1/history/events/", {"action": "restore"})
    assert answer.status_code == 200, answer.content
    shown = [e for e in answer.json()["results"] if e["id"] == summary.pk]
    assert shown and shown[0]["title"] == summary.title
    assert shown[0]["data"]["counts"]["company"]["back"] == 2

    html = page(w.alice).get("/history/")
    assert html.status_code == 200
    assert summary.title in html.content.decode()
