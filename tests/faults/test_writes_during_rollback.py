"""Writes during a rollback: several API clients (threads, each with its own
token and database connection) create, change and delete contacts before,
during and after a rollback of their 20,000-record account on the worker.

What each client saw is checked against what the database kept, client by
client, without timing: the client's accepted writes (201, 200, 204) up to the
moment the account was blocked must be exactly what the rollback's safety
snapshot holds of its records (so the undo brings them back); every write it
sent while the account was blocked is refused with 423 and left no trace;
every write accepted after the rollback is there at the end (and one aimed at
a record the rollback removed answers 404). A write accepted and then
silently gone, or refused and then applied, fails the test. Finally the undo
brings back exactly what the safety snapshot holds."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.db import connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from backups.restore_models import RestoreRun
from backups.restores import start_run, start_undo
from backups.snapshots import take_snapshot
from crm import services
from crm.registry import entity
from tests.factories import AccountFactory, actor_for, make, member
from tests.faults.support import big_account, count, report, seeded
from tests.restores.support import (
    current_records,
    finished,
    rows_checksum,
    snapshot_records,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/crm/contacts/"
CLIENTS = 8
ACCEPTED = {201, 200, 204}


@dataclass
class Op:
    kind: str  # create, update, delete
    target: int | None  # the record's id (update, delete) or None (create)
    value: str  # the last name it sets
    status: int = 0
    made: int | None = None  # the id a create answered


@dataclass
class Client:
    number: int
    token: str
    ops: list[Op] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"w{self.number}-"


def _apply(state: dict[int, str], op: Op) -> None:
    if op.status not in ACCEPTED:
        return
    if op.kind == "create":
        state[op.made] = op.value
    elif op.kind == "update":
        state[op.target] = op.value
    else:
        state.pop(op.target, None)


def _split(client: Client, kept: dict[int, str], final: dict[int, str]) -> int | None:
    """Where the account's block fell in the client's ops, if its answers agree
    with the database: everything accepted before is what the safety snapshot
    kept of its records (id: last name), with no 423 or 404 among them; after it,
    423s first, then writes applied to nothing (the rollback removed the records
    created before, so a change of one answers 404) that give what is there at
    the end. None if no split explains what the database holds."""
    ops = client.ops
    before: dict[int, str] = {}
    for k in range(len(ops) + 1):
        if k:
            if ops[k - 1].status in (423, 404):
                break  # neither can come before the rollback has started
            _apply(before, ops[k - 1])
        if before != kept:
            continue
        state: dict[int, str] = {}
        accepted_since = False
        for op in ops[k:]:
            if op.status == 423:
                if accepted_since:
                    break  # refused again after writes were accepted again
                continue
            accepted_since = True
            if op.kind != "create" and (op.target not in state) != (op.status == 404):
                break
            _apply(state, op)
        else:
            if state == final:
                return k
    return None


def _drive(client: Client, rng, tickets, total: int, hold_from: int, run_done, errors) -> None:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {client.token}")
    live: list[int] = []
    try:
        while True:
            with tickets["lock"]:
                ticket = tickets["next"]
                tickets["next"] += 1
            if ticket >= total:
                return
            if ticket >= hold_from:
                run_done.wait(300)  # the last writes go after the rollback
            n = len(client.ops)
            choice = rng.random()
            if not live or choice < 0.5:
                op = Op("create", None, f"v{n}")
                answer = api.post(URL, {"name": f"{client.prefix}{n}", "last_name": op.value})
            elif choice < 0.8:
                op = Op("update", rng.choice(live), f"v{n}")
                answer = api.patch(f"{URL}{op.target}/", {"last_name": op.value})
            else:
                op = Op("delete", rng.choice(live), "")
                answer = api.delete(f"{URL}{op.target}/")
            op.status = answer.status_code
            client.ops.append(op)
            if op.status == 201:
                op.made = answer.json()["id"]
                live.append(op.made)
            elif op.status == 423:
                assert answer.json()["code"] == "restore_in_progress"
            elif op.status == 404 or (op.kind == "delete" and op.status == 204):
                live.remove(op.target)
            elif op.status not in ACCEPTED:
                errors.append(f"client {client.number}: {op} -> {answer.content[:200]!r}")
                return
    except Exception as exc:  # noqa: BLE001  (reported by the test)
        errors.append(f"client {client.number}: {exc!r}")
    finally:
        connections.close_all()


def _theirs(records: dict[int, dict], prefix: str) -> dict[int, str]:
    return {pk: r["last_name"] for pk, r in records.items() if r["name"].startswith(prefix)}


def test_writes_around_and_during_a_rollback_are_kept_or_refused_never_lost(
    celery_worker, globex, charlie
):
    total = count("writes")
    rng, seed = seeded("writes")
    make(globex, "contact", actor_for(charlie), name="Globex person")
    account = AccountFactory()
    admin = member(account, Role.ADMIN)
    big_account(account, 10_000)  # 20,000 records
    snapshot = take_snapshot(account)
    contacts = entity("contact").model.objects.filter(account=account).order_by("pk")
    services.records_bulk_delete(
        account=account,
        entity_type="contact",
        ids=list(contacts.values_list("pk", flat=True)[:5000]),
        actor=actor_for(admin),
    )
    clients = []
    for number in range(CLIENTS):
        user = member(account, Role.EMPLOYEE)
        clients.append(Client(number, Token.objects.create(user=user).key))
    others = rows_checksum(other_than=account.pk)

    tickets = {"lock": threading.Lock(), "next": 0}
    run_done = threading.Event()
    errors: list[str] = []
    threads = [
        threading.Thread(
            target=_drive,
            args=(
                c,
                random.Random(rng.random()),
                tickets,
                total,
                int(total * 0.7),
                run_done,
                errors,
            ),
        )
        for c in clients
    ]
    for t in threads:
        t.start()
    while tickets["next"] < total * 0.3 and not errors:
        time.sleep(0.01)
    run = start_run(account=account, snapshot=snapshot, option="crm_rollback", actor=admin)
    run = finished(run)
    run_done.set()
    for t in threads:
        t.join(300)
    assert errors == [], errors[:5]
    assert run.status == "completed", run.error

    kept = snapshot_records(run.safety_snapshot, ["contact"])["contact"]
    final = current_records(account.pk, ["contact"])["contact"]
    statuses = Counter(op.status for c in clients for op in c.ops)
    splits = {
        c.number: _split(c, _theirs(kept, c.prefix), _theirs(final, c.prefix)) for c in clients
    }
    lost = [number for number, k in splits.items() if k is None]
    assert lost == [], f"clients whose writes do not add up: {lost} (FAULT_SEED={seed})"
    assert sum(statuses.values()) == total
    assert statuses[423] > 0, "no write reached the rollback"
    assert rows_checksum(other_than=account.pk) == others

    # The undo brings back what was accepted before the rollback, exactly.
    undo = finished(start_undo(run=run, actor=admin))
    assert undo.status == "completed", undo.error
    back = current_records(account.pk, ["contact"])["contact"]
    for c in clients:
        assert _theirs(back, c.prefix) == _theirs(kept, c.prefix)
    assert RestoreRun.objects.filter(account=account, status="running").count() == 0

    before = sum(op.status in ACCEPTED for c in clients for op in c.ops[: splits[c.number]])
    after = sum(op.status in ACCEPTED for c in clients for op in c.ops[splits[c.number] :])
    report(
        "writes during a rollback",
        total,
        total,
        lost=0,
        accepted_before_the_block=before,
        refused_423=statuses[423],
        accepted_after=after,
        not_found_404_after=statuses[404],
        clients=CLIENTS,
        seed=seed,
    )
