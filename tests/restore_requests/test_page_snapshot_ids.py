"""A snapshot id posted to the confirmation page (R16) or the helpdesk's propose
page (R15) that is not the request's account's (another account's, or no
snapshot at all) answers 404, as the API does, and changes nothing; a value that
is not an id at all stays a 400 with the error beside the field."""

from __future__ import annotations

import re

from restore_requests.models import Status

from .conftest import bring_to, file_request, picture, snapshot_row


def _proposed(acme, alice, helen):
    snapshot = snapshot_row(acme)
    request = bring_to(
        Status.PROPOSED, account=acme, admin=alice, helpdesk=helen, snapshot=snapshot
    )
    return request, snapshot


def test_confirming_another_accounts_snapshot_is_404_and_changes_nothing(
    page, acme, globex, alice, helen
):
    request, _ = _proposed(acme, alice, helen)
    theirs = snapshot_row(globex)
    before = picture(request)
    response = page(alice).post(
        f"/restore/{request.pk}/confirm/", {"snapshot": theirs.pk, "option": "csv_export"}
    )
    assert response.status_code == 404
    assert picture(request) == before


def test_confirming_a_snapshot_that_does_not_exist_is_404(page, acme, alice, helen):
    request, snapshot = _proposed(acme, alice, helen)
    before = picture(request)
    response = page(alice).post(
        f"/restore/{request.pk}/confirm/", {"snapshot": snapshot.pk + 1000, "option": "csv_export"}
    )
    assert response.status_code == 404
    assert picture(request) == before


def test_a_snapshot_value_that_is_not_an_id_is_a_400_beside_the_field(page, acme, alice, helen):
    request, _ = _proposed(acme, alice, helen)
    before = picture(request)
    for value in ("seven", "²", "-3"):
        response = page(alice).post(
            f"/restore/{request.pk}/confirm/", {"snapshot": value, "option": "csv_export"}
        )
        assert response.status_code == 400, value
        backup_field = re.search(
            r"<legend>Backup</legend>(.*?)</fieldset>", response.content.decode(), re.S
        )
        assert "Select a valid choice." in backup_field.group(1), value
    assert picture(request) == before


def test_proposing_another_accounts_snapshot_is_404_and_changes_nothing(
    page, acme, globex, alice, helen
):
    ours = snapshot_row(acme)
    theirs = snapshot_row(globex)
    request = file_request(acme, alice)
    before = picture(request)
    for snapshots in ([theirs.pk], [ours.pk, theirs.pk], [theirs.pk + 1000]):
        response = page(helen).post(
            f"/helpdesk/requests/{request.pk}/propose/", {"snapshots": snapshots, "message": "x"}
        )
        assert response.status_code == 404, snapshots
    assert picture(request) == before


def test_a_proposed_value_that_is_not_an_id_is_a_400_beside_the_field(page, acme, alice, helen):
    snapshot_row(acme)
    request = file_request(acme, alice)
    before = picture(request)
    response = page(helen).post(
        f"/helpdesk/requests/{request.pk}/propose/", {"snapshots": ["seven"], "message": "x"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    # Beside the list of backups (a table of checkboxes), not at the top of the page.
    assert re.search(r"</table></div>\s*<p class=\"error\">Select a valid choice\.", html)
    assert picture(request) == before
