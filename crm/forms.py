"""Page forms for CRM records: built from the models, scoped to the account
(links offer only the account's records, the responsible person only its
members), with one field per custom field definition. The forms only read
input; the services validate again and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.forms.models import fields_for_model, model_to_dict

from . import custom_values
from .models import CustomFieldType
from .registry import EntityType

# Editable fields per entity type, in the order a person fills them in.
FORM_FIELDS = {
    "company": [
        "title", "company_type", "industry", "employees", "revenue", "currency_id",
        "phone", "email", "web", "address", "assigned_by", "comments",
    ],
    "contact": [
        "honorific", "name", "second_name", "last_name", "post", "company",
        "phone", "phone_mobile", "email", "email_home", "type_id", "source_id",
        "assigned_by", "comments",
    ],
    "lead": [
        "title", "name", "second_name", "last_name", "company_title", "post", "status_id",
        "opportunity", "currency_id", "source_id", "phone", "email", "assigned_by", "comments",
    ],
    "deal": [
        "title", "category_id", "stage_id", "probability", "opportunity", "currency_id",
        "company", "contact", "begindate", "closedate", "closed", "assigned_by", "comments",
    ],
    "product": ["name", "code", "description", "price", "currency_id", "active", "sort"],
    "custom_field": ["entity_type", "code", "label", "field_type", "mandatory", "sort"],
}  # fmt: skip

LINK_FIELDS = {"company": "company_id", "contact": "contact_id", "assigned_by": "assigned_by_id"}
DATE_FIELDS = {"begindate", "closedate"}


class RecordForm(forms.Form):
    """A record's fields; `values()` gives what the services take (attnames)."""

    entity: EntityType

    def __init__(self, *args, account, instance=None, **kwargs):
        self.account = account
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            initial = model_to_dict(instance, fields=FORM_FIELDS[self.entity.entity_type])
            for code, value in (getattr(instance, "custom_fields", None) or {}).items():
                initial[code] = value
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for name, field in fields_for_model(
            self.entity.model, fields=FORM_FIELDS[self.entity.entity_type]
        ).items():
            self.fields[name] = field
            if name in DATE_FIELDS:
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        if "assigned_by" in self.fields:
            self.fields["assigned_by"].queryset = (
                get_user_model().objects.filter(membership__account=account).order_by("username")
            )
        if "company" in self.fields:
            self.fields["company"].queryset = (
                self.entity.model._meta.get_field("company")
                .related_model.objects.filter(account=account)
                .order_by("title")
            )
        if "contact" in self.fields:
            self.fields["contact"].queryset = (
                self.entity.model._meta.get_field("contact")
                .related_model.objects.filter(account=account)
                .order_by("last_name", "name")
            )
        if instance is not None and self.entity.entity_type == "custom_field":
            for name in ("entity_type", "code"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Fixed once the field exists."
        self.custom_definitions = []
        if self.entity.has_custom_fields:
            self.custom_definitions = custom_values.definitions(account.pk, self.entity.entity_type)
            for definition in self.custom_definitions:
                self.fields[definition.code] = _custom_form_field(definition)

    def values(self) -> dict:
        data = self.cleaned_data
        values = {}
        for name in FORM_FIELDS[self.entity.entity_type]:
            if name in LINK_FIELDS:
                obj = data.get(name)
                values[LINK_FIELDS[name]] = obj.pk if obj is not None else None
            elif name in self.fields and not self.fields[name].disabled:
                values[name] = data.get(name)
        if self.entity.has_custom_fields:
            values["custom_fields"] = {d.code: data.get(d.code) for d in self.custom_definitions}
        return values

    def add_service_errors(self, fields: dict, detail: str) -> None:
        """Put a service's field messages beside the form's fields."""
        reverse_links = {v: k for k, v in LINK_FIELDS.items()}
        placed = False
        for name, messages in fields.items():
            target = reverse_links.get(name, name)
            for message in messages:
                if target in self.fields:
                    self.add_error(target, message)
                    placed = True
                else:
                    self.add_error(None, message)
                    placed = True
        if not placed:
            self.add_error(None, detail)


def _custom_form_field(definition) -> forms.Field:
    common = {"label": definition.label, "required": definition.mandatory}
    if definition.field_type == CustomFieldType.NUMBER:
        return forms.DecimalField(**common)
    if definition.field_type == CustomFieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if definition.field_type == CustomFieldType.BOOLEAN:
        return forms.TypedChoiceField(choices=[("", "—"), ("Y", "Yes"), ("N", "No")], **common)
    return forms.CharField(max_length=1000, **common)


_FORMS: dict[str, type[RecordForm]] = {}


def form_class(entity: EntityType) -> type[RecordForm]:
    if entity.entity_type not in _FORMS:
        _FORMS[entity.entity_type] = type(
            f"{entity.model.__name__}Form", (RecordForm,), {"entity": entity}
        )
    return _FORMS[entity.entity_type]
