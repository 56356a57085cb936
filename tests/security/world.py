"""One fixture world for the security tests: two accounts, the five callers, and
one object of each kind owned by Acme (the administrator's account), made the
way real ones are made (services, a real snapshot, real restore runs executed by
the engine), so that every id in a URL or a body points at something that exists.

Acme's CRM records carry CRM_MARK in their titles and its tickets carry
NOTE_MARK, so a response can be searched for data it must not show.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.actors import Actor, Source
from accounts.models import Plan, Role
from accounts.services import helpdesk_user_create
from alerts import services as alert_services
from alerts.models import Alert
from backups.restore_models import RestoreRun
from backups.restores import execute_run
from backups.snapshots import take_snapshot
from crm import services as crm_services
from crm_history.models import Event
from restore_requests import services as request_services
from restore_requests.models import DeletionReport, RestoreRequest
from tests.factories import PASSWORD, AccountFactory, member

CRM_MARK = "Kryptonite"
NOTE_MARK = "Xylophone"
CSRF_SECRET = "s" * 32  # the CSRF cookie's secret; sent back as X-CSRFToken

CALLERS = ("anonymous", "employee", "admin", "other_admin", "helpdesk")

RECORD_VALUES = {
    "company": {"title": f"{CRM_MARK} Srl"},
    "contact": {"name": CRM_MARK, "last_name": "Rossi"},
    "lead": {"title": f"{CRM_MARK} enquiry"},
    "deal": {"title": f"{CRM_MARK} licence"},
    "product": {"name": f"{CRM_MARK} licence", "price": "100.00"},
    "custom_field": {"entity_type": "contact", "code": "UF_CRM_SIZE", "label": f"{CRM_MARK} size"},
}


@dataclass
class World:
    acme: object
    globex: object
    users: dict  # caller -> user (no anonymous)
    ids: dict = field(default_factory=dict)  # name -> id (see build_world)
    sessions: dict = field(default_factory=dict)  # caller -> session key
    tokens: dict = field(default_factory=dict)  # caller -> token key

    def client(self, caller: str, *, session: bool, csrf: bool = True) -> Client:
        """A fresh client of `caller`: its page session (or none), the CSRF cookie."""
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        if csrf:
            client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
        if session and caller in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[caller]
        return client


def _actor(user, source=Source.PAGE) -> Actor:
    return Actor.for_user(user, source)


def _local(account, moment) -> str:
    return timezone.localtime(moment, account.tzinfo).strftime("%Y-%m-%dT%H:%M")


def _finish(run_id: int) -> RestoreRun:
    """Execute a confirmed run here and now (a worker of this test run may take the
    same task first: the run's lock lets one of them do it; wait for the end)."""
    execute_run(run_id)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = RestoreRun.objects.get(pk=run_id)
        if run.status in ("completed", "failed", "cancelled"):
            assert run.status == "completed", run.error
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


def _confirmed_and_run(account, admin, helpdesk, snapshot, option) -> RestoreRequest:
    request = request_services.request_file(
        account=account,
        actor=admin,
        deleted_at=timezone.now() - timedelta(seconds=1),
        option=option,
        note=f"{NOTE_MARK} {option}",
    )
    request_services.request_propose(
        request=request, snapshot_ids=[snapshot.pk], message=f"{NOTE_MARK} try", actor=helpdesk
    )
    request.refresh_from_db()
    request_services.request_confirm(
        request=request,
        snapshot_id=snapshot.pk,
        option=option,
        confirm_account_name=account.name,
        actor=admin,
    )
    run = request.runs.get().run
    _finish(run.pk)
    request.refresh_from_db()
    return request


def build_world() -> World:
    """Needs committed rows (transactional_db): snapshots and runs work outside any
    transaction, as in production."""
    acme = AccountFactory(name="Acme", plan=Plan.PROFESSIONAL, timezone="Europe/Rome")
    globex = AccountFactory(name="Globex", plan=Plan.PROFESSIONAL, timezone="America/New_York")
    alice = member(acme, Role.ADMIN, username="alice")
    bob = member(acme, Role.EMPLOYEE, username="bob")
    charlie = member(globex, Role.ADMIN, username="charlie")
    helen = helpdesk_user_create(username="helen", password=PASSWORD)
    world = World(
        acme=acme,
        globex=globex,
        users={"employee": bob, "admin": alice, "other_admin": charlie, "helpdesk": helen},
    )
    ids = world.ids

    # One record of each type, linked where the type links.
    company = crm_services.record_create(
        account=acme, entity_type="company", values=RECORD_VALUES["company"], actor=_actor(alice)
    )
    ids["company"] = company.pk
    for entity_type in ("contact", "lead", "deal", "product", "custom_field"):
        values = dict(RECORD_VALUES[entity_type])
        if entity_type in ("contact", "deal"):
            values["company_id"] = company.pk
        obj = crm_services.record_create(
            account=acme, entity_type=entity_type, values=values, actor=_actor(alice)
        )
        ids[entity_type] = obj.pk
    ids["globex_contact"] = crm_services.record_create(
        account=globex,
        entity_type="contact",
        values={"name": "Globex", "last_name": "Person"},
        actor=_actor(charlie),
    ).pk

    # Snapshots (real files), then the tickets that use them.
    acme_snapshot = take_snapshot(acme)
    globex_snapshot = take_snapshot(globex)
    ids["snapshot"] = acme_snapshot.pk
    ids["globex_snapshot"] = globex_snapshot.pk

    ids["request_csv_done"] = _confirmed_and_run(acme, alice, helen, acme_snapshot, "csv_export").pk
    ids["request_rollback_done"] = _confirmed_and_run(
        acme, alice, helen, acme_snapshot, "crm_rollback"
    ).pk
    proposed = request_services.request_file(
        account=acme,
        actor=alice,
        deleted_at=timezone.now() - timedelta(seconds=1),
        option="csv_export",
        note=f"{NOTE_MARK} proposed",
    )
    request_services.request_propose(
        request=proposed, snapshot_ids=[acme_snapshot.pk], message=NOTE_MARK, actor=helen
    )
    ids["request_proposed"] = proposed.pk
    ids["request_submitted"] = request_services.request_file(
        account=acme,
        actor=alice,
        deleted_at=timezone.now() - timedelta(seconds=1),
        option="csv_export",
        note=f"{NOTE_MARK} submitted",
    ).pk
    ids["globex_request"] = request_services.request_file(
        account=globex,
        actor=charlie,
        deleted_at=timezone.now() - timedelta(seconds=1),
        option="csv_export",
        note="Globex request",
    ).pk
    ids["report"] = request_services.report_file(
        account=acme,
        actor=alice,
        deleted_at=timezone.now() - timedelta(hours=1),
        person=f"{NOTE_MARK} intern",
        description=f"{NOTE_MARK} deleted contacts",
    ).pk

    # The recycle bin: a contact bob deleted (employees see their own deletions).
    binned = crm_services.record_create(
        account=acme,
        entity_type="contact",
        values={"name": CRM_MARK, "last_name": "Binned"},
        actor=_actor(bob),
    )
    crm_services.record_delete(
        account=acme, entity_type="contact", record_id=binned.pk, actor=_actor(bob)
    )
    ids["bin_event"] = Event.objects.get(
        account=acme, entity_type="contact", entity_id=binned.pk, action="delete"
    ).pk
    ids["binned_contact"] = binned.pk

    # An alert: bob deletes three contacts at once under a rule of two.
    alert_services.rules_update(
        account=acme,
        values={"burst_count": 2, "burst_minutes": 10, "share_enabled": False},
        actor=alice,
    )
    burst = [
        crm_services.record_create(
            account=acme,
            entity_type="contact",
            values={"name": CRM_MARK, "last_name": f"Burst {i}"},
            actor=_actor(bob),
        ).pk
        for i in range(3)
    ]
    crm_services.records_bulk_delete(
        account=acme, entity_type="contact", ids=burst, actor=_actor(bob)
    )
    ids["alert"] = Alert.objects.get(account=acme).pk

    # Sessions (committed, so that every case's rollback keeps them) and tokens.
    for caller, user in world.users.items():
        client = Client()
        client.force_login(user)
        world.sessions[caller] = client.cookies[settings.SESSION_COOKIE_NAME].value
        world.tokens[caller] = Token.objects.create(user=user).key
    assert RestoreRequest.objects.filter(account=acme).count() == 4
    assert DeletionReport.objects.filter(account=acme).count() == 1
    return world
