"""Run by test_sqlite_path.py in a subprocess on a fresh SQLite database with eager
tasks (the demo's setup): a snapshot, a day's work, then each option through
start_run, the undo and a preview; prints what it found as JSON."""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery_portal.settings")


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.actors import Actor, Source
    from accounts.models import Account, Membership
    from backups.restore_models import RestoreRun
    from backups.restores import open_export, preview, start_run, start_undo
    from backups.snapshots import iter_records, take_snapshot
    from crm import services
    from crm.records import to_record
    from crm.registry import entity, entity_types

    assert connection.vendor == "sqlite"
    acme = Account.objects.create(name="Acme", plan="professional")
    other = Account.objects.create(name="Other", plan="professional")
    alice = get_user_model().objects.create_user("alice", password=None)
    Membership.objects.create(user=alice, account=acme, role="admin")
    actor = Actor.for_user(alice, Source.PAGE)

    def create(account, kind, **values):
        return services.record_create(
            account=account, entity_type=kind, values=values, actor=actor
        ).pk

    def state(account):
        return {
            et.entity_type: {
                o.pk: to_record(et, o)
                for o in et.model.objects.filter(account=account).order_by("pk")
            }
            for et in entity_types()
        }

    def snapshot_state(snapshot):
        return {
            et.entity_type: {r["id"]: r for r in iter_records(snapshot, et.entity_type)}
            for et in entity_types()
        }

    create(acme, "custom_field", entity_type="contact", code="UF_CRM_SIZE", label="Size")
    product = create(acme, "product", name="Licence", price="100.00")
    company = create(acme, "company", title='=HYPERLINK("x")', address="a\nb")
    gone_co = create(acme, "company", title="Gone Srl")
    mario = create(
        acme, "contact", name="Mario", company_id=company, custom_fields={"UF_CRM_SIZE": "L"}
    )
    luca = create(acme, "contact", name="Luca", company_id=gone_co)
    create(acme, "deal", title="Deal", company_id=company, contact_id=mario)
    create(acme, "deal", title="Gone deal", company_id=gone_co, contact_id=luca)
    create(other, "company", title="Other Srl")
    snapshot = take_snapshot(acme)
    want = snapshot_state(snapshot)

    # The day's work.
    services.record_update(
        account=acme,
        entity_type="contact",
        record_id=mario,
        values={"name": "Marione"},
        actor=actor,
    )
    for entity_type, ids in (("deal", None), ("contact", [luca]), ("company", [gone_co])):
        if ids is None:
            ids = list(
                entity("deal")
                .model.objects.filter(account=acme, title="Gone deal")
                .values_list("pk", flat=True)
            )
        services.records_bulk_delete(account=acme, entity_type=entity_type, ids=ids, actor=actor)
    create(acme, "company", title="Newco")
    services.record_delete(account=acme, entity_type="product", record_id=product, actor=actor)
    before = state(acme)
    other_before = state(other)
    out = {}

    shown = preview(account=acme, snapshot=snapshot, option="crm_rollback")
    out["preview"] = {r.entity_type: [r.back, r.lost, r.reverted] for r in shown.rows}

    run = start_run(account=acme, snapshot=snapshot, option="crm_rollback", actor=alice)
    run.refresh_from_db()
    now = state(acme)
    out["crm_rollback"] = {
        "status": run.status,
        "error": run.error,
        "crm_equal": all(now[t] == want[t] for t in ("company", "contact", "lead", "deal")),
        "r13_kept": now["product"] == before["product"]
        and now["custom_field"] == before["custom_field"],
        "counts": {
            t: [c["back"], c["lost"], c["reverted"]] for t, c in run.result["counts"].items()
        },
        "flag_cleared": not Account.objects.get(pk=acme.pk).restore_in_progress,
    }
    undo = start_undo(run=run, actor=alice)
    undo.refresh_from_db()
    out["undo"] = {"status": undo.status, "error": undo.error, "equal": state(acme) == before}

    full = start_run(account=acme, snapshot=snapshot, option="full_rollback", actor=alice)
    full.refresh_from_db()
    out["full_rollback"] = {
        "status": full.status,
        "error": full.error,
        "equal": state(acme) == want,
    }

    export = start_run(account=acme, snapshot=snapshot, option="csv_export", actor=alice)
    export.refresh_from_db()
    with open_export(export) as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    out["csv_export"] = {
        "status": export.status,
        "error": export.error,
        "files": sorted(archive.namelist()),
        "companies": archive.read("companies.csv").decode("utf-8-sig"),
    }
    out["other_untouched"] = state(other) == other_before
    out["runs"] = list(RestoreRun.objects.order_by("pk").values_list("status", flat=True))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
