"""Pages for administrators: the alerts, one alert (undo with a preview, suspend
or lift, dismiss; on plans without the recycle bin, the R11 report and the
upgrade), and the rules."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from accounts.access import AdminRequiredMixin
from accounts.capabilities import Capability, plan_allows
from recovery_portal.errors import DomainError

from . import selectors, services
from .forms import RulesForm
from .models import Alert, counted


class AlertsMixin(AdminRequiredMixin):
    def get_alert(self, pk) -> Alert:
        alert = selectors.alert_of(self.account, pk)
        if alert is None:
            raise Http404(f"There is no alert #{pk} in this account.")
        return alert


class AlertListView(AlertsMixin, View):
    def get(self, request):
        state = request.GET.get("state") or ""
        if state and state not in Alert.State.values:
            messages.warning(request, f"Unknown state “{state}”; showing every alert.")
            state = ""
        rows = list(
            selectors.alerts_of(self.account, state=state or None).order_by("-created_at")[:100]
        )
        return render(
            request,
            "alerts/list.html",
            {"nav": "alerts", "rows": rows, "state": state, "states": Alert.State.choices},
        )


class AlertDetailView(AlertsMixin, View):
    def get(self, request, pk):
        alert = self.get_alert(pk)
        bin_allowed = plan_allows(self.account, Capability.HISTORY)
        report_link = None
        if not bin_allowed:
            # R11: the report form reads its time in the account's zone.
            start = timezone.localtime(alert.started_at, self.account.tzinfo)
            end = timezone.localtime(alert.last_at, self.account.tzinfo)
            params = {
                "deleted_at": start.strftime("%Y-%m-%dT%H:%M"),
                "person": alert.actor_name,
                "description": f"Mass deletion: {alert.summary} "
                f"({start:%Y-%m-%d %H:%M}–{end:%H:%M}, {self.account.timezone}).",
            }
            report_link = f"{reverse('restore_requests:report')}?{urlencode(params)}"
        preview = services.undo_preview(alert=alert) if bin_allowed else None
        return render(
            request,
            "alerts/detail.html",
            {
                "nav": "alerts",
                "alert": alert,
                "preview": preview,
                "preview_counted": counted(preview.counts) if preview else [],
                "bin_allowed": bin_allowed,
                "report_link": report_link,
                "suspended": selectors.actor_suspended(alert),
                "can_suspend": alert.kind == Alert.Kind.ACTOR and alert.actor_id is not None,
            },
        )


class AlertActionView(AlertsMixin, View):
    def post(self, request, pk, action):
        alert = self.get_alert(pk)
        try:
            if action == "undo":
                result = services.undo_burst(alert=alert, actor=request.user)
                n = result.total
                text = f"{n} record{'s are' if n != 1 else ' is'} back."
                if result.unlinked:
                    text += " " + "; ".join(u.sentence() for u in result.unlinked[:5]) + "."
                messages.success(request, text)
            elif action == "dismiss":
                services.alert_dismiss(alert=alert, actor=request.user)
                messages.success(request, "The alert was dismissed.")
            elif action == "suspend":
                services.suspend_actor(alert=alert, actor=request.user)
                messages.success(request, f"Deletions by {alert.actor_name} are suspended.")
            elif action == "lift":
                services.lift_suspension(alert=alert, actor=request.user)
                messages.success(request, f"{alert.actor_name} can delete records again.")
            else:
                raise Http404()
        except DomainError as exc:
            messages.error(request, exc.detail)
        return redirect("alerts:detail", alert.pk)


class RulesView(AdminRequiredMixin, View):
    def get(self, request):
        form = RulesForm(instance=services.rules_for(self.account.pk))
        return render(request, "alerts/rules.html", {"nav": "alerts", "form": form})

    def post(self, request):
        form = RulesForm(request.POST, instance=services.rules_for(self.account.pk))
        if form.is_valid():
            services.rules_update(
                account=self.account, values=form.cleaned_data, actor=request.user
            )
            messages.success(request, "The alert rules were saved.")
            return redirect("alerts:rules")
        return render(request, "alerts/rules.html", {"nav": "alerts", "form": form}, status=400)
