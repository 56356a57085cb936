"""What is in the bin: the deletions of the last RECYCLE_BIN_DAYS days whose
records are not back, seen by whom, filtered how."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from crm import recycle_bin, services
from crm.models import Contact
from crm_history.models import Event
from recovery_portal.errors import Conflict, Invalid
from tests.factories import actor_for, make

from .conftest import delete, made_and_deleted


def entries(account, user, **filters):
    return list(recycle_bin.bin_entries(account, viewer_membership=user.membership, **filters))


def restore(account, user, events, **kwargs):
    return recycle_bin.restore_from_bin(
        account=account,
        viewer_membership=user.membership,
        event_ids=[e.pk for e in events],
        actor=actor_for(user),
        **kwargs,
    )


def test_administrators_see_every_deletion_employees_only_their_own(acme, alice, bob):
    by_alice = made_and_deleted(acme, "contact", by=alice)
    by_bob = made_and_deleted(acme, "company", by=bob)

    assert entries(acme, alice) == [by_bob, by_alice]
    assert entries(acme, bob) == [by_bob]


def test_another_accounts_deletions_are_never_in_the_bin(acme, alice, globex, charlie):
    made_and_deleted(globex, "contact", by=charlie)
    assert entries(acme, alice) == []


def test_deleted_restored_and_deleted_again_is_one_entry_the_newest(acme, alice):
    contact = make(acme, "contact", actor=actor_for(alice))
    first = delete(acme, contact, by=alice)
    restore(acme, alice, [first])
    second = delete(acme, Contact.objects.get(pk=contact.pk), by=alice)

    assert entries(acme, alice) == [second]
    with pytest.raises(Conflict) as refused:
        restore(acme, alice, [first])
    assert "has come back since" in refused.value.detail
    restore(acme, alice, [second])
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_bin_entries_newest_first_across_a_bulk_delete_with_one_timestamp(acme, alice):
    ids = [make(acme, "lead", actor=actor_for(alice), title=f"Lead {i}").pk for i in range(4)]
    services.records_bulk_delete(account=acme, entity_type="lead", ids=ids, actor=actor_for(alice))

    found = entries(acme, alice)

    assert len({e.occurred_at for e in found}) == 1
    assert [e.pk for e in found] == sorted((e.pk for e in found), reverse=True)


def test_filters_type_title_who_and_operation(acme, alice, bob):
    contact = made_and_deleted(acme, "contact", by=alice, last_name="Esposito")
    company = made_and_deleted(acme, "company", by=bob, title="Esposito Srl")
    deal = made_and_deleted(acme, "deal", by=alice, title="Big one")

    assert entries(acme, alice, entity_type="company") == [company]
    assert entries(acme, alice, title="esposito") == [company, contact]
    assert entries(acme, alice, deleted_by=alice.pk) == [deal, contact]
    assert entries(acme, alice, operation=deal.operation) == [deal]
    with pytest.raises(Invalid):
        entries(acme, alice, entity_type="product")


def test_dates_are_whole_days_in_the_account_time_zone(acme, alice):
    # Acme is in Europe/Rome (UTC+1 in winter): 23:30 UTC on 1 Dec is 2 Dec there.
    contact = make(acme, "contact", actor=actor_for(alice))
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    event = delete(acme, contact, by=alice, now=late)
    now = late + timedelta(days=1)

    assert entries(acme, alice, deleted_after=date(2026, 12, 2), now=now) == [event]
    assert entries(acme, alice, deleted_before=date(2026, 12, 1), now=now) == []
    assert entries(acme, alice, deleted_before=date(2026, 12, 2), now=now) == [event]
    assert entries(acme, alice, deleted_after=date(2026, 12, 3), now=now) == []
    # A time without a zone is read in the account's zone.
    assert entries(acme, alice, deleted_after=datetime(2026, 12, 2, 0, 30), now=now) == [event]
    assert entries(acme, alice, deleted_after=datetime(2026, 12, 2, 0, 31), now=now) == []


def test_retention_a_record_leaves_the_bin_after_30_days_its_event_stays(acme, alice, settings):
    assert settings.RECYCLE_BIN_DAYS == 30
    contact = make(acme, "contact", actor=actor_for(alice))
    deleted_at = timezone.now() - timedelta(days=10)
    event = delete(acme, contact, by=alice, now=deleted_at)

    just_before = deleted_at + timedelta(days=30) - timedelta(microseconds=1)
    at_thirty_days = deleted_at + timedelta(days=30)
    assert entries(acme, alice, now=just_before) == [event]
    assert entries(acme, alice, now=at_thirty_days) == []

    with pytest.raises(Conflict) as refused:
        restore(acme, alice, [event], now=at_thirty_days)
    assert "left the recycle bin 30 days after its deletion" in refused.value.detail
    assert Event.objects.filter(pk=event.pk, action="delete").exists()
    assert not Contact.objects.filter(pk=contact.pk).exists()
    restore(acme, alice, [event], now=just_before)
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_retention_is_a_setting(acme, alice, settings):
    settings.RECYCLE_BIN_DAYS = 7
    contact = make(acme, "contact", actor=actor_for(alice))
    delete(acme, contact, by=alice, now=timezone.now() - timedelta(days=8))
    assert entries(acme, alice) == []
    settings.RECYCLE_BIN_DAYS = 9
    assert len(entries(acme, alice)) == 1


def test_a_deletion_31_days_old_is_not_in_the_bin(acme, alice):
    contact = make(acme, "contact", actor=actor_for(alice))
    old = delete(acme, contact, by=alice, now=timezone.now() - timedelta(days=31))
    recent = made_and_deleted(acme, "contact", by=alice)
    assert entries(acme, alice) == [recent]
    assert old.pk not in [e.pk for e in entries(acme, alice)]


def test_parents_in_the_bin_are_found_directly_and_through_another(acme, alice, bob):
    company = make(acme, "company", actor=actor_for(alice), title="Parent Srl")
    contact = make(acme, "contact", actor=actor_for(alice), company_id=company.pk)
    deal = make(acme, "deal", actor=actor_for(alice), contact_id=contact.pk, title="Child deal")
    deal_event = delete(acme, deal, by=alice)
    contact_event = delete(acme, contact, by=alice)
    company_event = delete(acme, company, by=alice)

    direct = recycle_bin.direct_parents_in_bin(
        acme, viewer_membership=alice.membership, events=[deal_event, contact_event]
    )
    assert direct == {deal_event.pk: [contact_event], contact_event.pk: [company_event]}
    assert recycle_bin.ancestors_in_bin(
        acme, viewer_membership=alice.membership, events=[deal_event]
    ) == [company_event, contact_event]
    # Bob did not delete them: they are not his to bring back.
    assert (
        recycle_bin.ancestors_in_bin(acme, viewer_membership=bob.membership, events=[deal_event])
        == []
    )

    result = restore(acme, alice, [deal_event], include_parents=True)
    assert [r.entity_type for r in result.records] == ["company", "contact", "deal"]
    assert result.unlinked == []
