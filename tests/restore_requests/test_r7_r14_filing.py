"""Filing a request (R7, R14): the deletion time is read in the ACCOUNT'S time
zone when it has no offset, stored in UTC with the option; seven days back at
most, never in the future, never a time that the clocks skip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from restore_requests.models import RestoreRequest, Status

URL = "/api/v1/restore-requests/"


def _typed(account, at: datetime) -> str:
    """`at` as a person in the account types it: local wall time, no offset."""
    return at.astimezone(account.tzinfo).replace(tzinfo=None).isoformat(timespec="seconds")


def _file(api, user, deleted_at: str, option="csv_export"):
    return api(user).post(URL, {"deleted_at": deleted_at, "option": option, "note": "Gone"})


def test_r7_seven_days_minus_a_minute_in_the_accounts_zone_is_accepted(api, acme, alice):
    at = (timezone.now() - timedelta(days=7) + timedelta(minutes=1)).replace(microsecond=0)
    response = _file(api, alice, _typed(acme, at))
    assert response.status_code == 201, response.content
    assert RestoreRequest.objects.get().deleted_at == at


def test_r7_seven_days_plus_a_minute_in_the_accounts_zone_is_refused(api, acme, alice):
    # Read as UTC, this wall time would be an hour or two later, inside the window:
    # refusing it shows the time was read in Europe/Rome.
    at = timezone.now() - timedelta(days=7) - timedelta(minutes=1)
    response = _file(api, alice, _typed(acme, at))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "outside_restore_window"
    assert "seven days" in body["detail"]
    assert "The Recycle Bin keeps deleted records for 30 days." in body["detail"]
    assert "deleted_at" in body["fields"]
    assert not RestoreRequest.objects.exists()


def test_r7_the_boundary_follows_each_accounts_own_zone(api, acme, alice, globex, charlie):
    """The same wall-clock text, 7 days and 30 minutes ago in New York, is inside
    the window for New York but, read in Rome, older than seven days."""
    ny_at = timezone.now() - timedelta(days=7) + timedelta(minutes=30)
    typed = _typed(globex, ny_at)
    assert _file(api, charlie, typed).status_code == 201
    refused = _file(api, alice, typed)
    assert refused.status_code == 400
    assert refused.json()["code"] == "outside_restore_window"


def test_r7_a_time_in_the_future_is_refused(api, acme, alice):
    response = _file(api, alice, _typed(acme, timezone.now() + timedelta(minutes=2)))
    assert response.status_code == 400
    assert response.json()["code"] == "outside_restore_window"
    assert response.json()["fields"]["deleted_at"] == ["The deletion time is in the future."]
    assert not RestoreRequest.objects.exists()


def test_r7_a_time_in_a_daylight_saving_gap_is_refused_naming_the_field(api, acme, alice):
    # 29 March 2026: clocks in Rome go from 02:00 straight to 03:00.
    response = _file(api, alice, "2026-03-29T02:30")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["deleted_at"]
    assert "does not exist" in body["detail"]
    assert not RestoreRequest.objects.exists()


@pytest.mark.parametrize("bad", ["", "yesterday", "2026-02-30T10:00", "25/11/2026 10:00"])
def test_r7_a_time_that_is_not_a_time_is_400_with_the_field(api, acme, alice, bad):
    response = _file(api, alice, bad)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "deleted_at" in response.json()["fields"]


def test_r14_the_time_and_option_are_stored_in_utc(api, acme, alice):
    local_day = (timezone.now() - timedelta(days=1)).astimezone(acme.tzinfo).date()
    typed = f"{local_day.isoformat()}T10:15"
    response = _file(api, alice, typed, option="crm_rollback")
    assert response.status_code == 201
    expected = datetime.fromisoformat(typed).replace(tzinfo=acme.tzinfo).astimezone(UTC)

    body = response.json()
    assert body["status"] == "submitted"
    assert body["option"] == "crm_rollback"
    assert body["note"] == "Gone"
    assert body["deleted_at"] == expected.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert response["Location"] == f"{URL}{body['id']}/"
    obj = RestoreRequest.objects.get(pk=body["id"])
    assert (obj.deleted_at, obj.option, obj.status, obj.filed_by_id) == (
        expected,
        "crm_rollback",
        Status.SUBMITTED,
        alice.pk,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT deleted_at AT TIME ZONE 'UTC' FROM restore_requests_restorerequest WHERE id=%s",
            [obj.pk],
        )
        assert cursor.fetchone()[0] == expected.replace(tzinfo=None)


def test_r14_an_explicit_offset_is_honoured(api, acme, alice):
    at = (timezone.now() - timedelta(hours=5)).replace(microsecond=0)
    typed = at.astimezone(UTC).replace(tzinfo=None).isoformat() + "-03:00"
    response = _file(api, alice, typed)
    assert response.status_code == 201
    assert RestoreRequest.objects.get().deleted_at == at.replace(tzinfo=None).replace(
        tzinfo=UTC
    ) + timedelta(hours=3)


def test_r14_an_unknown_option_is_refused(api, acme, alice):
    response = _file(api, alice, _typed(acme, timezone.now()), option="everything")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "option" in response.json()["fields"]


# --- The same rules on the page -------------------------------------------------


def _post(page, user, typed, **extra):
    return page(user).post(
        "/restore/new/", {"deleted_at": typed, "option": "csv_export", "file_anyway": "on", **extra}
    )


def test_r7_page_seven_days_minus_a_minute_is_filed(page, acme, alice):
    at = (timezone.now() - timedelta(days=7) + timedelta(minutes=1)).replace(microsecond=0)
    response = _post(page, alice, _typed(acme, at))
    obj = RestoreRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/restore/{obj.pk}/"
    assert obj.deleted_at == at


def test_r7_page_seven_days_plus_a_minute_is_refused_beside_the_field(page, acme, alice):
    at = timezone.now() - timedelta(days=7) - timedelta(minutes=1)
    typed = _typed(acme, at)
    response = _post(page, alice, typed, note="Our leads")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_deleted_at_error"' in html
    assert "more than seven days ago" in html
    assert f'value="{typed}"' in html  # the input is kept
    assert "Our leads" in html
    assert not RestoreRequest.objects.exists()


def test_r7_page_a_daylight_saving_gap_is_refused_beside_the_field(page, acme, alice):
    response = _post(page, alice, "2026-03-29T02:30")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_deleted_at_error"' in html
    assert "does not exist in Europe/Rome" in html
    assert not RestoreRequest.objects.exists()


def test_r7_page_the_future_is_refused_beside_the_field(page, acme, alice):
    response = _post(page, alice, _typed(acme, timezone.now() + timedelta(hours=1)))
    assert response.status_code == 400
    assert "The deletion time is in the future." in response.content.decode()
    assert not RestoreRequest.objects.exists()


def test_r7_page_the_history_check_refuses_an_old_time_beside_its_field(page, acme, alice):
    typed = _typed(acme, timezone.now() - timedelta(days=9))
    response = page(alice).get("/restore/new/", {"deleted_at": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="check_deleted_at_error"' in html
    assert "more than seven days ago" in html
    assert 'id="around-count"' not in html
