"""The Django admin for every CRM model. Writes still go through the services,
so the admin leaves History events like every other path, and its "delete
selected" is the services' bulk delete."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models, transaction
from django.shortcuts import redirect

from accounts.actors import Actor, Source
from recovery_portal.errors import DomainError

from . import services
from .registry import entity, entity_types


def _values(form) -> dict:
    values = {}
    for name, value in form.cleaned_data.items():
        field = form._meta.model._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            values[field.attname] = value.pk if value is not None else None
        else:
            values[name] = value
    return values


class RecordAdmin(admin.ModelAdmin):
    entity_type: str = ""
    list_filter = ["account"]
    readonly_fields = ["created_at", "updated_at"]
    raw_id_fields = ["account"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("account")
        return fields

    def actor(self, request) -> Actor:
        return Actor.for_user(request.user, Source.ADMIN)

    def save_model(self, request, obj, form, change):
        values = _values(form)
        account = obj.account
        values.pop("account_id", None)
        values.pop("account", None)
        if change:
            saved = services.record_update(
                account=account,
                entity_type=self.entity_type,
                record_id=obj.pk,
                values=values,
                actor=self.actor(request),
            )
        else:
            saved = services.record_create(
                account=account,
                entity_type=self.entity_type,
                values=values,
                actor=self.actor(request),
            )
        obj.pk = saved.pk
        obj.created_at = saved.created_at
        obj.updated_at = saved.updated_at

    def delete_model(self, request, obj):
        services.record_delete(
            account=obj.account,
            entity_type=self.entity_type,
            record_id=obj.pk,
            actor=self.actor(request),
        )

    def delete_queryset(self, request, queryset):
        """One bulk delete per account of the selection, all of them or none (a
        refused one, e.g. an account being restored, rolls the others back)."""
        by_account: dict = {}
        for pk, account_id in queryset.values_list("pk", "account_id"):
            by_account.setdefault(account_id, []).append(pk)
        with transaction.atomic():
            for ids in by_account.values():
                first = queryset.model.objects.select_related("account").get(pk=ids[0])
                services.records_bulk_delete(
                    account=first.account,
                    entity_type=self.entity_type,
                    ids=ids,
                    actor=self.actor(request),
                )

    def _refusal(self, request, exc: DomainError):
        # The service refused (a link to another account's record, an account being
        # restored): nothing was written; say why.
        messages.error(request, exc.detail)
        return redirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)  # atomic
        except DomainError as exc:
            return self._refusal(request, exc)

    def delete_view(self, request, *args, **kwargs):
        try:
            return super().delete_view(request, *args, **kwargs)  # atomic
        except DomainError as exc:
            return self._refusal(request, exc)

    def changelist_view(self, request, *args, **kwargs):
        # "Delete selected" runs here: atomic, so that a refusal also takes back the
        # deletion log entries written before the delete.
        try:
            with transaction.atomic():
                return super().changelist_view(request, *args, **kwargs)
        except DomainError as exc:
            return self._refusal(request, exc)


for _et in entity_types():
    _search = {
        "company": ["title", "email"],
        "contact": ["name", "last_name", "email"],
        "lead": ["title", "last_name", "email"],
        "deal": ["title"],
        "product": ["name", "code"],
        "custom_field": ["label", "code"],
    }[_et.entity_type]
    _display = ["id", "__str__", "account", "created_at", "updated_at"]
    admin.site.register(
        _et.model,
        type(
            f"{_et.model.__name__}Admin",
            (RecordAdmin,),
            {
                "entity_type": _et.entity_type,
                "search_fields": _search,
                "list_display": _display,
                "raw_id_fields": ["account"]
                + [link.field.removesuffix("_id") for link in entity(_et.entity_type).links],
            },
        ),
    )
