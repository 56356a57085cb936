"""The History page: the menu entry, rows that link to their record or say it
no longer exists and show what it was, pages of 50, the filters kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import services
from tests.crm_history.conftest import add_event
from tests.factories import actor_for, make


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_menu_has_history_highlighted_on_its_page(acme, bob, page):
    html = _html(page(bob).get("/history/"))

    assert '<a href="/history/" aria-current="page">History</a>' in html
    assert "<title>History · Recovery Portal</title>" in html
    assert "Nothing has been recorded yet" in html


def test_r2_each_row_links_to_its_record_with_who_and_when(acme, alice, page):
    company = make(acme, "company", actor=actor_for(alice), title="Globo Srl")

    html = _html(page(alice).get("/history/"))

    assert f'<a href="/crm/companies/{company.pk}/">Globo Srl</a>' in html
    assert "<td>alice</td>" in html
    local = company.created_at.astimezone(acme.tzinfo)
    assert f"{local:%Y-%m-%d %H:%M:%S}" in html  # shown in the account's zone
    assert "Created" in html


def test_r2_a_deleted_record_says_it_no_longer_exists_and_shows_its_saved_fields(acme, alice, page):
    contact = make(
        acme,
        "contact",
        actor=actor_for(alice),
        name="Anna",
        last_name="Bianchi",
        email="anna@example.com",
        post="Buyer",
    )
    services.record_update(
        account=acme,
        entity_type="contact",
        record_id=contact.pk,
        values={"post": "Head buyer"},
        actor=actor_for(alice),
    )
    services.record_delete(
        account=acme, entity_type="contact", record_id=contact.pk, actor=actor_for(alice)
    )

    html = _html(page(alice).get("/history/"))

    assert f"/crm/contacts/{contact.pk}/" not in html
    assert html.count(f"#{contact.pk} · no longer exists") == 3  # delete, update, create rows
    assert "<dt>email</dt><dd>anna@example.com</dd>" in html
    assert "<dt>post</dt><dd>Head buyer</dd>" in html  # as it was when deleted
    assert "Buyer → Head buyer" in html


def test_r2_the_update_row_of_a_gone_record_shows_what_it_was_from_its_delete_event(
    acme, alice, page
):
    deal = make(acme, "deal", actor=actor_for(alice), title="Big deal", opportunity="1500.00")
    services.record_update(
        account=acme,
        entity_type="deal",
        record_id=deal.pk,
        values={"stage_id": "WON"},
        actor=actor_for(alice),
    )
    services.record_delete(
        account=acme, entity_type="deal", record_id=deal.pk, actor=actor_for(alice)
    )

    html = _html(page(alice).get("/history/", {"action": "update"}))

    assert "Big deal" in html
    assert "no longer exists" in html
    assert "<dt>opportunity</dt><dd>1500.00</dd>" in html
    assert "<dt>stage</dt><dd>WON</dd>" in html


def test_r2_existence_is_checked_once_per_entity_type_not_per_row(acme, alice, page):
    client = page(alice)
    client.get("/history/")  # warm up the session and the menu
    for i in range(3):
        make(acme, "contact", actor=actor_for(alice), name=f"C{i}")
        make(acme, "company", actor=actor_for(alice), title=f"Co{i}")
    with CaptureQueriesContext(connection) as few:
        _html(client.get("/history/"))
    for i in range(20):
        make(acme, "contact", actor=actor_for(alice), name=f"D{i}")
        make(acme, "company", actor=actor_for(alice), title=f"Do{i}")
        gone = make(acme, "deal", actor=actor_for(alice), title=f"Gone{i}")
        services.record_delete(
            account=acme, entity_type="deal", record_id=gone.pk, actor=actor_for(alice)
        )
    with CaptureQueriesContext(connection) as many:
        html = _html(client.get("/history/"))

    assert html.count("<tr class=") == 50
    # One more entity type on the page (deal), whose records are gone: one existence
    # query and one for what they were, whatever the number of rows.
    assert len(many) <= len(few) + 2


def test_r2_pages_of_50_with_older_and_newer_links_keep_the_filters(acme, alice, page):
    base = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(120):
        add_event(acme, at=base + timedelta(minutes=i), entity_id=i + 1, title=f"T{i:03d}")
    client = page(alice)

    first = _html(client.get("/history/", {"action": "delete"}))
    assert first.count("<tr class=") == 50
    assert "T119" in first and "T070" in first and "T069" not in first
    assert "← Newer" not in first
    older = first.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    assert older.startswith("?action=delete&amp;cursor=")

    second = _html(client.get("/history/" + older.replace("&amp;", "&")))
    assert "T069" in second and "T020" in second and "T070" not in second
    assert "← Newer" in second
    assert 'value="delete" selected' in second  # the filter is kept in the form


def test_r2_the_actor_field_suggests_the_accounts_members(acme, alice, bob, charlie, page):
    html = _html(page(alice).get("/history/"))

    assert '<option value="alice">' in html and '<option value="bob">' in html
    assert '<option value="system">' in html
    assert "charlie" not in html


def test_an_event_of_a_type_the_crm_did_not_register_is_listed_without_a_claim(acme, alice, page):
    # The mass-deletion alerts record their own events ("alert"), linked by nobody here.
    add_event(
        acme,
        at=datetime(2026, 11, 1, tzinfo=UTC),
        action="create",
        entity_type="alert",
        entity_id=7,
        title="Mass deletion alert: 150 contacts",
    )

    html = _html(page(alice).get("/history/"))

    assert "Mass deletion alert: 150 contacts" in html
    assert "no longer exists" not in html
    assert "What it was" not in html
