"""Failed log-ins are limited (django-axes): after AXES_FAILURE_LIMIT failures for
one username from one address, that pair is refused for AXES_COOLOFF_TIME, even
with the right password. This module says how a refusal looks (a page on the
log-in page, 429 `login_locked` on the API) and which address a request comes
from (the same rule as the API's throttles, so both count the same client).
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

from recovery_portal.errors import LoginLocked

from .middleware import API_PREFIX


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the address NUM_PROXIES trusted
    proxies put in X-Forwarded-For (DRF's rule, used by the throttles too)."""
    return BaseThrottle().get_ident(request)


def cooloff_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_detail() -> str:
    return (
        "Too many failed log-ins for this username from your address: try again in "
        f"{cooloff_minutes()} minutes, or ask your administrator to reset your password."
    )


def lockout_error() -> LoginLocked:
    return LoginLocked(lockout_detail())


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: what a locked-out log-in attempt answers."""
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith(API_PREFIX):
        error = lockout_error()
        response = JsonResponse({"code": error.code, "detail": error.detail}, status=error.status)
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"detail": lockout_detail(), "minutes": cooloff_minutes()},
            status=LoginLocked.status,
        )
    response["Retry-After"] = retry_after
    return response
