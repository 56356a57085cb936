"""Factories for tests. CRM records are made through the services, like every
other write, so they carry their History events."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from accounts.actors import Actor, Source
from accounts.models import Account, Membership, Plan, Role
from crm import services

PASSWORD = "correct-horse-battery-9"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    plan = Plan.PROFESSIONAL
    timezone = "Europe/Rome"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def member(account: Account, role: str = Role.EMPLOYEE, **kwargs):
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, account=account, role=role)
    return user


def actor_for(user, source: str = Source.PAGE) -> Actor:
    return Actor.for_user(user, source)


def make(account: Account, entity_type: str, actor: Actor | None = None, **values):
    """One CRM record, created through the services."""
    if actor is None:
        actor = Actor.system(source=Source.COMMAND)
    defaults = {
        "company": {"title": "Acme Srl"},
        "contact": {"name": "Mario", "last_name": "Rossi"},
        "lead": {"title": "Website enquiry"},
        "deal": {"title": "Annual licence"},
        "product": {"name": "Licence", "price": "100.00"},
        "custom_field": {"entity_type": "contact", "code": "UF_CRM_SIZE", "label": "Size"},
    }[entity_type]
    return services.record_create(
        account=account, entity_type=entity_type, values={**defaults, **values}, actor=actor
    )
