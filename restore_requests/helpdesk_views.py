"""The helpdesk console: the queue of requests, one request with the account's
snapshots nearest to the deletion (R15) to propose or reject, deletion reports
(R11) to close, and a read-only look at accounts."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from accounts.access import HelpdeskRequiredMixin
from accounts.models import Account, Plan
from backups.selectors import available_snapshots
from recovery_portal.errors import DomainError

from . import selectors, services
from .forms import CloseForm, MessageForm, ProposeForm, RejectForm
from .models import DeletionReport, RestoreRequest, Status
from .nearest import holds_deleted_many, nearest_snapshots
from .states import allowed
from .views import page_of, query_without


def _put_errors(form, exc: DomainError) -> None:
    for name, msgs in exc.fields.items():
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)
    if not exc.fields:
        form.add_error(None, exc.detail)


# The queue's sortable columns (issue 9: tables with sorting), with the sort each
# header's link sets; "-" is the reverse.
QUEUE_HEADERS = [
    {"label": "#"},
    {"label": "Waiting", "sort": "age"},
    {"label": "Account and plan", "sort": "plan"},
    {"label": "Option", "hide_small": True},
    {"label": "Data deleted", "sort": "deleted"},
    {"label": "Nearest backup before"},
    {"label": "Deleted held", "numeric": True},
    {"label": "State"},
]


class QueueView(HelpdeskRequiredMixin, View):
    """The queue: filters on state, plan and age, sorting by age, plan and deletion
    time, in pages; each row's times in its account's time zone."""

    def get(self, request):
        status = request.GET.get("status") or None
        plan = request.GET.get("plan") or None
        errors: dict[str, str] = {}  # shown beside each filter
        if status and status not in Status.values:
            errors["status"] = f"Unknown state “{status}”."
            status = None
        if plan and plan not in Plan.values:
            errors["plan"] = f"Unknown plan “{plan}”."
            plan = None
        try:
            older_than = selectors.parse_older_than(request.GET.get("older_than"))
        except DomainError as exc:
            errors["older_than"] = f"{exc.detail} {exc.fields['older_than'][0]}"
            older_than = None
        sort = selectors.parse_queue_sort(request.GET.get("sort"))
        if sort is None:
            messages.warning(
                request, f"The queue cannot be sorted by “{request.GET['sort']}”; oldest first."
            )
            sort = selectors.QUEUE_DEFAULT_SORT
        queue_rows = selectors.helpdesk_queue(
            status=status, plan=plan, older_than=older_than, sort=sort
        )
        page = page_of(queue_rows, request)
        rows = list(page.object_list)
        before = selectors.nearest_before_many(rows)
        holds = holds_deleted_many([(r, before.get(r.pk)) for r in rows])  # no query per row
        queue = []
        for r in rows:
            held, deleted = holds.get(r.pk, (0, 0))
            queue.append({"obj": r, "nearest": before.get(r.pk), "held": held, "deleted": deleted})
        ages = dict(selectors.QUEUE_AGES)
        if older_than and older_than not in ages:  # an age typed in the URL stays chosen
            ages[older_than] = f"over {older_than} hours"
        filtered = bool(status or plan or older_than)
        return render(
            request,
            "helpdesk/queue.html",
            {
                "nav": "helpdesk_requests",
                "queue": queue,
                "page": page,
                "status": status or "",
                "plan": plan or "",
                "older_than": older_than,
                "statuses": Status.choices,
                "plans": Plan.choices,
                "ages": sorted(ages.items()),
                "filter_errors": errors,
                "filtered": filtered,
                "sort": sort,
                "headers": QUEUE_HEADERS,
                "sort_query": query_without(request, "sort", "page"),
                "page_query": query_without(request, "page"),
            },
        )


class RequestView(HelpdeskRequiredMixin, View):
    template_name = "helpdesk/request.html"

    def get(self, request, pk, propose_form=None, reject_form=None, message_form=None, status=200):
        obj = get_object_or_404(
            RestoreRequest.objects.select_related("account", "filed_by", "chosen_snapshot"), pk=pk
        )
        nearest = nearest_snapshots(obj)
        around = selectors.deletions_around(obj.account, obj.deleted_at)
        candidates = list(obj.candidates.select_related("snapshot"))
        # Ticked: what was proposed already, else the recommended one (R15).
        ticked = [c.snapshot_id for c in candidates] or [n.id for n in nearest if n.recommended]
        context = {
            "nav": "helpdesk_requests",
            "obj": obj,
            "nearest": nearest,
            "around": around,
            "propose_form": propose_form
            or ProposeForm(snapshots=nearest, initial={"snapshots": ticked}),
            "reject_form": reject_form or RejectForm(),
            "message_form": message_form or MessageForm(),
            "can_propose": allowed(obj.status, Status.PROPOSED),
            "can_reject": allowed(obj.status, Status.REJECTED),
            "candidates": candidates,
        }
        return render(request, self.template_name, context, status=status)


class ProposeView(RequestView):
    def post(self, request, pk):
        obj = get_object_or_404(RestoreRequest.objects.select_related("account"), pk=pk)
        if not allowed(obj.status, Status.PROPOSED):
            messages.error(request, f"Request #{pk} is {obj.get_status_display().lower()}.")
            return redirect("helpdesk:request", pk)
        available = {str(s.pk) for s in available_snapshots(obj.account)}
        for posted in (v.strip() for v in request.POST.getlist("snapshots")):
            if posted.isascii() and posted.isdigit() and posted not in available:
                # R15: the account's own snapshots only; another account's or an unknown id
                # is 404, as on the API (a malformed value stays a 400 beside the field).
                raise Http404(f"Snapshot {posted} is not an available snapshot of this account.")
        form = ProposeForm(request.POST, snapshots=nearest_snapshots(obj))
        if form.is_valid():
            try:
                services.request_propose(
                    request=obj,
                    snapshot_ids=form.cleaned_data["snapshots"],
                    message=form.cleaned_data["message"],
                    actor=request.user,
                )
            except DomainError as exc:
                _put_errors(form, exc)
            else:
                messages.success(request, f"Backups proposed to {obj.account.name}.")
                return redirect("helpdesk:request", pk)
        return self.get(request, pk, propose_form=form, status=400)


class RejectView(RequestView):
    def post(self, request, pk):
        obj = get_object_or_404(RestoreRequest, pk=pk)
        if not allowed(obj.status, Status.REJECTED):
            messages.error(request, f"Request #{pk} is {obj.get_status_display().lower()}.")
            return redirect("helpdesk:request", pk)
        form = RejectForm(request.POST)
        if form.is_valid():
            try:
                services.request_reject(
                    request=obj, reason=form.cleaned_data["reason"], actor=request.user
                )
            except DomainError as exc:
                _put_errors(form, exc)
            else:
                messages.success(request, f"Request #{pk} was rejected.")
                return redirect("helpdesk:request", pk)
        return self.get(request, pk, reject_form=form, status=400)


class MessageView(RequestView):
    def post(self, request, pk):
        obj = get_object_or_404(RestoreRequest, pk=pk)
        form = MessageForm(request.POST)
        if not form.is_valid():
            return self.get(request, pk, message_form=form, status=400)
        try:
            services.request_message(
                request=obj, actor=request.user, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, "Message sent to the administrator.")
        return redirect("helpdesk:request", pk)


class ReportsView(HelpdeskRequiredMixin, View):
    def get(self, request, failed=None, status=200):
        """`failed`: (report id, typed note, error) to show beside that report's note."""
        state = request.GET.get("state") or DeletionReport.State.OPEN
        if state not in DeletionReport.State.values:
            state = DeletionReport.State.OPEN
        page = page_of(selectors.reports_queue(state=state), request)
        return render(
            request,
            "helpdesk/reports.html",
            {
                "nav": "helpdesk_reports",
                "rows": page.object_list,
                "page": page,
                "page_query": query_without(request, "page"),
                "state": state,
                "states": DeletionReport.State.choices,
                "failed_id": failed[0] if failed else None,
                "failed_note": failed[1] if failed else "",
                "failed_error": failed[2] if failed else "",
            },
            status=status,
        )


