"""Bad filter input is a 400 with a clear message (on the API: `invalid` with the
field named; on the page: the message beside the field), never a 500 and never
silently ignored."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from recovery_portal.pagination import make_cursor
from tests.crm_history.conftest import EVENTS_URL, add_event

BAD_FILTERS = [
    ("action", "erase", "Unknown action “erase”: choose one of create, update, delete, restore."),
    ("action", "DELETE", "Unknown action “DELETE”"),
    (
        "entity_type",
        "invoice",
        "Unknown record type “invoice”: choose one of company, contact, custom_field, deal",
    ),
    ("occurred_after", "yesterday", "Enter a date (YYYY-MM-DD) or a date and time"),
    ("occurred_after", "2026-13-01", "Enter a date (YYYY-MM-DD) or a date and time"),
    ("occurred_after", "2026-02-30", "Enter a date (YYYY-MM-DD) or a date and time"),
    ("occurred_before", "2026-11-25T25:00", "Enter a date (YYYY-MM-DD) or a date and time"),
    ("occurred_before", "2" * 41, "Enter a date (YYYY-MM-DD) or a date and time"),
    # Europe/Rome skips 02:00-03:00 on 29 March 2026.
    ("occurred_after", "2026-03-29T02:30", "does not exist in the account's time zone"),
    ("actor", "a" * 151, "Ensure this value has at most 150 characters"),
    ("q", "x" * 201, "Ensure this value has at most 200 characters"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_FILTERS)
def test_r2_a_bad_filter_is_a_400_naming_the_field_on_the_api(
    acme, alice, api, name, value, message
):
    response = api(alice).get(EVENTS_URL, {name: value})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert message in body["fields"][name][0]
    assert body["detail"].startswith(f"{name}: ")


@pytest.mark.parametrize(("name", "value", "message"), BAD_FILTERS)
def test_r2_a_bad_filter_is_shown_beside_its_field_on_the_page(
    acme, alice, page, name, value, message
):
    add_event(acme, at=datetime(2026, 11, 1, tzinfo=UTC))

    response = page(alice).get("/history/", {name: value})

    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{name}_error"' in html
    error = html.split(f'id="id_{name}_error">', 1)[1].split("</p>", 1)[0]
    assert message.replace("“", "&ldquo;")[:20] in error or message[:20] in error
    assert f'value="{value}"' in html or name in ("action", "entity_type")  # input kept
    assert "no longer exists" not in html and "<table" not in html


EDGE_DATES = [
    # (filter, value, what it lists) in Europe/Rome: the start of 0001-01-01 there is
    # before year 1 in UTC, the end of 9999-12-31 after 9999; both are the first
    # or last moment there is, as meant, never a 400 for one bound and not the other.
    ({"occurred_after": "0001-01-01"}, "all"),
    ({"occurred_after": "0001-01-01T00:00+05:00"}, "all"),
    ({"occurred_before": "9999-12-31"}, "all"),
    ({"occurred_before": "9999-12-31T23:30"}, "all"),
    ({"occurred_after": "0001-01-01", "occurred_before": "9999-12-31"}, "all"),
    ({"occurred_before": "0001-01-01"}, "none"),
    ({"occurred_after": "9999-12-31"}, "none"),
    ({"occurred_after": "0001-01-01", "occurred_before": "0001-01-01"}, "none"),
]


@pytest.mark.parametrize(("params", "listed"), EDGE_DATES)
def test_r2_the_earliest_and_latest_dates_are_accepted_by_both_bounds(
    acme, alice, api, page, params, listed
):
    events = [
        add_event(acme, at=datetime(2026, 11, 1, tzinfo=UTC), entity_id=1),
        add_event(acme, at=datetime(1970, 1, 1, tzinfo=UTC), entity_id=2),
    ]
    expected = [e.pk for e in events] if listed == "all" else []

    response = api(alice).get(EVENTS_URL, params)

    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == expected
    html = page(alice).get("/history/", params)
    assert html.status_code == 200
    assert "_error" not in html.content.decode().split("<form", 1)[1].split("</form>", 1)[0]


def test_r2_an_end_before_the_start_is_refused(acme, alice, api):
    response = api(alice).get(
        EVENTS_URL, {"occurred_after": "2026-11-25", "occurred_before": "2026-11-20"}
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "occurred_before": ["The end of the period must come after its start."]
    }


def _tampered(cursor: str) -> str:
    payload, rest = cursor.split(":", 1)
    return payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + ":" + rest


def test_r2_a_tampered_cursor_is_a_400_on_the_api(acme, alice, api):
    for i in range(3):
        add_event(acme, at=datetime(2026, 11, 1, 10, i, tzinfo=UTC), entity_id=i + 1)
    client = api(alice)
    next_url = client.get(EVENTS_URL, {"page_size": 1}).json()["next"]
    good = parse_qs(urlsplit(next_url).query)["cursor"][0]

    for bad in (_tampered(good), "garbage", "a:b:c", good[:-3]):
        response = client.get(EVENTS_URL, {"cursor": bad})
        assert response.status_code == 400, bad
        assert response.json()["code"] == "invalid"
        assert "cursor is not valid" in response.json()["detail"]


def test_r2_a_cursor_signed_for_another_list_is_refused(acme, alice, api):
    add_event(acme, at=datetime(2026, 11, 1, tzinfo=UTC))
    other_list = make_cursor("recycle_bin", ["2026-11-01", 5], "n")
    forged = signing.dumps({"v": [{"t": "2026-11-01T00:00:00+00:00"}, 5], "d": "n"}, salt="x")

    for cursor in (other_list, forged):
        response = api(alice).get(EVENTS_URL, {"cursor": cursor})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"


def test_r2_a_tampered_cursor_on_the_page_says_so_and_offers_the_first_page(acme, alice, page):
    add_event(acme, at=datetime(2026, 11, 1, tzinfo=UTC))

    response = page(alice).get("/history/", {"action": "delete", "cursor": "garbage"})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="cursor-error"' in html
    assert "The cursor is not valid" in html
    assert 'href="?action=delete">Go to the first page' in html
