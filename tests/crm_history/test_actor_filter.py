"""R2, the actor filter: `actor=<username>` lists what that person did and what
the system did on their behalf (a restore run they asked for, recorded as
"system, for <username>"); `actor=system` lists everything the system did, on
anyone's behalf or no one's. A person restoring from the recycle bin acted in
person. Another account's events never appear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.actors import Actor, Source
from crm import recycle_bin, services
from crm_history.models import Event
from tests.crm_history.conftest import EVENTS_URL, add_event, walk_timeline
from tests.factories import actor_for, make
from tests.restores.conftest import changed, world  # noqa: F401  (the restore engine's cast)
from tests.restores.support import new_run, run_events

BASE = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_a_restore_runs_events_are_found_by_its_requester_and_by_system(changed, api, page):  # noqa: F811
    from backups.restores import execute_run

    w = changed
    run = new_run(w.acme, w.snapshot, "crm_rollback", w.alice)
    execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == "completed", run.error
    restored = set(run_events(run).values_list("id", flat=True))
    assert len(restored) > 10
    assert set(run_events(run).values_list("actor_name", flat=True)) == {"system, for alice"}
    acme_events = Event.objects.filter(account=w.acme)
    by_alice = set(acme_events.filter(actor_name="alice").values_list("id", flat=True))
    by_bob = set(acme_events.filter(actor_name="bob").values_list("id", flat=True))
    assert by_alice and by_bob
    client = api(w.alice)

    assert set(walk_timeline(client, {"actor": "alice"})) == by_alice | restored
    assert set(walk_timeline(client, {"actor": "system"})) == restored
    assert set(walk_timeline(client, {"actor": "bob"})) == by_bob
    assert set(walk_timeline(client, {"actor": "charlie"})) == set()  # Globex's administrator
    assert set(walk_timeline(client, {"actor": "system, for alice"})) == restored  # as recorded
    deletions = set(run_events(run).filter(action="delete").values_list("id", flat=True))
    assert deletions
    assert set(walk_timeline(client, {"actor": "alice", "action": "delete"})) >= deletions
    assert set(walk_timeline(client, {"actor": "system", "action": "delete"})) == deletions

    # The page: the run's summary is the newest event, listed for alice and for
    # the system, not for bob.
    summary = run_events(run).get(entity_type="restore_run")
    browser = page(w.alice)
    for actor, shown in (("alice", True), ("system", True), ("bob", False)):
        html = browser.get("/history/", {"actor": actor}).content.decode()
        assert (summary.title in html) is shown, actor
        assert ("system, for alice" in html) is shown, actor


def test_system_finds_every_event_the_system_recorded_and_no_persons(
    acme, alice, bob, globex, charlie, api
):
    on_behalf = add_event(
        acme,
        at=BASE,
        title="Restored for bob",
        actor=Actor.system(source=Source.RESTORE, on_behalf_of=bob),
    )
    for_no_one = add_event(acme, at=BASE + timedelta(hours=1), title="Alert", actor=Actor.system())
    by_command = add_event(
        acme,
        at=BASE + timedelta(hours=2),
        title="Seeded",
        actor=Actor.system(source=Source.COMMAND),
    )
    by_alice = add_event(acme, at=BASE + timedelta(hours=3), actor=actor_for(alice))
    by_alice_api = add_event(acme, at=BASE + timedelta(hours=4), actor=actor_for(alice, Source.API))
    add_event(
        globex,
        at=BASE + timedelta(hours=5),
        title="Restored for charlie",
        actor=Actor.system(source=Source.RESTORE, on_behalf_of=charlie),
    )
    add_event(globex, at=BASE + timedelta(hours=6), title="Globex system", actor=Actor.system())
    client = api(alice)

    assert walk_timeline(client, {"actor": "system"}) == [
        by_command.pk,
        for_no_one.pk,
        on_behalf.pk,
    ]
    assert walk_timeline(client, {"actor": "bob"}) == [on_behalf.pk]
    assert walk_timeline(client, {"actor": "alice"}) == [by_alice_api.pk, by_alice.pk]
    assert walk_timeline(client, {"actor": "charlie"}) == []
    body = client.get(EVENTS_URL, {"actor": "bob"}).json()
    assert body["results"][0]["actor"] == "system, for bob"


def test_a_recycle_bin_restore_is_the_persons_own_not_the_systems(acme, alice, bob, api, page):
    contact = make(acme, "contact", actor=actor_for(bob), last_name="Bianchi")
    deleted = services.record_delete(
        account=acme, entity_type="contact", record_id=contact.pk, actor=actor_for(bob)
    )
    bin_entry = Event.objects.get(operation=deleted.operation, action="delete")
    recycle_bin.restore_from_bin(
        account=acme,
        viewer_membership=bob.membership,
        event_ids=[bin_entry.pk],
        actor=actor_for(bob, Source.RECYCLE_BIN),
    )
    restore = Event.objects.get(account=acme, action="restore")
    assert (restore.actor_name, restore.source) == ("bob", "recycle_bin")
    client = api(alice)

    assert restore.pk in walk_timeline(client, {"actor": "bob", "action": "restore"})
    assert walk_timeline(client, {"actor": "system"}) == []
    assert walk_timeline(client, {"actor": "alice"}) == []


def test_the_actor_field_says_what_a_username_finds(acme, alice, page):
    html = page(alice).get("/history/").content.decode()

    assert "what they did and what the system did for them; or system." in html
    assert '<option value="system">' in html
