"""Writes on restore requests and deletion reports. Every change of state goes
through `_transition`, which applies the one table in `states` and records who
and when; views, the API and the run hook all call these functions."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.capabilities import Capability, require_capability
from accounts.models import Account
from accounts.tenancy import is_helpdesk, require_admin_of
from backups.selectors import available_snapshots
from recovery_portal.errors import (
    HelpdeskRequired,
    Invalid,
    InvalidTransition,
    NotFound,
    OutsideRestoreWindow,
)

from . import notifications
from .models import (
    ROLLBACK_OPTIONS,
    Candidate,
    DeletionReport,
    Message,
    Option,
    RequestRun,
    RestoreRequest,
    Status,
    Transition,
)
from .selectors import restore_window_start
from .states import allowed, undo_allowed


def _require_helpdesk(user) -> None:
    if not is_helpdesk(user):
        raise HelpdeskRequired()


def _locked(request: RestoreRequest) -> RestoreRequest:
    return RestoreRequest.objects.select_for_update().get(pk=request.pk)


def _refuse_unless_allowed(request: RestoreRequest, target: str) -> None:
    """The one table decides (states.TRANSITIONS): 409 invalid_transition otherwise.
    Services call it before looking at the input, so a request in the wrong state
    is refused the same way whatever the body says."""
    if not allowed(request.status, target):
        raise InvalidTransition(
            f"A request that is {request.get_status_display().lower()} cannot become "
            f"{Status(target).label.lower()}."
        )


def _transition(request: RestoreRequest, target: str, *, actor, note: str = "") -> RestoreRequest:
    """Apply one transition of the table, or refuse it (409 invalid_transition),
    and record it in the audit trail with who and when."""
    _refuse_unless_allowed(request, target)
    Transition.objects.create(
        request=request,
        from_status=request.status,
        to_status=target,
        actor=actor,
        actor_name=actor.get_username() if actor else "system",
        note=note,
    )
    request.status = target
    request.updated_at = timezone.now()
    request.save(update_fields=["status", "updated_at"])
    return request


def check_deleted_at(deleted_at: datetime, *, now: datetime | None = None) -> None:
    """R7: a restore goes back at most seven days; the time may not be in the future."""
    now = now or timezone.now()
    if deleted_at > now:
        message = "The deletion time is in the future."
        raise OutsideRestoreWindow(message, fields={"deleted_at": [message]})
    if deleted_at < restore_window_start(now):
        message = (
            "The deletion time is more than seven days ago: backups are kept for seven "
            "days only, so no snapshot from before it is left. The Recycle Bin keeps "
            f"deleted records for {settings.RECYCLE_BIN_DAYS} days."
        )
        raise OutsideRestoreWindow(message, fields={"deleted_at": [message]})


@transaction.atomic
def request_file(
    *, account: Account, actor, deleted_at: datetime, option: str, note: str = ""
) -> RestoreRequest:
    """An administrator asks for a restore (R9, R14, R17, R7)."""
    require_admin_of(account, actor)  # R9
    require_capability(account, Capability.RESTORE)  # R17
    if option not in Option.values:
        raise Invalid(
            f"Unknown option “{option}”.",
            fields={"option": [f"Choose one of: {', '.join(Option.values)}."]},
        )
    check_deleted_at(deleted_at)  # R7
    request = RestoreRequest.objects.create(
        account=account, filed_by=actor, deleted_at=deleted_at, option=option, note=note.strip()
    )
    Transition.objects.create(
        request=request,
        from_status="",
        to_status=Status.SUBMITTED,
        actor=actor,
        actor_name=actor.get_username(),
        note=note.strip(),
    )
    notifications.request_filed(request)
    return request


@transaction.atomic
def request_message(*, request: RestoreRequest, actor, body: str) -> Message:
    body = (body or "").strip()
    if not body:
        raise Invalid("Write a message first.", fields={"body": ["This field is required."]})
    helpdesk = is_helpdesk(actor)
    if not helpdesk:
        require_admin_of(request.account, actor)
    message = Message.objects.create(
        request=request,
        author=actor,
        author_name=actor.get_username(),
        from_helpdesk=helpdesk,
        body=body,
    )
    notifications.message_posted(message)
    return message


@transaction.atomic
def request_propose(*, request: RestoreRequest, snapshot_ids: list[int], message: str, actor):
    """R15: the helpdesk answers with one or more of the account's snapshots."""
    _require_helpdesk(actor)
    request = _locked(request)
    _refuse_unless_allowed(request, Status.PROPOSED)
    if not snapshot_ids:
        raise Invalid(
            "Propose at least one snapshot.", fields={"snapshots": ["Choose at least one."]}
        )
    available = {s.pk: s for s in available_snapshots(request.account)}
    unknown = [i for i in snapshot_ids if i not in available]
    if unknown:
        raise NotFound(
            f"Snapshot {', '.join(map(str, unknown))} is not an available snapshot of this "
            "account (complete and at most seven days old)."
        )
    recommended = _recommended_id(request, list(available.values()))
    for snapshot_id in snapshot_ids:
        Candidate.objects.get_or_create(
            request=request,
            snapshot=available[snapshot_id],
            defaults={"proposed_by": actor, "recommended": snapshot_id == recommended},
        )
    _transition(request, Status.PROPOSED, actor=actor, note=message.strip())
    if message.strip():
        Message.objects.create(
            request=request,
            author=actor,
            author_name=actor.get_username(),
            from_helpdesk=True,
            body=message.strip(),
        )
    notifications.request_proposed(request)
    return request


