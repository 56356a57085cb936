"""CRM pages: list (filters, search, sorting; R5's hidden-records notice), detail
with the record's own History, create/edit, delete and bulk delete. Thin: each
view reads through `selectors`, writes through `services`."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from accounts.access import MemberRequiredMixin
from accounts.actors import Actor, Source
from accounts.capabilities import Capability, plan_allows
from crm_history.models import Event
from recovery_portal.errors import DomainError, NotFound

from . import columns, recycle_bin, selectors, services
from .filters import FILTERSETS, SORT_FIELDS
from .forms import form_class
from .registry import children_of, entity_by_slug, entity_types

PAGE_SIZE = 50


class EntityMixin(MemberRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        self.entity = entity_by_slug(kwargs["slug"])
        if self.entity is None:
            raise Http404("No such list.")
        return super().dispatch(request, *args, **kwargs)

    def get_record(self, record_id: int):
        obj = selectors.record_or_none(self.account, self.entity, record_id)
        if obj is None:
            raise Http404(f"There is no {self.entity.label} #{record_id} in this account.")
        return obj

    def actor(self) -> Actor:
        return Actor.for_user(self.request.user, Source.PAGE)

    def base_context(self) -> dict:
        return {"entity": self.entity, "entity_types": entity_types()}


class RecordListView(EntityMixin, View):
    template_name = "crm/list.html"

    def get(self, request, slug):
        et = self.entity
        base = selectors.records(self.account, et)
        filterset = FILTERSETS[et.entity_type](
            request.GET or None, queryset=base, account=self.account
        )
        active = filterset.active_filters
        sort_options = SORT_FIELDS[et.entity_type]
        sort = request.GET.get("sort") or sort_options[0]
        if sort.lstrip("-") not in {s.lstrip("-") for s in sort_options}:
            messages.warning(
                request, f"The list cannot be sorted by “{sort}”; showing newest first."
            )
            sort = sort_options[0]
        refused = filterset.is_bound and not filterset.is_valid()  # errors beside the fields
        rows = (base.none() if refused else filterset.qs) if filterset.is_bound else base
        rows = rows.order_by(sort, "-pk") if sort.lstrip("-") != "id" else rows.order_by(sort)
        paginator = Paginator(rows, PAGE_SIZE)
        try:
            page = paginator.page(request.GET.get("page") or 1)
        except (PageNotAnInteger, EmptyPage):
            page = paginator.page(1)
        hidden = 0
        if active and not refused:
            # R5: records may only be hidden by a filter; say how many, offer to clear.
            # (A filter that is refused hides nothing: it is not applied.)
            hidden = base.count() - paginator.count
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            **self.base_context(),
            "filter": filterset,
            "filter_form": filterset.form,
            "page": page,
            "headers": columns.headers(et),
            "rows": [{"obj": obj, "cells": columns.cells(et, obj)} for obj in page.object_list],
            "sort": sort,
            "sort_options": sort_options,
            "active_filters": active,
            "hidden_count": hidden,
            "querystring": query.urlencode(),
        }
        return render(request, self.template_name, context)


class RecordDetailView(EntityMixin, View):
    template_name = "crm/detail.html"

    def get(self, request, slug, pk):
        obj = self.get_record(pk)
        context = {**self.base_context(), "object": obj}
        context["fields"] = _display_fields(self.entity, obj, self.account)
        related = []
        for child, link in children_of(self.entity.entity_type):
            qs = selectors.records(self.account, child).filter(**{link.field: obj.pk})
            related.append(
                {
                    "entity": child,
                    "rows": list(qs.order_by("-pk")[:20]),
                    "count": qs.count(),
                    "filter": link.field.removesuffix("_id"),
                }
            )
        context["related"] = related
        context["history_allowed"] = plan_allows(self.account, Capability.HISTORY)
        if context["history_allowed"]:
            context["events"] = list(
                Event.objects.filter(
                    account=self.account,
                    entity_type=self.entity.entity_type,
                    entity_id=obj.pk,
                ).order_by("-occurred_at", "-id")[:20]
            )
        return render(request, self.template_name, context)


def _display_fields(et, obj, account) -> list[tuple[str, object]]:
    from .forms import FORM_FIELDS  # the same fields, in the same order, as the form

    shown = []
    for name in FORM_FIELDS[et.entity_type]:
        field = obj._meta.get_field(name)
        value = getattr(obj, name)
        if field.choices and value not in (None, ""):
            value = getattr(obj, f"get_{name}_display")()
        shown.append((field.verbose_name, value))
    if et.has_custom_fields:
        from . import custom_values

        for definition in custom_values.definitions(account.pk, et.entity_type):
            shown.append((definition.label, (obj.custom_fields or {}).get(definition.code, "")))
    shown.append(("created", obj.created_at))
    shown.append(("modified", obj.updated_at))
    return shown


class RecordFormView(EntityMixin, View):
    template_name = "crm/form.html"

    def get(self, request, slug, pk=None):
        obj = self.get_record(pk) if pk else None
        form = form_class(self.entity)(account=self.account, instance=obj)
        return self.render_form(form, obj)

    def post(self, request, slug, pk=None):
        obj = self.get_record(pk) if pk else None
        form = form_class(self.entity)(request.POST, account=self.account, instance=obj)
        if form.is_valid():
            try:
                if obj is None:
                    obj = services.record_create(
                        account=self.account,
                        entity_type=self.entity.entity_type,
                        values=form.values(),
                        actor=self.actor(),
                    )
                    messages.success(request, f"The {self.entity.label} “{obj}” was created.")
                else:
                    obj = services.record_update(
                        account=self.account,
                        entity_type=self.entity.entity_type,
                        record_id=obj.pk,
                        values=form.values(),
                        actor=self.actor(),
                    )
                    messages.success(request, f"The {self.entity.label} “{obj}” was saved.")
            except DomainError as exc:
                if exc.fields:
                    form.add_service_errors(exc.fields, exc.detail)
                else:
                    messages.error(request, exc.detail)
            else:
                return redirect("crm:detail", self.entity.slug, obj.pk)
        return self.render_form(form, obj, status=400 if form.errors else 200)

    def render_form(self, form, obj, status=200):
        context = {**self.base_context(), "form": form, "object": obj}
        return render(
            request=self.request, template_name=self.template_name, context=context, status=status
        )


class RecordDeleteView(EntityMixin, View):
    template_name = "crm/confirm_delete.html"

    def get(self, request, slug, pk):
        obj = self.get_record(pk)
        context = {
            **self.base_context(),
            "object": obj,
            # R13: deleted products and custom fields are not in the recycle bin; only a
            # full account rollback brings them back.
            "in_bin": self.entity in recycle_bin.bin_entity_types(),
            "bin_days": recycle_bin.retention_days(),
        }
        return render(request, self.template_name, context)

    def post(self, request, slug, pk):
        obj = self.get_record(pk)
        try:
            services.record_delete(
                account=self.account,
                entity_type=self.entity.entity_type,
                record_id=obj.pk,
                actor=self.actor(),
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect("crm:detail", self.entity.slug, obj.pk)
        messages.success(request, f"The {self.entity.label} “{obj}” was deleted.")
        return redirect("crm:list", self.entity.slug)


class BulkDeleteView(EntityMixin, View):
    """Two steps: the list posts the selected ids, this page names the count and
    asks to confirm; the confirmation deletes them, all or none."""

    template_name = "crm/bulk_delete.html"

    def post(self, request, slug):
        raw_ids = request.POST.getlist("ids")
        back = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(back, allowed_hosts=None):
            back = reverse("crm:list", args=[slug])  # only a path on this site
        if not raw_ids:
            messages.warning(request, "Select the records to delete first.")
            return redirect(back)
        if request.POST.get("confirmed") != "yes":
            try:
                ids = services.clean_ids(raw_ids)
            except DomainError as exc:
                messages.error(request, exc.detail)
                return redirect(back)
            selected = selectors.records(self.account, self.entity).filter(pk__in=ids)
            if selected.count() != len(ids):
                raise Http404("Some of the selected records are not in this account.")
            rows = list(selected.order_by("pk")[:20])  # the page names the first 20
            context = {
                **self.base_context(),
                "rows": rows,
                "ids": ids,
                "count": len(ids),
                "next": back,
            }
            return render(request, self.template_name, context)
        try:
            result = services.records_bulk_delete(
                account=self.account,
                entity_type=self.entity.entity_type,
                ids=raw_ids,
                actor=Actor.for_user(request.user, Source.PAGE),
            )
        except NotFound as exc:
            raise Http404(exc.detail) from exc
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect(back)
        label = self.entity.label if result.deleted == 1 else self.entity.label_plural
        messages.success(request, f"{result.deleted} {label} deleted.")
        return redirect(back)
