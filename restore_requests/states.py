"""The restore request's state machine, as one table (django-oscar's habit):
the services apply it, the pages' buttons and the API's actions read it, and
every other transition is refused with 409 `invalid_transition`.

submitted → proposed (helpdesk attached candidate snapshots) → confirmed (the
administrator chose one snapshot and one option) → running → completed or
failed; cancelled (by the administrator, before running) and rejected (by the
helpdesk, with a reason). A failed request can be proposed again; completed,
cancelled and rejected are final (an undo is a new run on a completed request,
shown in its log, not a change of state).
"""

from __future__ import annotations

from .models import ROLLBACK_OPTIONS, Status

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.PROPOSED, Status.CANCELLED, Status.REJECTED}),
    Status.PROPOSED: frozenset(
        {Status.PROPOSED, Status.CONFIRMED, Status.CANCELLED, Status.REJECTED}
    ),
    Status.CONFIRMED: frozenset({Status.RUNNING, Status.FAILED, Status.CANCELLED}),
    Status.RUNNING: frozenset({Status.COMPLETED, Status.FAILED}),
    Status.FAILED: frozenset({Status.PROPOSED, Status.REJECTED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.REJECTED: frozenset(),
}

FINAL = frozenset(s for s, nexts in TRANSITIONS.items() if not nexts)
OPEN = frozenset(
    {Status.SUBMITTED, Status.PROPOSED, Status.CONFIRMED, Status.RUNNING, Status.FAILED}
)


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]


def undo_allowed(status: str, restore_option: str | None, *, undone: bool) -> bool:
    """An undo is a new run on a completed rollback, once; it does not change the
    request's state (a CSV export changed nothing, so there is nothing to undo)."""
    return status == Status.COMPLETED and restore_option in ROLLBACK_OPTIONS and not undone
