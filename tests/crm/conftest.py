"""What the CRM tests share: every entity type with its URL slug, a valid body for
each, and one record per entity type in Acme (ours) and in Globex (theirs)."""

from __future__ import annotations

import pytest

from crm import services
from crm.forms import form_class
from crm.registry import entity
from tests.factories import actor_for

SLUGS = {
    "company": "companies",
    "contact": "contacts",
    "lead": "leads",
    "deal": "deals",
    "product": "products",
    "custom_field": "custom-fields",
}
ENTITY_TYPES = list(SLUGS)

# A complete, valid body for each entity type (API create/update and page forms).
VALID = {
    "company": {"title": "Initech Srl"},
    "contact": {"name": "Anna", "last_name": "Verdi"},
    "lead": {"title": "Trade fair enquiry"},
    "deal": {"title": "Pilot project"},
    "product": {"name": "Support hours", "price": "50.00"},
    "custom_field": {"entity_type": "lead", "code": "UF_CRM_BUDGET", "label": "Budget"},
}

# What a record of Globex is called, so a page or list that leaked it would show it.
THEIR_VALUES = {
    "company": {"title": "Globex Secret Holdings"},
    "contact": {"name": "Hank", "last_name": "Scorpio"},
    "lead": {"title": "Globex secret lead"},
    "deal": {"title": "Globex secret deal"},
    "product": {"name": "Globex doomsday device", "price": "999.00"},
    "custom_field": {"entity_type": "contact", "code": "UF_CRM_SECRET", "label": "Globex secret"},
}
THEIR_TITLE = {
    "company": "Globex Secret Holdings",
    "contact": "Hank Scorpio",
    "lead": "Globex secret lead",
    "deal": "Globex secret deal",
    "product": "Globex doomsday device",
    "custom_field": "Globex secret",
}


def row(obj) -> dict | None:
    """The row as it is in the database now (None when it is gone)."""
    return type(obj).objects.filter(pk=obj.pk).values().first()


def count(entity_type: str) -> int:
    return entity(entity_type).model.objects.count()


def form_data(account, entity_type: str, **typed) -> dict:
    """What a browser posts from the create form: the fields' initial values (the
    defaults a person leaves as they are), a valid record, and what was typed."""
    form = form_class(entity(entity_type))(account=account)
    initial = {
        name: ("on" if value is True else value)
        for name, field in form.fields.items()
        if (value := field.initial) is not None and value is not False and value != ""
    }
    return {**initial, **VALID[entity_type], **typed}


def create(account, entity_type: str, user, values: dict):
    """A record made through the services, as the user on a page."""
    return services.record_create(
        account=account, entity_type=entity_type, values=values, actor=actor_for(user)
    )


@pytest.fixture
def ours(acme, alice):
    """One record of each entity type in Acme."""
    return {et: create(acme, et, alice, VALID[et]) for et in ENTITY_TYPES}


@pytest.fixture
def theirs(globex, charlie):
    """One record of each entity type in Globex, with names that must never leak."""
    return {et: create(globex, et, charlie, THEIR_VALUES[et]) for et in ENTITY_TYPES}
