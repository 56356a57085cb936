"""Rows in bulk for the query-count tests: a page must cost the same number of
queries with 10 rows and with 1,000, so each helper adds `n` more rows of one
kind quickly (bulk inserts of valid rows, History events through the History's
own recorder, deletions through the CRM's set-based bulk delete). Growing is
cumulative: call it with 10, measure, call it with 990, measure again."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor, Source
from accounts.models import Account, Plan, PlanChange
from crm import models as m
from crm import services
from crm_history.models import Action
from crm_history.recorder import EventDraft, new_operation, record_events

_seq = itertools.count(1)

HISTORY_TYPES = ["contact", "company", "lead", "deal", "product", "custom_field"]


def companies(account, n: int, *, owner=None) -> list[m.Company]:
    now = timezone.now()
    return m.Company.objects.bulk_create(
        [
            m.Company(
                account=account,
                title=f"Company {next(_seq)}",
                company_type="CUSTOMER",
                industry="IT",
                revenue=Decimal("1000.00"),
                phone="+39 06 1234",
                email="info@example.com",
                assigned_by=owner,
                created_at=now,
                updated_at=now,
            )
            for _ in range(n)
        ]
    )


def contacts(account, n: int, *, owner=None, company=None) -> list[m.Contact]:
    now = timezone.now()
    parents = [company] if company else companies(account, max(1, n // 10), owner=owner)
    return m.Contact.objects.bulk_create(
        [
            m.Contact(
                account=account,
                name="Mario",
                last_name=f"Rossi {next(_seq)}",
                post="Buyer",
                email="mario@example.com",
                phone="+39 06 5678",
                company=parents[i % len(parents)],
                assigned_by=owner,
                created_at=now,
                updated_at=now,
            )
            for i in range(n)
        ]
    )


def leads(account, n: int, *, owner=None) -> list[m.Lead]:
    now = timezone.now()
    return m.Lead.objects.bulk_create(
        [
            m.Lead(
                account=account,
                title=f"Enquiry {next(_seq)}",
                name="Anna",
                last_name="Bianchi",
                status_id="NEW",
                opportunity=Decimal("500.00"),
                source_id="WEB",
                assigned_by=owner,
                created_at=now,
                updated_at=now,
            )
            for _ in range(n)
        ]
    )


def deals(account, n: int, *, owner=None, company=None) -> list[m.Deal]:
    now = timezone.now()
    people = contacts(account, max(1, n // 10), owner=owner, company=company)
    return m.Deal.objects.bulk_create(
        [
            m.Deal(
                account=account,
                title=f"Deal {next(_seq)}",
                stage_id="NEW",
                opportunity=Decimal("1500.00"),
                company=company or people[i % len(people)].company,
                contact=people[i % len(people)],
                closedate=now.date(),
                assigned_by=owner,
                created_at=now,
                updated_at=now,
            )
            for i in range(n)
        ]
    )


def products(account, n: int, **_) -> list[m.Product]:
    now = timezone.now()
    return m.Product.objects.bulk_create(
        [
            m.Product(
                account=account,
                name=f"Licence {next(_seq)}",
                code="LIC",
                price=Decimal("100.00"),
                created_at=now,
                updated_at=now,
            )
            for _ in range(n)
        ]
    )


def custom_fields(account, n: int, *, entity_type: str = "lead", **_) -> list[m.CustomField]:
    now = timezone.now()
    return m.CustomField.objects.bulk_create(
        [
            m.CustomField(
                account=account,
                entity_type=entity_type,
                code=f"UF_CRM_F{next(_seq)}",
                label="Size",
                field_type="string",
                created_at=now,
                updated_at=now,
            )
            for _ in range(n)
        ]
    )


RECORDS = {
    "company": companies,
    "contact": contacts,
    "lead": leads,
    "deal": deals,
    "product": products,
    "custom_field": custom_fields,
}


def history(account, n: int, *, actor: Actor | None = None, at=None) -> None:
    """`n` events of records that no longer exist (so the page also looks up what
    each was): every entity type in each six, deletions in every other six (so
    ten events already hold a deletion of each type), creates and updates between."""
    actor = actor or Actor.system(source=Source.COMMAND)
    drafts = []
    for i in range(n):
        k = next(_seq)
        if (i // len(HISTORY_TYPES)) % 2 == 0:
            action = Action.DELETE
        else:
            action = Action.CREATE if i % 2 else Action.UPDATE
        drafts.append(
            EventDraft(
                entity_type=HISTORY_TYPES[i % len(HISTORY_TYPES)],
                entity_id=10_000_000 + k,
                action=action,
                title=f"Record {k}",
                data={"id": 10_000_000 + k, "name": "Mario"} if action != Action.UPDATE else None,
                changes={"name": ["Mario", "Maria"]} if action == Action.UPDATE else None,
            )
        )
    with transaction.atomic():
        record_events(
            account_id=account.pk,
            actor=actor,
            operation=new_operation(),
            drafts=drafts,
            occurred_at=at,
        )


def deleted(account, n: int, *, actor: Actor) -> None:
    """`n` more records in the recycle bin: deals, then the contact and the
    company they belonged to, deleted through the CRM's bulk delete (their delete
    events). The newest page holds all three types at any size."""
    company = companies(account, 1)[0]
    contact = contacts(account, 1, company=company)[0]
    deal_rows = m.Deal.objects.bulk_create(
        [
            m.Deal(
                account=account,
                title=f"Deal {next(_seq)}",
                stage_id="NEW",
                company=company,
                contact=contact,
                created_at=timezone.now(),
                updated_at=timezone.now(),
            )
            for _ in range(n - 2)
        ]
    )
    for entity_type, ids in (
        ("deal", [r.pk for r in deal_rows]),
        ("contact", [contact.pk]),
        ("company", [company.pk]),
    ):
        services.records_bulk_delete(account=account, entity_type=entity_type, ids=ids, actor=actor)


def accounts(n: int) -> list[Account]:
    return Account.objects.bulk_create(
        [Account(name=f"Account {next(_seq)}", plan=Plan.STANDARD) for _ in range(n)]
    )


def plan_changes(account, n: int, *, user) -> None:
    PlanChange.objects.bulk_create(
        [
            PlanChange(
                account=account,
                kind=PlanChange.Kind.UPGRADE,
                from_plan=Plan.BASIC,
                to_plan=Plan.PROFESSIONAL,
                changed_by=user,
                changed_by_name=user.username,
            )
            for _ in range(n)
        ]
    )


def spread(n: int, *, days: float = 6.5):
    """`n` instants spread over the last `days` days, newest first."""
    now = timezone.now()
    step = timedelta(days=days) / max(n, 1)
    return [now - step * (i + 1) for i in range(n)]