def _recommended_id(request: RestoreRequest, snapshots) -> int | None:
    """R15: the latest snapshot taken before the deletion."""
    before = [s for s in snapshots if s.taken_at <= request.deleted_at]
    return max(before, key=lambda s: s.taken_at).pk if before else None


@transaction.atomic
def request_reject(*, request: RestoreRequest, reason: str, actor) -> RestoreRequest:
    _require_helpdesk(actor)
    request = _locked(request)
    _refuse_unless_allowed(request, Status.REJECTED)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            "Give the reason for rejecting.", fields={"reason": ["This field is required."]}
        )
    _transition(request, Status.REJECTED, actor=actor, note=reason)
    request.reject_reason = reason
    request.save(update_fields=["reject_reason"])
    notifications.request_rejected(request)
    return request


@transaction.atomic
def request_cancel(*, request: RestoreRequest, actor) -> RestoreRequest:
    """The administrator withdraws the request, before it runs."""
    from backups.restores import cancel_queued_run

    require_admin_of(request.account, actor)  # R9
    request = _locked(request)
    _refuse_unless_allowed(request, Status.CANCELLED)
    if request.status == Status.CONFIRMED:
        link = request.runs.filter(purpose=RequestRun.Purpose.RESTORE).last()
        if link is not None and not cancel_queued_run(link.run):
            raise InvalidTransition("The restore has started already; it cannot be cancelled.")
    return _transition(request, Status.CANCELLED, actor=actor)


def confirmation_problems(request, snapshot_id, option, typed_name) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if option not in Option.values:
        errors["option"] = [f"Choose one of: {', '.join(Option.values)}."]
    # R16, R10: a rollback touches the whole account; typing its name confirms that.
    if option in ROLLBACK_OPTIONS and (typed_name or "").strip() != request.account.name:
        errors["confirm_account_name"] = [
            f"Type the account's name, {request.account.name}, to confirm a rollback: it "
            "applies to the whole account."
        ]
    return errors


@transaction.atomic
def request_confirm(
    *, request: RestoreRequest, snapshot_id: int, option: str, confirm_account_name: str, actor
) -> RestoreRequest:
    """R16: the administrator picks one proposed snapshot and one option; the run starts."""
    from backups.restores import start_run

    require_admin_of(request.account, actor)  # R9
    require_capability(request.account, Capability.RESTORE)  # R17
    request = _locked(request)
    _refuse_unless_allowed(request, Status.CONFIRMED)
    candidate = (
        request.candidates.filter(snapshot_id=snapshot_id).select_related("snapshot").first()
    )
    if candidate is None:
        # R16: only a snapshot the helpdesk proposed (another account's is never one).
        raise NotFound(f"Snapshot {snapshot_id} is not one of this request's candidates.")
    errors = confirmation_problems(request, snapshot_id, option, confirm_account_name)
    if errors:
        raise Invalid(next(iter(errors.values()))[0], fields=errors)
    run = start_run(
        account=request.account, snapshot=candidate.snapshot, option=option, actor=actor
    )
    RequestRun.objects.create(request=request, run=run, purpose=RequestRun.Purpose.RESTORE)
    request.chosen_snapshot = candidate.snapshot
    request.chosen_option = option
    request.save(update_fields=["chosen_snapshot", "chosen_option"])
    # The ticket's timeline is read in the account's zone: the note names its time there.
    account = request.account
    taken = timezone.localtime(candidate.snapshot.taken_at, account.tzinfo)
    _transition(
        request,
        Status.CONFIRMED,
        actor=actor,
        note=(
            f"{Option(option).label} to the snapshot of {taken:%Y-%m-%d %H:%M} ({account.timezone})"
        ),
    )
    return request


