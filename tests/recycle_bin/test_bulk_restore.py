"""A bulk delete of 10,000 contacts comes back in one request, in one transaction
(issue 7, point 6). The speed is measured in bench/recycle_bin.py, not here."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection

from crm import recycle_bin, services
from crm.models import Company, Contact
from crm.records import to_record
from crm.registry import entity
from crm_history.models import Event
from tests.factories import actor_for

N = 10_000


def _seed(account, companies: int, contacts: int):
    at = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    Company.objects.bulk_create(
        [
            Company(account=account, title=f"Company {i}", created_at=at, updated_at=at)
            for i in range(companies)
        ]
    )
    company_ids = list(Company.objects.filter(account=account).values_list("pk", flat=True))
    Contact.objects.bulk_create(
        [
            Contact(
                account=account,
                name="Anna",
                last_name=f"Contact {i}",
                email=f"anna{i}@example.com",
                company_id=company_ids[i % companies],
                custom_fields={"UF_CRM_NO": str(i)},
                created_at=at,
                updated_at=at,
            )
            for i in range(contacts)
        ],
        batch_size=2000,
    )
    return company_ids, list(Contact.objects.filter(account=account).values_list("pk", flat=True))


def test_10000_deleted_contacts_come_back_in_one_request_and_one_transaction(
    transactional_db, acme, alice
):
    company_ids, contact_ids = _seed(acme, companies=50, contacts=N)
    before = {c.pk: to_record(entity("contact"), c) for c in Contact.objects.filter(account=acme)}
    contacts_gone = services.records_bulk_delete(
        account=acme, entity_type="contact", ids=contact_ids, actor=actor_for(alice)
    )
    services.records_bulk_delete(
        account=acme, entity_type="company", ids=company_ids, actor=actor_for(alice)
    )
    events = list(
        Event.objects.filter(operation=contacts_gone.operation, action="delete").values_list(
            "pk", flat=True
        )
    )
    assert len(events) == N

    result = recycle_bin.restore_from_bin(
        account=acme,
        viewer_membership=alice.membership,
        event_ids=events,
        include_parents=True,
        actor=actor_for(alice),
    )

    assert result.counts() == {"company": 50, "contact": N}
    assert result.unlinked == []
    after = {c.pk: to_record(entity("contact"), c) for c in Contact.objects.filter(account=acme)}
    assert after == before
    with connection.cursor() as cursor:
        # One transaction: every restored row and every restore event carries the
        # id of the same writing transaction.
        cursor.execute(
            "SELECT count(DISTINCT xmin::text) FROM ("
            " SELECT xmin FROM crm_contact WHERE account_id = %(a)s"
            " UNION ALL SELECT xmin FROM crm_company WHERE account_id = %(a)s"
            " UNION ALL SELECT xmin FROM crm_history_event"
            "  WHERE account_id = %(a)s AND action = 'restore') AS x",
            {"a": acme.pk},
        )
        assert cursor.fetchone()[0] == 1
    restores = Event.objects.filter(account=acme, action="restore", operation=result.operation)
    assert restores.count() == N + 50
    assert list(recycle_bin.bin_entries(acme, viewer_membership=alice.membership)) == []
