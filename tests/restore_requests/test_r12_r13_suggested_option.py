"""The option the form suggests (domain.md, "Our decision" on R12/R13): the full
rollback when the History shows deleted custom fields or products around the
time (only it brings those back); the CSV file when the CRM has changed since the
deletion; the CRM module rollback when it has not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.actors import Actor, Source
from crm import services as crm_services
from restore_requests.selectors import suggested_option
from tests.factories import make

from .conftest import seed_deleted


@pytest.fixture
def at():
    return (timezone.now() - timedelta(hours=6)).replace(microsecond=0)


def _system():
    return Actor.system(source=Source.COMMAND)


def test_r13_deleted_custom_fields_suggest_the_full_rollback(acme, at):
    seed_deleted(acme, "contact", 30, at=at)
    seed_deleted(acme, "custom_field", 1, at=at + timedelta(minutes=5))
    suggestion = suggested_option(acme, at)
    assert suggestion.option == "full_rollback"
    assert "custom fields or products" in suggestion.reason
    assert suggestion.label == "Full account rollback"


def test_r13_deleted_products_suggest_the_full_rollback(acme, at):
    seed_deleted(acme, "product", 2, at=at)
    assert suggested_option(acme, at).option == "full_rollback"


def test_r12_a_crm_unchanged_since_the_deletion_suggests_the_crm_rollback(acme, at):
    seed_deleted(acme, "contact", 30, at=at)
    suggestion = suggested_option(acme, at)
    assert suggestion.option == "crm_rollback"
    assert "Nothing has changed in the CRM since the deletion" in suggestion.reason


def test_r12_a_record_created_since_suggests_the_csv_file(acme, at):
    seed_deleted(acme, "contact", 30, at=at)
    make(acme, "lead", title="New since")
    suggestion = suggested_option(acme, at)
    assert suggestion.option == "csv_export"
    assert "nothing else in the account is touched" in suggestion.reason


def test_r12_a_record_changed_since_suggests_the_csv_file(acme, at):
    kept = crm_services.record_create(
        account=acme,
        entity_type="company",
        values={"title": "Kept"},
        actor=_system(),
        now=at - timedelta(days=1),
    )
    seed_deleted(acme, "contact", 30, at=at)
    crm_services.record_update(
        account=acme,
        entity_type="company",
        record_id=kept.pk,
        values={"title": "Kept, renamed"},
        actor=_system(),
        now=at + timedelta(hours=1),
    )
    assert suggested_option(acme, at).option == "csv_export"


def test_r12_changes_before_the_deletion_or_in_another_account_do_not_count(acme, globex, at):
    crm_services.record_create(
        account=acme,
        entity_type="lead",
        values={"title": "Before"},
        actor=_system(),
        now=at - timedelta(minutes=30),
    )
    seed_deleted(acme, "contact", 30, at=at)
    make(globex, "lead", title="Theirs, since")
    assert suggested_option(acme, at).option == "crm_rollback"


def test_r12_the_last_deletion_of_a_burst_is_the_reference(acme, at):
    """Deletions go on for a while; what happened between the first and the last
    deletion of the burst is part of it, not a change since."""
    seed_deleted(acme, "contact", 10, at=at)
    seed_deleted(acme, "contact", 10, at=at + timedelta(minutes=20))
    assert suggested_option(acme, at).option == "crm_rollback"
