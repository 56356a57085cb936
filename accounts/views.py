"""Pages of the accounts app: log-in landing and the Plan page (administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from recovery_portal.errors import DomainError

from . import services
from .access import AdminRequiredMixin
from .capabilities import (
    CAPABILITY_DESCRIPTIONS,
    PLAN_CAPABILITIES,
    Capability,
    demo_active,
    demo_ends_at,
)
from .models import Plan, PlanChange
from .tenancy import is_helpdesk, membership_of


def home(request):
    """Where a signed-in person starts: the CRM for members, the console for helpdesk."""
    if not request.user.is_authenticated:
        return redirect("login")
    if membership_of(request.user):
        return redirect("crm:list", "contacts")
    if is_helpdesk(request.user):
        return redirect(_helpdesk_home())
    if request.user.is_staff:
        return redirect("admin:index")
    # Not "login": the log-in page sends a signed-in user back here, a loop.
    raise PermissionDenied("Your user belongs to no account yet: ask your administrator.")


def _helpdesk_home() -> str:
    try:
        return reverse("helpdesk:queue")
    except NoReverseMatch:  # before the console is installed
        return reverse("admin:index")


class PlanView(AdminRequiredMixin, TemplateView):
    template_name = "accounts/plan.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.account
        context.update(
            {
                "nav": "plan",
                "plans": [
                    {
                        "value": plan.value,
                        "label": plan.label,
                        "current": plan.value == account.plan,
                        "allows": [cap in PLAN_CAPABILITIES[plan] for cap in Capability],
                    }
                    for plan in Plan
                ],
                "capabilities": [CAPABILITY_DESCRIPTIONS[c] for c in Capability],
                "demo_available": account.demo_started_at is None,
                "demo_running": demo_active(account),
                "demo_ends_at": demo_ends_at(account),
                "changes": PlanChange.objects.filter(account=account)[:20],
            }
        )
        return context


class PlanChangeView(AdminRequiredMixin, View):
    def post(self, request):
        try:
            account = services.plan_change(
                account=self.account, plan=request.POST.get("plan", ""), actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"Your plan is now {Plan(account.plan).label}.")
        return redirect("plan")


class DemoStartView(AdminRequiredMixin, View):
    def post(self, request):
        try:
            account = services.demo_start(account=self.account, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            ends = timezone.localtime(demo_ends_at(account), account.tzinfo)  # the account's day
            messages.success(
                request,
                f"Your 15-day Professional demo has started; it ends on {ends:%d %B %Y}.",
            )
        next_url = request.POST.get("next") or ""
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
            return redirect(next_url)  # only a path on this site
        return redirect("plan")
