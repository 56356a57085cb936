"""Reads of CRM data, always through the account (the one tenancy filter)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Account

from .registry import EntityType

# The links each list shows, fetched with the rows (no query per row).
RELATED = {
    "company": ["assigned_by"],
    "contact": ["company", "assigned_by"],
    "lead": ["assigned_by"],
    "deal": ["company", "contact", "assigned_by"],
    "product": [],
    "custom_field": [],
}


def records(account: Account, et: EntityType) -> QuerySet:
    return et.model.objects.filter(account=account).select_related(*RELATED[et.entity_type])


def record_or_none(account: Account, et: EntityType, record_id: int):
    return records(account, et).filter(pk=record_id).first()
