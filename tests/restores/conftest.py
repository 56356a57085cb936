"""The restore engine's cast: Acme with records of every entity type (links,
custom field values, formula-like and multi-line texts), Globex beside it, a
snapshot of Acme, and then a day's work on Acme after the snapshot: records
created, changed and deleted (with their links), a product and a custom field
deleted (R13), by alice and by bob (R10: a rollback is never per user)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from backups.snapshots import take_snapshot
from crm import services
from tests.factories import actor_for, make


@dataclass
class World:
    acme: object
    globex: object
    alice: object
    bob: object
    charlie: object
    snapshot: object = None
    ids: dict = field(default_factory=dict)


def field_def(account, actor, *, entity_type: str, code: str, label: str, **values):
    """A custom field definition (make() takes entity_type for itself)."""
    return services.record_create(
        account=account,
        entity_type="custom_field",
        values={"entity_type": entity_type, "code": code, "label": label, **values},
        actor=actor,
    )


def _fill_acme(acme, alice, bob) -> dict:
    a, b = actor_for(alice), actor_for(bob)
    ids = {}
    ids["cf_size"] = field_def(acme, a, entity_type="contact", code="UF_CRM_SIZE", label="Size").pk
    ids["cf_budget"] = field_def(
        acme, a, entity_type="deal", code="UF_CRM_BUDGET", label="Budget", field_type="double"
    ).pk
    ids["cf_vip"] = field_def(
        acme, a, entity_type="company", code="UF_CRM_VIP", label="VIP", field_type="boolean"
    ).pk
    ids["licence"] = make(acme, "product", a, name="Licence", price="100.00").pk
    ids["support"] = make(acme, "product", b, name='Support "Gold"', price="0.50", active=False).pk
    ids["acme_srl"] = make(
        acme,
        "company",
        a,
        title="Acme Srl",
        revenue="1234567.89",
        address="Via Roma 1\nMilano",
        assigned_by_id=alice.pk,
        custom_fields={"UF_CRM_VIP": "yes"},
    ).pk
    ids["formula_co"] = make(
        acme,
        "company",
        b,
        title='=HYPERLINK("http://evil.example")',
        phone="+39 06 1234",
        assigned_by_id=bob.pk,
    ).pk
    ids["citta"] = make(acme, "company", a, title="Bottega Città, “Sud”", web="-").pk
    ids["mario"] = make(
        acme,
        "contact",
        a,
        name="Mario",
        last_name="Rossi",
        company_id=ids["acme_srl"],
        email="mario@example.com",
        assigned_by_id=alice.pk,
        custom_fields={"UF_CRM_SIZE": "L"},
    ).pk
    ids["anna"] = make(
        acme,
        "contact",
        b,
        name="Anna",
        last_name="@anna",
        company_id=ids["formula_co"],
        comments="-5 points",
        phone_mobile="+41 79 000",
    ).pk
    ids["luca"] = make(
        acme,
        "contact",
        a,
        name="Luca",
        last_name="Bianchi",
        company_id=ids["citta"],
        comments='He said "hi", then\nleft;\r\nfor good',
    ).pk
    ids["solo"] = make(acme, "contact", b, name="'=quoted", last_name="Solo").pk
    ids["web_lead"] = make(
        acme, "lead", a, title="Website enquiry", opportunity="99.90", phone="+39 333"
    ).pk
    ids["plus_lead"] = make(acme, "lead", b, title="+lead from a fair", comments="").pk
    ids["show_lead"] = make(acme, "lead", a, title="Trade show", status_id="IN_PROCESS").pk
    ids["d1"] = make(
        acme,
        "deal",
        a,
        title="Annual licence",
        company_id=ids["acme_srl"],
        contact_id=ids["mario"],
        begindate=date(2026, 1, 31),
        closed=True,
        probability=40,
        opportunity="1500.50",
        custom_fields={"UF_CRM_BUDGET": "1500.5"},
        assigned_by_id=alice.pk,
    ).pk
    ids["d2"] = make(
        acme, "deal", b, title="Open deal", company_id=ids["formula_co"], contact_id=ids["anna"]
    ).pk
    ids["d3"] = make(
        acme,
        "deal",
        a,
        title="Città deal",
        company_id=ids["citta"],
        contact_id=ids["luca"],
        stage_id="PREPARATION",
    ).pk
    return ids


def _fill_globex(globex, charlie) -> dict:
    c = actor_for(charlie)
    ids = {}
    field_def(globex, c, entity_type="contact", code="UF_CRM_SIZE", label="Size")
    make(globex, "product", c, name="Globex widget", price="5.00")
    ids["globex_inc"] = make(globex, "company", c, title="Globex Inc").pk
    ids["hank"] = make(
        globex,
        "contact",
        c,
        name="Hank",
        last_name="Scorpio",
        company_id=ids["globex_inc"],
        custom_fields={"UF_CRM_SIZE": "M"},
    ).pk
    make(globex, "lead", c, title="Globex lead")
    make(
        globex, "deal", c, title="Globex deal", company_id=ids["globex_inc"], contact_id=ids["hank"]
    )
    return ids


def change_after_snapshot(world: World) -> None:
    """A day's work on Acme after its snapshot, by alice and bob; and on Globex."""
    acme, ids = world.acme, world.ids
    a, b = actor_for(world.alice), actor_for(world.bob)

    def update(entity_type, key, actor, **values):
        services.record_update(
            account=acme, entity_type=entity_type, record_id=ids[key], values=values, actor=actor
        )

    def delete(entity_type, keys, actor):
        services.records_bulk_delete(
            account=acme, entity_type=entity_type, ids=[ids[k] for k in keys], actor=actor
        )

    # Created after the snapshot: gone after a rollback.
    ids["newco"] = make(acme, "company", a, title="Newco").pk
    ids["nina"] = make(acme, "contact", b, name="Nina", last_name="New", company_id=ids["newco"]).pk
    ids["new_deal"] = make(
        acme, "deal", b, title="New deal", company_id=ids["newco"], contact_id=ids["nina"]
    ).pk
    ids["new_lead"] = make(acme, "lead", a, title="New lead").pk
    # Changed after the snapshot: reverted.
    update("contact", "mario", a, last_name="Rossi-Verdi", custom_fields={"UF_CRM_SIZE": "XL"})
    update("company", "acme_srl", b, title="Acme S.p.A.")
    update("deal", "d1", a, stage_id="WON", probability=100)
    # Deleted after the snapshot (children first, then with unlinking): back with their ids.
    delete("deal", ["d3"], b)
    delete("contact", ["luca"], b)
    delete("company", ["citta"], a)
    delete("company", ["formula_co"], b)  # unlinks anna and d2
    delete("lead", ["show_lead"], a)
    update("contact", "anna", a, company_id=ids["newco"])
    # R13: the catalogue and the custom field definitions change too.
    delete("product", ["support"], a)
    update("product", "licence", a, price="120.00")
    ids["consulting"] = make(acme, "product", a, name="Consulting", price="80.00").pk
    delete("custom_field", ["cf_budget"], a)
    ids["cf_new"] = field_def(
        acme, a, entity_type="company", code="UF_CRM_NEW", label="New field"
    ).pk
    # Another account works on, meanwhile.
    services.record_update(
        account=world.globex,
        entity_type="company",
        record_id=world.ids["globex_inc"],
        values={"title": "Globex Corp"},
        actor=actor_for(world.charlie),
    )


@pytest.fixture
def world(acme, globex, alice, bob, charlie) -> World:
    """Acme and Globex filled, a snapshot of Acme taken, nothing changed since."""
    w = World(acme=acme, globex=globex, alice=alice, bob=bob, charlie=charlie)
    w.ids.update(_fill_acme(acme, alice, bob))
    w.ids.update(_fill_globex(globex, charlie))
    w.snapshot = take_snapshot(acme)
    return w


@pytest.fixture
def changed(world) -> World:
    """The world, after a day's work on Acme since its snapshot."""
    change_after_snapshot(world)
    return world
