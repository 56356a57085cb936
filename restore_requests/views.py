"""Pages for administrators: Restore data (the account's requests), a new
request (R7-R10, R12-R14, R17), one request with its candidates, impact preview,
confirmation, live progress, result, CSV download and undo; deletion reports (R11)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from accounts.access import AdminRequiredMixin
from accounts.capabilities import Capability, plan_allows, plans_with
from accounts.models import Plan
from recovery_portal.errors import DomainError, NotFound

from . import downloads, selectors, services
from .forms import (
    OPTION_HELP,
    CheckForm,
    ConfirmForm,
    MessageForm,
    ReportForm,
    RequestForm,
    local_input,
)
from .models import ROLLBACK_OPTIONS, Option, RequestRun, Status
from .states import allowed, undo_allowed


def _put_errors(form, exc: DomainError) -> None:
    placed = False
    for name, msgs in exc.fields.items():
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)
            placed = True
    if not placed:
        form.add_error(None, exc.detail)


class RestoreContextMixin(AdminRequiredMixin):
    def context(self, **extra) -> dict:
        return {
            "nav": "restore",
            "restore_allowed": plan_allows(self.account, Capability.RESTORE),
            "restore_plans": [Plan(p).label for p in plans_with(Capability.RESTORE)],
            "bin_days": settings.RECYCLE_BIN_DAYS,
            **extra,
        }

    def get_request(self, pk):
        obj = selectors.request_of(self.account, pk)
        if obj is None:
            raise Http404(f"There is no restore request #{pk} in this account.")
        return obj


PAGE_SIZE = 50
REPORTS_PAGE_SIZE = 20


def page_of(rows, request, *, param: str = "page", per_page: int = PAGE_SIZE):
    """One page of `rows` (Django's Paginator, as the CRM lists): a number that is
    not a page gives the first, one past the end the last."""
    return Paginator(rows, per_page).get_page(request.GET.get(param))


def query_without(request, *names: str) -> str:
    """The page's query string without `names` (a page number, a sort), for links
    that set them again."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


class RequestListView(RestoreContextMixin, View):
    """The account's requests, newest first, and its deletion reports, each in pages."""

    def get(self, request):
        rows = page_of(selectors.requests_of(self.account), request)
        reports = page_of(
            selectors.reports_of(self.account),
            request,
            param="reports_page",
            per_page=REPORTS_PAGE_SIZE,
        )
        return render(
            request,
            "restore_requests/list.html",
            self.context(
                rows=rows,
                reports=reports,
                rows_query=query_without(request, "page"),
                reports_query=query_without(request, "reports_page"),
            ),
        )


def _deletions_chart(request, account) -> dict:
    """R14, "when did the data go?": the deletions chart of the last seven days (per
    hour of `?chart_day=`) and the largest burst of deletions in the restore window,
    which the form offers as the deletion time. A day's bar opens its hours; an
    hour's bar checks the History for that hour (step one) and fills it in."""
    from crm_history import chart

    day, error = chart.parse_chart_day(request.GET.get("chart_day"), account)
    here = reverse("restore_requests:new")

    def link(bucket) -> str:
        if day is None:
            query = {"chart_day": bucket.local_start.date().isoformat()}
            return f"{here}?{urlencode(query)}#deletions-chart"
        query = {"deleted_at": local_input(bucket.start, account), "chart_day": day.isoformat()}
        return f"{here}?{urlencode(query)}"

    def selected(bucket) -> bool:
        return day is not None and request.GET.get("deleted_at") == local_input(
            bucket.start, account
        )

    series = chart.deletions_per_hour(account, day) if day else chart.deletions_per_day(account)
    first, last = series.buckets[0], series.buckets[-1]
    history = {
        "action": "delete",
        "occurred_after": chart.link_value(first.start, account),
        "occurred_before": chart.link_value(last.end, account),
    }
    return {
        "chart": chart.picture(series, link=link, selected=selected),
        "chart_back_url": f"{here}#deletions-chart" if day else None,
        "chart_error": error,
        "chart_history_url": f"{reverse('history:timeline')}?{urlencode(history)}",
        # R7: inside the window even once the form shows the start to the minute.
        "burst": chart.largest_burst(
            account,
            start=selectors.restore_window_start().replace(second=0, microsecond=0)
            + timedelta(minutes=1),
            end=timezone.now(),
        ),
        "burst_minutes": chart.BURST_MINUTES,
    }


class RequestCreateView(RestoreContextMixin, View):
    """Step one looks the time up in the History (R8) and suggests an option;
    step two files the request (R7, R14). Plans without restores see why (R17).
    The deletions chart shows when the data went; the start of the largest burst
    of deletions is offered as the deletion time (R14)."""

    template_name = "restore_requests/new.html"

    def when(self) -> dict:
        if not hasattr(self, "_when"):
            self._when = (
                _deletions_chart(self.request, self.account)
                if plan_allows(self.account, Capability.RESTORE)
                else {}
            )
        return self._when

    def page(self, form, check_form, around=None, suggestion=None, status=200):
        return render(
            self.request,
            self.template_name,
            self.context(
                form=form,
                check_form=check_form,
                around=around,
                suggestion=suggestion,
                option_help=OPTION_HELP,
                options=[(o.value, o.label, OPTION_HELP[o]) for o in Option],
                window_start=selectors.restore_window_start(),
                burst_offered=getattr(self, "burst_offered", False),
                **self.when(),
            ),
            status=status,
        )

    def look_up(self, form) -> tuple:
        """R7 first (the window), then what the History holds around the time (R8)
        and the option it suggests. (None, None) when the time is refused."""
        at = form.cleaned_data["deleted_at"]
        try:
            services.check_deleted_at(at)  # R7
        except DomainError as exc:
            _put_errors(form, exc)
            return None, None
        return (
            selectors.deletions_around(self.account, at),
            selectors.suggested_option(self.account, at),
        )

    def get(self, request):
        burst = self.when().get("burst")
        offered = {}
        if burst is not None and "deleted_at" not in request.GET:
            # R14: the start of the largest burst, which the administrator can change.
            offered = {"deleted_at": local_input(burst.start, self.account)}
            self.burst_offered = True
        form = RequestForm(account=self.account, initial={"option": Option.CSV_EXPORT, **offered})
        check_form = CheckForm(account=self.account, initial=offered)
        around = suggestion = None
        if "deleted_at" in request.GET and plan_allows(self.account, Capability.RESTORE):
            # "Check the History": R8's count and the suggested option for that time.
            check_form = CheckForm(request.GET, account=self.account)
            if check_form.is_valid():
                around, suggestion = self.look_up(check_form)
            if around is not None:
                form = RequestForm(
                    account=self.account,
                    initial={
                        "deleted_at": local_input(
                            check_form.cleaned_data["deleted_at"], self.account
                        ),
                        "option": suggestion.option,
                        "note": request.GET.get("note", ""),
                    },
                )
        return self.page(form, check_form, around, suggestion)

    def post(self, request):
        form = RequestForm(request.POST, account=self.account)
        check_form = CheckForm(
            account=self.account, initial={"deleted_at": request.POST.get("deleted_at", "")}
        )
        if not plan_allows(self.account, Capability.RESTORE):
            return self.page(form, check_form, status=403)  # R17: the page says why
        if not form.is_valid():
            return self.page(form, check_form, status=400)
        around, suggestion = self.look_up(form)
        if around is None:
            return self.page(form, check_form, status=400)
        if around.few and not form.cleaned_data["file_anyway"]:
            # R8: advise against a request for a few records, without forbidding it.
            form.add_error(
                "file_anyway",
                f"The History shows only {around.total} deleted record"
                f"{'s' if around.total != 1 else ''} around that time. Re-entering them, or "
                "the Recycle Bin, is quicker than a restore. Tick the box to file anyway.",
            )
            return self.page(form, check_form, around, suggestion, status=400)
        try:
            obj = services.request_file(
                account=self.account,
                actor=request.user,
                deleted_at=form.cleaned_data["deleted_at"],
                option=form.cleaned_data["option"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            _put_errors(form, exc)
            return self.page(form, check_form, around, suggestion, status=exc.status)
        messages.success(
            request,
            f"Your request #{obj.pk} was sent to the helpdesk. They will answer with the "
            "backups nearest to the deletion.",
        )
        return redirect("restore_requests:detail", obj.pk)


def _runs(obj):
    """The request's latest restore run and its undo, each with its result as rows."""
    links = list(obj.runs.select_related("run", "run__snapshot"))
    for link in links:
        link.run.result_rows = selectors.result_rows(link.run)
    restore = [link.run for link in links if link.purpose == RequestRun.Purpose.RESTORE]
    undo = [link.run for link in links if link.purpose == RequestRun.Purpose.UNDO]
    return (restore[-1] if restore else None), (undo[-1] if undo else None)


class RequestDetailView(RestoreContextMixin, View):
    template_name = "restore_requests/detail.html"

    def get(self, request, pk, confirm_form=None, message_form=None, status=200):
        from backups.restores import preview

        obj = self.get_request(pk)
        candidates = list(obj.candidates.select_related("snapshot"))
        restore_run, undo_run = _runs(obj)
        chosen = request.GET.get("preview")
        option = request.GET.get("option") or obj.option
        impact = None
        can_confirm = allowed(obj.status, Status.CONFIRMED) and bool(candidates)
        candidate = next((c for c in candidates if str(c.snapshot_id) == chosen), None)
        if chosen and can_confirm:
            if candidate is None:
                messages.warning(request, "That backup is not one of this request's candidates.")
            elif option not in Option.values:
                messages.warning(request, f"Choose one of: {', '.join(Option.labels)}.")
            else:
                try:
                    impact = preview(
                        account=self.account, snapshot=candidate.snapshot, option=option
                    )
                except DomainError as exc:
                    messages.error(request, exc.detail)
        if confirm_form is None and candidates:
            first = candidate or next((c for c in candidates if c.recommended), candidates[0])
            confirm_form = ConfirmForm(
                candidates=candidates,
                tz=self.account.tzinfo,
                initial={"snapshot": first.snapshot_id, "option": option},
            )
        context = self.context(
            obj=obj,
            candidates=candidates,
            impact=impact,
            impact_snapshot=chosen,
            impact_option=option,
            confirm_form=confirm_form,
            message_form=message_form or MessageForm(),
            can_confirm=can_confirm,
            can_cancel=allowed(obj.status, Status.CANCELLED),
            restore_run=restore_run,
            undo_run=undo_run,
            can_undo=undo_allowed(
                obj.status, restore_run.option if restore_run else None, undone=undo_run is not None
            ),
            download_link=downloads.signed_link(obj) if downloads.export_run(obj) else None,
            option_help=OPTION_HELP,
            options=[(o.value, o.label, OPTION_HELP[o]) for o in Option],
            rollback_options=[o.value for o in ROLLBACK_OPTIONS],
            running=(restore_run and restore_run.status in ("queued", "running"))
            or (undo_run and undo_run.status in ("queued", "running")),
        )
        return render(request, self.template_name, context, status=status)


class RequestConfirmView(RequestDetailView):
    """R16: confirm one candidate and one option (typing the account name for a rollback)."""

    def post(self, request, pk):
        obj = self.get_request(pk)
        candidates = list(obj.candidates.select_related("snapshot"))
        form = ConfirmForm(request.POST, candidates=candidates, tz=self.account.tzinfo)
        if not allowed(obj.status, Status.CONFIRMED):
            messages.error(
                request,
                f"This request is {obj.get_status_display().lower()}: there is nothing to confirm.",
            )
            return redirect("restore_requests:detail", obj.pk)
        posted = request.POST.get("snapshot", "").strip()
        proposed = {str(c.snapshot_id) for c in candidates}
        if posted.isascii() and posted.isdigit() and posted not in proposed:
            # R16: only a proposed snapshot; another account's or an unknown id is 404,
            # as on the API (a malformed value stays a 400 beside the field).
            raise Http404(f"Snapshot {posted} is not one of this request's candidates.")
        if form.is_valid():
            try:
                services.request_confirm(
                    request=obj,
                    snapshot_id=form.cleaned_data["snapshot"],
                    option=form.cleaned_data["option"],
                    confirm_account_name=form.cleaned_data["confirm_account_name"],
                    actor=request.user,
                )
            except DomainError as exc:
                if not exc.fields:
                    # Not about a field (another run is active, the state changed): say so.
                    messages.error(request, exc.detail)
                    return redirect("restore_requests:detail", obj.pk)
                _put_errors(form, exc)
            else:
                messages.success(
                    request, "Confirmed: the restore is queued. This page shows its progress."
                )
                return redirect("restore_requests:detail", obj.pk)
        return self.get(request, pk, confirm_form=form, status=400)


class RequestActionView(RequestDetailView):
    """Cancel, undo and messages: one service each, then back to the request."""

    def get(self, request, pk, action=None, **kwargs):
        if action is not None:
            return self.http_method_not_allowed(request)
        return super().get(request, pk, **kwargs)

    def post(self, request, pk, action):
        obj = self.get_request(pk)
        if action == "message":
            form = MessageForm(request.POST)
            if not form.is_valid():
                return self.get(request, pk, message_form=form, status=400)
        try:
            if action == "cancel":
                services.request_cancel(request=obj, actor=request.user)
                messages.success(request, "The request was cancelled.")
            elif action == "undo":
                services.request_undo(request=obj, actor=request.user)
                messages.success(
                    request,
                    "The undo has been queued: the account goes back to how it was before "
                    "the rollback.",
                )
            elif action == "message":
                services.request_message(
                    request=obj, actor=request.user, body=form.cleaned_data["body"]
                )
                messages.success(request, "Your message was sent to the helpdesk.")
            else:
                raise Http404()
        except DomainError as exc:
            messages.error(request, exc.detail)
        return redirect("restore_requests:detail", obj.pk)


class RequestProgressView(RestoreContextMixin, View):
    """JSON for the live progress bar (polled by the request page)."""

    def get(self, request, pk):
        obj = self.get_request(pk)
        restore_run, undo_run = _runs(obj)
        run = undo_run if undo_run is not None else restore_run
        if run is None:
            return JsonResponse({"status": obj.status, "run": None})
        return JsonResponse(
            {
                "status": obj.status,
                "run": {
                    "id": run.pk,
                    "purpose": "undo" if run is undo_run else "restore",
                    "status": run.status,
                    "status_label": run.get_status_display(),
                    "phase": run.phase,
                    "phase_label": run.get_phase_display(),
                    "progress": run.progress,
                    "rows_done": run.rows_done,
                    "rows_total": run.rows_total,
                },
            }
        )


class DownloadView(RestoreContextMixin, View):
    """The CSV file through the page's signed link (R17: administrators of the
    account only); an expired, altered or foreign link is a 404 saying why."""

    def get(self, request, token):
        try:
            pk = downloads.request_id_from(token)
            obj = selectors.request_of(self.account, pk)
            if obj is None:
                raise NotFound("This download link is not valid for your account.")
            return downloads.export_response(obj)
        except NotFound as exc:
            return render(
                request,
                "restore_requests/download_refused.html",
                self.context(detail=exc.detail),
                status=404,
            )


class ReportCreateView(RestoreContextMixin, View):
    template_name = "restore_requests/report.html"

    def get(self, request):
        # Facts passed in the link (a mass-deletion alert's "report it") fill the form.
        initial = {
            name: request.GET[name][:5000]
            for name in ("deleted_at", "person", "description")
            if name in request.GET
        }
        return render(
            request,
            self.template_name,
            self.context(form=ReportForm(account=self.account, initial=initial)),
        )

    def post(self, request):
        form = ReportForm(request.POST, account=self.account)
        if form.is_valid():
            try:
                report = services.report_file(
                    account=self.account,
                    actor=request.user,
                    deleted_at=form.cleaned_data["deleted_at"],
                    person=form.cleaned_data["person"],
                    description=form.cleaned_data["description"],
                )
            except DomainError as exc:
                _put_errors(form, exc)
            else:
                messages.success(request, f"Your report #{report.pk} was sent to the helpdesk.")
                return redirect("restore_requests:list")
        return render(request, self.template_name, self.context(form=form), status=400)
