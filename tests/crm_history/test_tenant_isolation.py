"""Tenant isolation on the timeline: no event of another account ever appears,
whatever the filters, the cursor, or a record id shared with another account."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from accounts.actors import Actor, Source
from crm import services
from crm_history import selectors
from crm_history.models import Event
from recovery_portal.pagination import make_cursor
from tests.crm_history.conftest import EVENTS_URL, add_event, walk_timeline
from tests.factories import actor_for, make

BASE = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _both_accounts(acme, alice, globex, charlie):
    """Interleaved events of both accounts, same titles, types, actions and times."""
    for i, (action, entity_type) in enumerate(
        itertools.product(["create", "update", "delete", "restore"], ["contact", "deal"])
    ):
        for account, user in ((acme, alice), (globex, charlie)):
            add_event(
                account,
                at=BASE + timedelta(hours=i),
                action=action,
                entity_type=entity_type,
                entity_id=100 + i,
                title=f"Shared title {i}",
                actor=actor_for(user),
            )
    add_event(globex, at=BASE, title="Globex only", actor=Actor.system(source=Source.COMMAND))


def test_no_event_of_another_account_appears_whatever_the_filters(
    acme, alice, globex, charlie, api
):
    _both_accounts(acme, alice, globex, charlie)
    acme_ids = set(Event.objects.filter(account=acme).values_list("id", flat=True))
    client = api(alice)
    combos = itertools.product(
        ["", "create", "delete", "restore"],
        ["", "contact", "deal"],
        ["", "alice", "charlie", "system"],
        ["", "Shared", "Globex only"],
        [{}, {"occurred_after": "2026-11-20", "occurred_before": "2026-11-21"}],
    )
    checked = 0
    for action, entity_type, actor, q, period in combos:
        params = {"action": action, "entity_type": entity_type, "actor": actor, "q": q, **period}
        seen = walk_timeline(client, params, page_size=3)
        assert set(seen) <= acme_ids, params
        checked += 1
    assert checked == 4 * 3 * 4 * 3 * 2
    assert set(walk_timeline(client, {}, page_size=3)) == acme_ids
    assert walk_timeline(client, {"actor": "charlie"}, page_size=3) == []
    assert walk_timeline(client, {"q": "Globex only"}, page_size=3) == []


def test_the_page_shows_no_event_of_another_account(acme, alice, globex, charlie, page):
    _both_accounts(acme, alice, globex, charlie)

    html = page(alice).get("/history/").content.decode()

    assert "charlie" not in html
    assert "Globex only" not in html
    assert html.count("<tr class=") == Event.objects.filter(account=acme).count()


def test_a_cursor_from_another_accounts_timeline_is_refused(acme, alice, globex, charlie, api):
    _both_accounts(acme, alice, globex, charlie)
    globex_next = api(charlie).get(EVENTS_URL, {"page_size": 2}).json()["next"]

    response = api(alice).get(globex_next)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_cursor_forged_at_another_accounts_event_still_lists_only_own_events(
    acme, alice, globex, charlie, api
):
    _both_accounts(acme, alice, globex, charlie)
    newest_globex = Event.objects.filter(account=globex).order_by("-occurred_at", "-id").first()
    # A validly signed cursor of Acme's timeline, positioned on a Globex event.
    cursor = make_cursor(
        selectors.cursor_scope(acme), [newest_globex.occurred_at, newest_globex.id], "n"
    )

    response = api(alice).get(EVENTS_URL, {"cursor": cursor})

    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids
    assert set(ids) <= set(Event.objects.filter(account=acme).values_list("id", flat=True))


def test_a_record_id_now_used_by_another_account_is_never_linked(
    acme, alice, globex, charlie, api, page
):
    contact = make(acme, "contact", actor=actor_for(alice), name="Anna", last_name="Acme")
    services.record_delete(
        account=acme, entity_type="contact", record_id=contact.pk, actor=actor_for(alice)
    )
    # Globex brings a record back under the same id (the import / recycle bin may).
    make(
        globex, "contact", actor=actor_for(charlie), id=contact.pk, name="Greta", last_name="Globex"
    )

    rows = api(alice).get(EVENTS_URL).json()["results"]
    html = page(alice).get("/history/").content.decode()

    assert [r["record_url"] for r in rows] == [None, None]
    assert f"/crm/contacts/{contact.pk}/" not in html
    assert f"#{contact.pk} · no longer exists" in html
    assert "Greta" not in html and "Globex" not in html
    theirs = api(charlie).get(EVENTS_URL).json()["results"]
    assert theirs[0]["record_url"] == f"http://testserver/crm/contacts/{contact.pk}/"
    assert all(r["title"] == "Greta Globex" for r in theirs)


def test_the_existence_check_is_scoped_to_the_account(acme, globex, charlie):
    theirs = make(globex, "company", actor=actor_for(charlie))
    mine = add_event(acme, at=BASE, entity_type="company", entity_id=theirs.pk, action="update")

    urls = selectors.record_urls(account=acme, events=[mine])

    assert urls == {("company", theirs.pk): None}
