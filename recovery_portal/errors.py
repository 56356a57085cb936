"""The one catalogue of error codes (see docs: api.md, "Errors").

Services raise these; the API's exception handler turns them into
`{"code", "detail"}` with the status below, and pages show their detail as a
message. A new code is added here and nowhere else.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a user can understand: a stable code, a status, a sentence."""

    code = "invalid"
    status = 400
    default_detail = "The request is not valid."

    def __init__(self, detail: str | None = None, *, fields: dict | None = None):
        self.detail = detail or self.default_detail
        self.fields = fields or {}
        super().__init__(self.detail)


class Invalid(DomainError):
    code = "invalid"
    status = 400
    default_detail = "Some fields are not valid."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_detail = "Not found."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_detail = "You do not have permission to do this."


class AdminRequired(DomainError):
    code = "admin_required"
    status = 403
    default_detail = "Only the account's administrators can do this."


class HelpdeskRequired(DomainError):
    code = "helpdesk_required"
    status = 403
    default_detail = "Only helpdesk staff can do this."


class PlanUpgradeRequired(DomainError):
    code = "plan_upgrade_required"
    status = 403
    default_detail = "Your plan does not include this. Upgrade under Subscription > Upgrade."


class DemoAlreadyUsed(DomainError):
    code = "demo_already_used"
    status = 409
    default_detail = "This account has already used its 15-day Professional demo."


class OutsideRestoreWindow(DomainError):
    code = "outside_restore_window"
    status = 400
    default_detail = "The deletion time must be within the last seven days and not in the future."


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
    default_detail = "The request cannot go to that state from its current state."


class RestoreInProgress(DomainError):
    code = "restore_in_progress"
    status = 423
    default_detail = (
        "A restore is in progress for this account: changes are paused until it ends. "
        "Try again in a few minutes."
    )


class DeletionsSuspended(DomainError):
    code = "deletions_suspended"
    status = 403
    default_detail = "Deletions by this user are suspended by an administrator."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_detail = "The request conflicts with the current state of the data."


class SnapshotDamaged(DomainError):
    """A snapshot whose files do not match its manifest (missing, altered,
    truncated): it is refused, and the detail names each damaged file."""

    code = "snapshot_damaged"
    status = 409
    default_detail = "The snapshot is damaged and cannot be used."

    def __init__(self, detail: str | None = None, *, problems: list[str] | None = None):
        self.problems = list(problems or [])
        if detail is None and self.problems:
            detail = "The snapshot is damaged: " + "; ".join(self.problems) + "."
        super().__init__(detail)


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
    default_detail = "The upload is too large."


class LoginLocked(DomainError):
    """Too many failed log-ins for one username from one address (django-axes):
    refused until the cool-off has passed, even with the right password."""

    code = "login_locked"
    status = 429
    default_detail = (
        "Too many failed log-ins for this username from your address: try again later, "
        "or ask your administrator to reset your password."
    )


# Codes raised by the framework rather than by services, for the catalogue's sake.
FRAMEWORK_CODES = {
    "not_authenticated": 401,
    "authentication_failed": 401,
    "permission_denied": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "unsupported_media_type": 415,
    "throttled": 429,
    "parse_error": 400,
    "invalid": 400,
    "server_error": 500,
}


def catalogue() -> dict[str, int]:
    """Every code the API can answer with, and its status (the README lists them)."""
    statuses = dict(FRAMEWORK_CODES)
    stack = [DomainError]
    while stack:
        cls = stack.pop()
        statuses[cls.code] = cls.status
        stack.extend(cls.__subclasses__())
    return statuses
