"""Damaged backups: random single-byte changes and truncations of a snapshot's
files and of its manifest, one at a time. Each is found by the
`verify_snapshots` command (it fails, naming the file) and refused by a
restore on the worker with an error naming the file; nothing is applied (not a
row, not a History event, no safety snapshot). The file is then put back, and
the snapshot verifies and restores again."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from backups.models import Snapshot
from backups.restores import start_run
from backups.snapshots import take_snapshot
from backups.storage import MANIFEST_NAME, snapshot_storage
from crm.registry import entity_types
from tests.factories import actor_for, make
from tests.faults.support import count, report, seeded
from tests.restores.support import crm_checksum, finished, rows_checksum, run_events
from tests.worker import ROOT, _database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _fill(account, user) -> None:
    actor = actor_for(user)
    make(account, "custom_field", actor)
    make(account, "product", actor, name='Support "Gold"', price="0.50")
    company = make(account, "company", actor, title="Acme Srl", address="Via Roma 1\nMilano")
    for i in range(30):
        make(
            account,
            "contact",
            actor,
            name=f"Name {i}",
            last_name="Città, “Sud”" if i % 3 else 'He said "hi"',
            company_id=company.pk if i % 2 else None,
            custom_fields={"UF_CRM_SIZE": f"L{i}"} if i % 4 == 0 else {},
        )
    make(account, "lead", actor, title="Website enquiry", opportunity="99.90")
    make(account, "deal", actor, title="Annual licence", company_id=company.pk)


def _read(path: str) -> bytes:
    with snapshot_storage().open(path, "rb") as f:
        return f.read()


def _write(path: str, data: bytes) -> None:
    storage = snapshot_storage()
    storage.delete(path)
    assert storage.save(path, io.BytesIO(data)) == path


def _damage(rng, data: bytes) -> tuple[str, bytes]:
    if rng.random() < 0.5:
        at = rng.randrange(len(data))
        value = rng.choice([b for b in range(256) if b != data[at]])
        return f"byte {at:,} set to 0x{value:02x}", data[:at] + bytes([value]) + data[at + 1 :]
    size = rng.randrange(len(data))
    return f"truncated to {size:,} of {len(data):,} bytes", data[:size]


def _verify(account) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("verify_snapshots", account=account.pk, stdout=out)
    except CommandError as exc:  # what makes `manage.py verify_snapshots` exit with 1
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def test_damaged_snapshot_files_and_manifests_are_found_and_never_restored(
    celery_worker, acme, alice
):
    cases = count("damage")
    rng, seed = seeded("damage")
    _fill(acme, alice)
    snapshot = take_snapshot(acme)
    make(acme, "contact", actor_for(alice), name="Created after the snapshot")
    names = [MANIFEST_NAME] + [f"{et.entity_type}.csv.gz" for et in entity_types()]
    pristine = {name: _read(snapshot.storage_path + name) for name in names}
    assert _verify(acme)[0]

    passed = 0
    kinds: Counter = Counter()
    for number in range(1, cases + 1):
        name = MANIFEST_NAME if rng.random() < 0.3 else rng.choice(names[1:])
        what, damaged = _damage(rng, pristine[name])
        where = f"case {number}/{cases}: {name} {what} (FAULT_SEED={seed})"
        path = snapshot.storage_path + name
        _write(path, damaged)
        mine = rows_checksum(account_id=acme.pk)
        crm = crm_checksum(acme.pk)

        ok, output = _verify(acme)
        assert not ok, f"{where}: verify_snapshots passed"
        assert f"snapshot #{snapshot.pk}: {name}" in output, f"{where}: {output}"
        if number == 1:
            # The command itself, as an operator runs it: exit status 1, the file named.
            done = subprocess.run(
                [sys.executable, "manage.py", "verify_snapshots", "--account", str(acme.pk)],
                cwd=ROOT,
                env={**os.environ, "DATABASE_URL": _database_url()},
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 1, f"{where}: {done.stdout}{done.stderr}"
            assert f"snapshot #{snapshot.pk}: {name}" in done.stdout, where

        option = rng.choice(["crm_rollback", "full_rollback"])
        run = finished(start_run(account=acme, snapshot=snapshot, option=option, actor=alice))
        assert run.status == "failed", f"{where}: the {option} was {run.status}"
        assert f"snapshot #{snapshot.pk}: {name}" in run.error, f"{where}: {run.error}"
        assert run.error.startswith("The snapshot is damaged"), f"{where}: {run.error}"
        assert run.safety_snapshot is None, where
        assert not run_events(run).exists(), where
        assert rows_checksum(account_id=acme.pk) == mine, f"{where}: the account changed"
        assert crm_checksum(acme.pk) == crm, where

        _write(path, pristine[name])
        kinds[f"{'manifest' if name == MANIFEST_NAME else 'data file'}, {what.split()[0]}"] += 1
        passed += 1

    # Put back, the snapshot is sound again and restores.
    assert _verify(acme)[0]
    run = finished(start_run(account=acme, snapshot=snapshot, option="crm_rollback", actor=alice))
    assert run.status == "completed", run.error
    assert not Snapshot.objects.filter(account=acme, status="running").exists()
    report("damaged backups", passed, cases, kinds=dict(kinds), seed=seed)
