"""The banner of open mass-deletion alerts, on every page, for administrators."""

from django.urls import reverse
from django.utils import timezone

from .selectors import open_alerts


def alert_banners(request):
    membership = getattr(request, "membership", None)
    if not membership or not membership.is_admin:
        return {}
    banners = [
        {
            "level": "danger",
            "text": f"Mass deletion: {alert.summary} since "
            f"{timezone.localtime(alert.started_at, membership.account.tzinfo):%d %b %H:%M}.",
            "link": reverse("alerts:detail", args=[alert.pk]),
            "link_text": "See what happened and undo it",
        }
        for alert in open_alerts(membership.account)
    ]
    return {"alert_banners": banners}
