"""The data the journeys start from, made the way the product makes it: CRM records
through the services (with their History events), deletions through the bulk
delete, backups with backups.snapshots.take_snapshot, requests through the
restore request services.

The story: Acme's records were entered four hours ago; the nightly backup holds
them; then Bob, an employee, deleted 24 contacts at once (now, a mass deletion
that stands out on the deletions chart).
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from accounts.actors import Actor, Source
from backups.models import Snapshot
from backups.snapshots import take_snapshot
from crm import services as crm_services
from restore_requests import services as request_services
from tests.factories import make

ENTERED = timedelta(hours=4)  # how long ago the records were entered

SURNAMES = [
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
    "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
    "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani",
    "Rinaldi", "Caruso", "Ferrara", "Galli",
]  # fmt: skip
NAMES = ["Giulia", "Marco", "Sofia", "Luca", "Chiara", "Matteo", "Elena"]


def actor(user) -> Actor:
    return Actor.for_user(user, Source.PAGE)


def nightly_backup(account) -> Snapshot:
    """A real snapshot of the account (take_snapshot), like the nightly one."""
    return take_snapshot(account)


def wait_past_minute_of(moment) -> None:
    """Sleep until the minute after `moment` has begun. A deletion time typed in a
    form has minutes only: a deletion after this is seen after the backup."""
    start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while timezone.now() < start:
        time.sleep(min(1.0, (start - timezone.now()).total_seconds() + 0.05))


def crm_data(account, admin, *, contacts: int = len(SURNAMES)) -> dict:
    """Companies, contacts (linked to the first company), a lead, a deal and a product,
    entered by the administrator `ENTERED` ago."""
    when = timezone.now() - ENTERED
    by = actor(admin)

    def create(entity_type, **values):
        return crm_services.record_create(
            account=account, entity_type=entity_type, values=values, actor=by, now=when
        )

    companies = [
        create(
            "company", title="Trattoria Bella Vista", industry="OTHER", web="bellavista.example"
        ),
        create("company", title="Officine Meccaniche Srl", industry="MANUFACTURING"),
    ]
    people = [
        create(
            "contact",
            name=NAMES[i % len(NAMES)],
            last_name=SURNAMES[i % len(SURNAMES)],
            email=f"{NAMES[i % len(NAMES)].lower()}.{i}@bellavista.example",
            post="Buyer" if i % 3 else "Chef",
            company_id=companies[0].pk,
        )
        for i in range(contacts)
    ]
    lead = create("lead", title="Catering for 200", name="Paolo", last_name="Verdi")
    deal = create("deal", title="Espresso machines", company_id=companies[1].pk, opportunity="4800")
    product = create("product", name="Espresso machine", price="1200.00")
    return {
        "companies": companies,
        "contacts": people,
        "lead": lead,
        "deal": deal,
        "product": product,
    }


def bulk_delete(account, user, records) -> list[int]:
    ids = [r.pk for r in records]
    entity_type = type(records[0])._meta.model_name
    crm_services.records_bulk_delete(
        account=account, entity_type=entity_type, ids=ids, actor=actor(user)
    )
    return ids


def proposed_request(account, admin, helpdesk, snapshot, *, deleted_at, option="csv_export"):
    """A restore request filed by `admin` and answered by the helpdesk with `snapshot`."""
    request = request_services.request_file(
        account=account, actor=admin, deleted_at=deleted_at, option=option, note=""
    )
    request_services.request_propose(
        request=request,
        snapshot_ids=[snapshot.pk],
        message="The backup of last night holds the deleted contacts.",
        actor=helpdesk,
    )
    request.refresh_from_db()
    return request


__all__ = [
    "make",
    "nightly_backup",
    "wait_past_minute_of",
    "crm_data",
    "bulk_delete",
    "proposed_request",
]
