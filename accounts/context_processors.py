"""The header's facts on every page: account, plan, demo days left, role."""

from django.utils import timezone

from .capabilities import Capability, demo_active, demo_ends_at, plan_allows
from .guard import account_is_being_restored


def account(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    if not membership:
        return {"is_helpdesk": bool(getattr(request, "is_helpdesk", False))}
    acc = membership.account
    context = {
        "current_account": acc,
        "current_membership": membership,
        "is_account_admin": membership.is_admin,
        "account_has_history": plan_allows(acc, Capability.HISTORY),
        "account_has_restore": plan_allows(acc, Capability.RESTORE),
        "demo_running": demo_active(acc),
        "account_tz": acc.timezone,
    }
    if account_is_being_restored(acc.pk):
        context["page_banners"] = [
            {"level": "info", "text": "Changes are paused while your data is restored."}
        ]
    if context["demo_running"]:
        left = demo_ends_at(acc) - timezone.now()
        context["demo_days_left"] = max(1, left.days + (1 if left.seconds else 0))
    return context
