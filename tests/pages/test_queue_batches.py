"""The helpdesk queue reads what each request's nearest backup holds for the
whole page at once (no queries per row); the numbers are still each row's own:
its account's deletions around its time, against its own snapshot (R15).
Real snapshots, taken by the backups app."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.actors import Actor, Source
from backups.snapshots import snapshot_contains, snapshots_contain, take_snapshot
from crm import services as crm_services
from crm_history.models import Event
from restore_requests.models import RestoreRequest
from tests.factories import make
from tests.restore_requests.conftest import file_request

pytestmark = pytest.mark.django_db(transaction=True)


def _deleted(account, ids, by):
    crm_services.records_bulk_delete(
        account=account, entity_type="contact", ids=ids, actor=Actor.for_user(by, Source.PAGE)
    )
    return Event.objects.filter(account=account, action="delete").latest("id").occurred_at


def _request_at(account, admin, at) -> RestoreRequest:
    request = file_request(account, admin, ago=timedelta(0))
    RestoreRequest.objects.filter(pk=request.pk).update(deleted_at=at)
    return RestoreRequest.objects.get(pk=request.pk)


def test_r15_each_queue_row_counts_its_own_deletions_against_its_own_backup(
    acme, globex, alice, charlie, helen, page
):
    kept = [make(acme, "contact", name=f"Old {i}").pk for i in range(4)]
    theirs = [make(globex, "contact", name=f"G {i}").pk for i in range(3)]
    take_snapshot(acme)
    take_snapshot(globex)
    added = [make(acme, "contact", name=f"New {i}").pk for i in range(2)]
    acme_at = _deleted(acme, kept[:3] + added, alice)  # 3 of the 5 are in acme's backup
    globex_at = _deleted(globex, theirs[:2], charlie)  # both in globex's backup
    acme_request = _request_at(acme, alice, acme_at)
    globex_request = _request_at(globex, charlie, globex_at)

    html = page(helen).get("/helpdesk/").content.decode()

    rows = {
        pk: html.split(f'href="/helpdesk/requests/{pk}/"', 1)[1].split("</tr>", 1)[0]
        for pk in (acme_request.pk, globex_request.pk)
    }
    assert "3 of 5" in rows[acme_request.pk]
    assert "2 of 2" in rows[globex_request.pk]


def test_snapshots_contain_answers_what_snapshot_contains_answers_pair_by_pair(acme, globex):
    ours = [make(acme, "contact", name=f"C {i}").pk for i in range(5)]
    firms = [make(acme, "company", title=f"F {i}").pk for i in range(2)]
    theirs = [make(globex, "contact", name=f"G {i}").pk for i in range(3)]
    a, g = take_snapshot(acme), take_snapshot(globex)
    later = make(acme, "contact", name="Later").pk
    asked = {
        (a.pk, "contact"): ours[:3] + [later, theirs[0]],
        (a.pk, "company"): firms,
        (a.pk, "lead"): [1, 2],
        (g.pk, "contact"): theirs + ours[:1],
        (g.pk, "deal"): [],
    }

    found = snapshots_contain(asked)

    for (snapshot_id, entity_type), ids in asked.items():
        snapshot = a if snapshot_id == a.pk else g
        assert found[(snapshot_id, entity_type)] == snapshot_contains(snapshot, entity_type, ids)
    assert found[(a.pk, "contact")] == set(ours[:3])
    assert found[(g.pk, "contact")] == set(theirs)
