"""The answer to a form posted without a valid CSRF token (CSRF_FAILURE_VIEW): the
site's own 403 page saying what to do, instead of Django's page, whose inline
style the Content Security Policy refuses. (The API answers CSRF failures itself:
403 permission_denied.)"""

from __future__ import annotations

from django.shortcuts import render

CSRF_FAILURE_DETAIL = (
    "This form has expired or did not come from this site. Go back, reload the page "
    "and send it again."
)


def csrf_failure(request, reason: str = ""):
    return render(request, "403.html", {"exception": CSRF_FAILURE_DETAIL}, status=403)
