"""R5: if the History shows no deletion, the records may only be hidden by a
filter on a list. Whenever a search of the History (on deletions, or on every
action) finds no deletion for the period and filters given, the page says so
and links to the lists; a CRM list with filters says how many records they
hide and offers to clear them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm import services
from tests.crm_history.conftest import add_event
from tests.factories import actor_for, make

NOTICE = "they may only be hidden by a filter on a CRM list"


def test_r5_no_deletion_in_the_period_points_to_the_crm_lists(acme, alice, page):
    contact = make(acme, "contact", actor=actor_for(alice))
    services.record_delete(
        account=acme, entity_type="contact", record_id=contact.pk, actor=actor_for(alice)
    )

    response = page(alice).get(
        "/history/",
        {"action": "delete", "occurred_after": "2020-01-01", "occurred_before": "2020-01-31"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="no-deletions"' in html
    assert "No deletion is recorded for this period." in html
    assert NOTICE in html
    for slug, label in [
        ("companies", "Companies"),
        ("contacts", "Contacts"),
        ("leads", "Leads"),
        ("deals", "Deals"),
        ("products", "Products"),
        ("custom-fields", "Custom fields"),
    ]:
        assert f'<a href="/crm/{slug}/">{label}</a>' in html


def test_r5_with_an_entity_type_it_points_to_that_list_only(acme, alice, page):
    html = (
        page(alice).get("/history/", {"action": "delete", "entity_type": "deal"}).content.decode()
    )

    assert NOTICE in html
    assert '<a href="/crm/deals/">Deals</a>' in html
    assert 'href="/crm/contacts/">Contacts</a></li>' not in html


def test_r5_no_pointer_when_deletions_are_found_or_the_search_is_not_for_deletions(
    acme, alice, page
):
    contact = make(acme, "contact", actor=actor_for(alice))
    client = page(alice)

    assert NOTICE not in client.get("/history/", {"action": "update"}).content.decode()
    services.record_delete(
        account=acme, entity_type="contact", record_id=contact.pk, actor=actor_for(alice)
    )
    assert NOTICE not in client.get("/history/", {"action": "delete"}).content.decode()
    assert NOTICE not in client.get("/history/").content.decode()
    assert NOTICE not in client.get("/history/", {"entity_type": "contact"}).content.decode()


def test_r5_a_period_searched_on_every_action_without_a_deletion_points_to_the_lists(
    acme, alice, page
):
    """No action filter: the period's creates and updates are listed, and the page
    says no deletion is recorded for the period (one was, the day after)."""
    day = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    add_event(acme, at=day, action="create", title="Mario Rossi")
    add_event(acme, at=day + timedelta(hours=1), action="update", title="Mario Rossi")
    add_event(acme, at=day + timedelta(days=1), action="delete", title="Mario Rossi")
    client = page(alice)

    response = client.get(
        "/history/", {"occurred_after": "2026-11-20", "occurred_before": "2026-11-20"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "No deletion is recorded for this period." in html
    assert NOTICE in html
    assert '<a href="/crm/contacts/">Contacts</a>' in html
    assert html.count('class="event-') == 2  # the period's events are still listed
    whole = client.get("/history/", {"occurred_after": "2026-11-20"}).content.decode()
    assert NOTICE not in whole


def test_r5_a_deletion_beyond_the_first_page_counts_and_none_at_all_points_to_the_lists(
    acme, alice, page
):
    """The first page of every action holds no deletion, yet the search finds one
    further back: no pointer. Without it: the pointer."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(55):
        add_event(acme, at=start + timedelta(hours=i + 1), action="update", entity_id=i + 1)
    client = page(alice)
    searches = [{}, {"entity_type": "contact"}, {"occurred_after": "2026-10-01"}]

    for search in searches:
        assert NOTICE in client.get("/history/", search).content.decode(), search
    add_event(acme, at=start, action="delete", entity_id=99)
    for search in searches:
        html = client.get("/history/", search).content.decode()
        assert 'class="event-delete"' not in html  # not on the first page
        assert NOTICE not in html, search
    assert NOTICE in client.get("/history/", {"entity_type": "deal"}).content.decode()


def test_r5_a_crm_list_says_how_many_records_its_filters_hide_and_offers_to_clear_them(
    acme, alice, page
):
    for i in range(3):
        make(acme, "contact", actor=actor_for(alice), name=f"Client{i}", type_id="CLIENT")
    make(acme, "contact", actor=actor_for(alice), name="Supplier", type_id="SUPPLIER")

    filtered = page(alice).get("/crm/contacts/", {"type_id": "SUPPLIER"}).content.decode()

    assert "<strong>3 records hidden by your filters</strong>" in filtered
    assert '<a href="/crm/contacts/">Clear filters</a> to see every contact' in filtered
    assert "Client0" not in filtered and "Supplier" in filtered
    cleared = page(alice).get("/crm/contacts/").content.decode()
    assert "hidden by your filters" not in cleared
    assert "Client0" in cleared and "Supplier" in cleared


def test_r5_a_refused_filter_is_not_counted_as_hiding_records(acme, alice, page):
    """An unknown value is an error beside its field, not "every record hidden"."""
    for i in range(3):
        make(acme, "contact", actor=actor_for(alice), name=f"Client{i}")

    response = page(alice).get("/crm/contacts/", {"type_id": "VIP"})

    html = response.content.decode()
    assert 'id="id_type_id_error"' in html
    assert "hidden by your filters" not in html


def test_r5_the_notice_names_the_filters_as_the_form_does(acme, alice, bob, page):
    """The notice says "Contact type = Supplier" and the person's name, not the
    query string's codes and ids."""
    for i in range(2):
        make(acme, "contact", actor=actor_for(alice), name=f"Client{i}", type_id="CLIENT")
    make(acme, "contact", actor=actor_for(alice), name="Supplier", type_id="SUPPLIER")
    # The API schema built first (as once anyone has opened /api/schema/) changes nothing.
    assert page(alice).get("/api/schema/").status_code == 200
    response = page(alice).get("/crm/contacts/", {"type_id": "SUPPLIER", "assigned_by": bob.pk})
    assert response.status_code == 200
    assert response.context["active_filters"] == {
        "Contact type": "Supplier",
        "Responsible person": bob.get_username(),
    }
    html = response.content.decode()
    notice = html.split('id="hidden-by-filters"')[1].split("</p>")[0]
    assert "Contact type = “Supplier”" in notice, notice
    assert f"Responsible person = “{bob.get_username()}”" in notice, notice
    assert "type_id" not in notice
