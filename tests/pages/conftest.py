"""What the page tests share: deletions recorded at chosen instants through the
History's own recorder (as `seed_demo` backdates them), many at once."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.actors import Actor, Source
from crm_history.recorder import EventDraft, new_operation, record_events


def deleted_at(account, at: datetime, n: int = 1, *, entity_type: str = "contact", first_id=1):
    """`n` delete events at the instant `at` (one operation, like a bulk delete)."""
    with transaction.atomic():
        record_events(
            account_id=account.pk,
            actor=Actor.system(source=Source.COMMAND),
            operation=new_operation(),
            drafts=[
                EventDraft(
                    entity_type=entity_type,
                    entity_id=first_id + i,
                    action="delete",
                    title=f"Gone {first_id + i}",
                    data={"id": first_id + i},
                )
                for i in range(n)
            ],
            occurred_at=at,
        )