@transaction.atomic
def request_undo(*, request: RestoreRequest, actor):
    """Undo a finished rollback: a new run back to its safety snapshot (same code path)."""
    from backups.restores import start_undo

    require_admin_of(request.account, actor)  # R9
    request = _locked(request)
    link = request.runs.filter(purpose=RequestRun.Purpose.RESTORE).select_related("run").last()
    undone = request.runs.filter(purpose=RequestRun.Purpose.UNDO).exists()
    if not undo_allowed(request.status, link.run.option if link else None, undone=undone):
        raise InvalidTransition(
            "This rollback has been undone already."
            if undone
            else "Only a completed rollback can be undone."
        )
    run = start_undo(run=link.run, actor=actor)
    RequestRun.objects.create(request=request, run=run, purpose=RequestRun.Purpose.UNDO)
    Transition.objects.create(
        request=request,
        from_status=request.status,
        to_status=request.status,
        actor=actor,
        actor_name=actor.get_username(),
        note=f"Undo requested (run #{run.pk})",
    )
    return run


def run_changed(run, event: str) -> None:
    """Called by the restore engine when a run starts, completes or fails: the
    request follows its restore run; an undo run is noted in the log."""
    link = RequestRun.objects.select_related("request").filter(run=run).first()
    if link is None:
        return
    with transaction.atomic():
        request = _locked(link.request)
        if link.purpose == RequestRun.Purpose.UNDO:
            Transition.objects.create(
                request=request,
                from_status=request.status,
                to_status=request.status,
                actor=None,
                actor_name="system",
                note=f"Undo {event} (run #{run.pk})",
            )
            if event in ("completed", "failed"):
                notifications.run_finished(request, run, undo=True)
            return
        target = {
            "started": Status.RUNNING,
            "completed": Status.COMPLETED,
            "failed": Status.FAILED,
        }[event]
        if request.status == Status.CONFIRMED and target == Status.COMPLETED:
            # The "started" call was lost (its listener failed): the run did start.
            _transition(request, Status.RUNNING, actor=None)
        if request.status == target or not allowed(request.status, target):
            return
        _transition(request, target, actor=None, note=run.error if event == "failed" else "")
        if event == "started":
            notifications.run_started(request, run)
        else:
            notifications.run_finished(request, run, undo=False)


@transaction.atomic
def report_file(
    *, account: Account, actor, deleted_at: datetime, person: str, description: str
) -> DeletionReport:
    """R11: report a deletion by an unregistered person (every plan, our decision)."""
    require_admin_of(account, actor)
    require_capability(account, Capability.REPORT)
    errors = {}
    if not (person or "").strip():
        errors["person"] = ["Say who deleted the data (a name or an e-mail)."]
    if not (description or "").strip():
        errors["description"] = ["Say what was deleted."]
    if deleted_at > timezone.now():
        errors["deleted_at"] = ["The deletion time is in the future."]
    if errors:
        raise Invalid(next(iter(errors.values()))[0], fields=errors)
    report = DeletionReport.objects.create(
        account=account,
        reported_by=actor,
        deleted_at=deleted_at,
        person=person.strip(),
        description=description.strip(),
    )
    notifications.report_filed(report)
    return report


@transaction.atomic
def report_close(*, report: DeletionReport, note: str, actor) -> DeletionReport:
    _require_helpdesk(actor)
    report = DeletionReport.objects.select_for_update().get(pk=report.pk)
    if report.state == DeletionReport.State.CLOSED:
        raise InvalidTransition("This report is closed already.")
    if not (note or "").strip():
        raise Invalid("Write a closing note.", fields={"note": ["This field is required."]})
    report.state = DeletionReport.State.CLOSED
    report.closed_by = actor
    report.closed_at = timezone.now()
    report.close_note = note.strip()
    report.save()
    notifications.report_closed(report)
    return report