class ReportCloseView(ReportsView):
    http_method_names = ["post", "options"]  # GET would call ReportsView.get with a pk: 500

    def post(self, request, pk):
        report = get_object_or_404(DeletionReport, pk=pk)
        form = CloseForm(request.POST)
        if not form.is_valid():
            error = "Write a closing note: what was done, for the administrator."
            return self.get(request, failed=(pk, request.POST.get("note", ""), error), status=400)
        try:
            services.report_close(report=report, note=form.cleaned_data["note"], actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"Report #{pk} was closed.")
        return redirect("helpdesk:reports")


class AccountsView(HelpdeskRequiredMixin, View):
    def get(self, request):
        q = (request.GET.get("q") or "").strip()
        accounts = Account.objects.all()
        if q:
            condition = Q(name__icontains=q)
            if q.isascii() and q.isdigit() and int(q) <= 2**63 - 1:  # not "²", not past bigint
                condition |= Q(pk=int(q))
            accounts = accounts.filter(condition)
        return render(
            request,
            "helpdesk/accounts.html",
            {"nav": "helpdesk_accounts", "accounts": list(accounts.order_by("name")[:100]), "q": q},
        )


class AccountView(HelpdeskRequiredMixin, View):
    def get(self, request, pk):
        from backups.models import Snapshot

        account = get_object_or_404(Account, pk=pk)
        return render(
            request,
            "helpdesk/account.html",
            {
                "nav": "helpdesk_accounts",
                "account": account,
                "snapshots": list(Snapshot.objects.recent(account).order_by("-created_at")[:30]),
                "requests": list(RestoreRequest.objects.filter(account=account)[:50]),
                "reports": list(DeletionReport.objects.filter(account=account)[:50]),
            },
        )
