"""CRM > Recycle Bin pages: the list (filters, cursor pages, select and restore),
the confirmation step (offering the deleted parents too, parent first), and
what the bin is on plans without History. Thin: reads through
`recycle_bin` selectors, the restore through `recycle_bin.restore_from_bin`."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from accounts.access import MemberRequiredMixin
from accounts.actors import Actor, Source
from accounts.capabilities import Capability, plan_allows, plans_with
from accounts.models import Plan
from recovery_portal.errors import DomainError, Invalid, NotFound, PlanUpgradeRequired

from . import recycle_bin
from .bin_forms import BinFilterForm
from .registry import entity, entity_types

PAGE_SIZE = 50
CONFIRM_SHOWN = 50

# The fields each row shows beside its title (names of the canonical record).
MAIN_FIELDS = {
    "company": ["company_type", "industry", "phone", "email"],
    "contact": ["post", "company_id", "email", "phone"],
    "lead": ["status_id", "opportunity", "email", "phone"],
    "deal": ["stage_id", "opportunity", "company_id", "contact_id", "closedate"],
}


def _main_fields(event, parents) -> list[tuple[str, str]]:
    """(label, shown value) of the record's main fields, from the event's data."""
    et = entity(event.entity_type)
    data = event.data or {}
    in_bin = {(p.entity_type, p.entity_id): p for p in parents}
    links = {link.field: link.target for link in et.links}
    shown = []
    for name in MAIN_FIELDS.get(et.entity_type, []):
        value = data.get(name)
        if value in (None, ""):
            continue
        label = et.field(name).label
        if name in links:
            target = entity(links[name])
            parent = in_bin.get((target.entity_type, value))
            label = target.label
            text = f"“{parent.title}” #{value} (in the bin)" if parent else f"#{value}"
        else:
            choices = dict(et.model._meta.get_field(name).flatchoices)
            text = str(choices.get(value, value))
            if name == "opportunity" and data.get("currency_id"):
                text = f"{text} {data['currency_id']}"
        shown.append((label.capitalize(), text))
    return shown


def _safe_next(request, default: str) -> str:
    """Where to go back to: a path on this site only ("/\\evil.example" is another
    site to a browser, as "//evil.example" is)."""
    target = request.POST.get("next") or default
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts=None
    ):
        return default
    return target


def restored_sentence(result: recycle_bin.RestoreResult) -> str:
    if result.total <= 5:
        names = ", ".join(f"{entity(r.entity_type).label} “{r.title}”" for r in result.records)
        return f"Restored {names}, with {'its id' if result.total == 1 else 'their ids'}."
    counts = result.counts()
    parts = []
    for et in entity_types():
        n = counts.get(et.entity_type)
        if n:
            parts.append(f"{n:,} {et.label if n == 1 else et.label_plural}")
    return f"Restored {', '.join(parts)}, with their ids."


def relinked_sentence(result: recycle_bin.RestoreResult) -> str:
    n = len(result.relinked)
    shown = [
        f"{entity(r.entity_type).label} “{r.title}” to its {entity(r.target_type).label}"
        for r in result.relinked[:3]
    ]
    more = f" and {n - 3:,} more" if n > 3 else ""
    return f"Linked again as before the deletion: {', '.join(shown)}{more}."


def unlinked_sentence(result: recycle_bin.RestoreResult) -> str:
    shown = [u.sentence() for u in result.unlinked[:5]]
    more = len(result.unlinked) - 5
    if more > 0:
        shown.append(f"and {more} more")
    return "Back without a link: " + "; ".join(shown) + "."


class BinListView(MemberRequiredMixin, View):
    template_name = "recycle_bin/list.html"

    def get(self, request):
        if not plan_allows(self.account, Capability.HISTORY):  # R3
            return self.upgrade_page(request)
        form = BinFilterForm(request.GET, account=self.account)
        context = {
            "nav": "recycle_bin",
            "form": form,
            "days": recycle_bin.retention_days(),
            "is_admin": self.membership.is_admin,
            "rows": [],
            "active_filters": form.active,
        }
        status = 200
        if form.is_valid():
            filters = form.selector_kwargs()
            entries = recycle_bin.bin_entries(
                self.account, viewer_membership=self.membership, **filters
            )
            try:
                page = recycle_bin.bin_page(
                    entries, cursor=request.GET.get("cursor") or None, page_size=PAGE_SIZE
                )
            except Invalid as exc:
                context["error"] = exc.detail
                status = 400
            else:
                parents = recycle_bin.direct_parents_in_bin(
                    self.account, viewer_membership=self.membership, events=page.items
                )
                context["rows"] = [
                    {
                        "event": event,
                        "entity": entity(event.entity_type),
                        "fields": _main_fields(event, parents.get(event.pk, [])),
                        "parents": parents.get(event.pk, []),
                    }
                    for event in page.items
                ]
                context["next_url"] = self._page_url(page.next_cursor)
                context["previous_url"] = self._page_url(page.previous_cursor)
                if filters["operation"] is not None:
                    context["operation"] = filters["operation"]
                    context["operation_count"] = entries.count()
        else:
            status = 400
        return render(request, self.template_name, context, status=status)

    def _page_url(self, cursor):
        if cursor is None:
            return None
        query = self.request.GET.copy()
        query["cursor"] = cursor
        return f"?{query.urlencode()}"

    def upgrade_page(self, request):
        return render(
            request,
            "recycle_bin/upgrade.html",
            {
                "nav": "recycle_bin",
                "days": recycle_bin.retention_days(),
                "plans": [Plan(p).label for p in plans_with(Capability.HISTORY)],
                "demo_available": self.account.demo_started_at is None,
            },
        )


class BinRestoreView(MemberRequiredMixin, View):
    """Two steps: the list posts the selected entries (or a deletion's operation),
    this page names them and offers their deleted parents, checked; the
    confirmation restores, all or nothing."""

    template_name = "recycle_bin/confirm.html"

    def post(self, request):
        back = _safe_next(request, reverse("recycle_bin:list"))
        if not plan_allows(self.account, Capability.HISTORY):  # R3
            messages.error(request, PlanUpgradeRequired().detail)
            return redirect("recycle_bin:list")
        raw_ids = request.POST.getlist("events")
        operation = None
        if request.POST.get("operation"):
            try:
                operation = uuid.UUID(request.POST["operation"])
            except ValueError:
                messages.error(request, "That deletion's id is not valid.")
                return redirect(back)
        if not raw_ids and operation is None:
            messages.warning(request, "Select the records to restore first.")
            return redirect(back)
        if request.POST.get("confirmed") != "yes":
            return self.confirm(request, raw_ids, operation, back)
        try:
            result = recycle_bin.restore_from_bin(
                account=self.account,
                viewer_membership=self.membership,
                event_ids=raw_ids,
                operation=operation,
                include_parents=False,  # the parents offered are posted as events
                actor=Actor.for_user(request.user, Source.RECYCLE_BIN),
            )
        except NotFound as exc:
            raise Http404(exc.detail) from exc
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect(back)
        messages.success(request, restored_sentence(result))
        if result.relinked:
            messages.info(request, relinked_sentence(result))
        if result.unlinked:
            messages.warning(request, unlinked_sentence(result))
        return redirect(back)

    def confirm(self, request, raw_ids, operation, back):
        try:
            entries = recycle_bin.select_from_bin(
                self.account,
                viewer_membership=self.membership,
                event_ids=raw_ids,
                operation=operation,
            )
        except NotFound as exc:
            raise Http404(exc.detail) from exc
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect(back)
        parents = recycle_bin.ancestors_in_bin(
            self.account, viewer_membership=self.membership, events=entries
        )
        selected_ids = [e.pk for e in entries] if operation is None else []
        return render(
            request,
            self.template_name,
            {
                "nav": "recycle_bin",
                "count": len(entries),
                "entries": [
                    {"event": e, "entity": entity(e.entity_type)} for e in entries[:CONFIRM_SHOWN]
                ],
                "more": max(0, len(entries) - CONFIRM_SHOWN),
                "parents": [{"event": e, "entity": entity(e.entity_type)} for e in parents],
                "selected_ids": selected_ids,
                "operation": operation,
                "next": back,
            },
        )
