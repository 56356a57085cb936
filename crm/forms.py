"""Page forms for CRM records: built from the models, scoped to the account
(links offer only the account's records, the responsible person only its
members), with one field per custom field definition. The forms only read
input; the services validate again and write."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.forms.models import fields_for_model, model_to_dict
from django.utils.html import format_html, format_html_join

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


SUGGESTIONS = 100  # the link fields' datalist: the most recent records of the account
TYPED_ID = re.compile(r"^(?:(?P<name>.*?)\s*)?#?(?P<id>\d{1,18})$")


class RecordInput(forms.TextInput):
    """A text input with a <datalist> of suggestions ("Acme Srl #12"), computed only
    when the form is drawn. No JavaScript: the browser filters the list as you type."""

    def __init__(self, *, suggest, list_id):
        super().__init__(attrs={"list": list_id, "autocomplete": "off", "spellcheck": "false"})
        self.suggest = suggest
        self.list_id = list_id

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        options = format_html_join("", '<option value="{}">', ((s,) for s in self.suggest()))
        return html + format_html('<datalist id="{}">{}</datalist>', self.list_id, options)


class RecordChoiceField(forms.Field):
    """A link to another record of the account (a contact's company, a deal's
    contact), typed rather than chosen from a <select> of every record: an account
    of 20,000 companies would send 20,000 options with every form. It takes the
    record's id ("12" or "#12"), a suggestion ("Acme Srl #12"), or its exact name
    when only one record has it; another account's id is refused like an unknown one."""

    def __init__(self, *, queryset, noun: str, by_name, **kwargs):
        self.queryset = queryset
        self.noun = noun
        self.by_name = by_name  # (queryset, text) -> queryset of the records so named
        kwargs.setdefault(
            "help_text",
            f"Type its name or id (the # number in the list), or pick a recent {noun}.",
        )
        super().__init__(
            widget=RecordInput(suggest=self.suggestions, list_id=f"{noun}-suggestions"),
            **kwargs,
        )

    def suggestions(self) -> list[str]:
        return [self.shown(obj) for obj in self.queryset.order_by("-pk")[:SUGGESTIONS]]

    @staticmethod
    def shown(obj) -> str:
        return f"{obj} #{obj.pk}"

    def prepare_value(self, value):
        if isinstance(value, self.queryset.model):
            return self.shown(value)
        if isinstance(value, int):  # an initial id
            obj = self.queryset.filter(pk=value).first()
            return self.shown(obj) if obj is not None else str(value)
        return value

    def invalid(self, reason: str) -> forms.ValidationError:
        return forms.ValidationError(f"Select a valid choice: {reason}", code="invalid_choice")

    def to_python(self, value):
        text = (value or "").strip() if isinstance(value, str) else value
        if text in self.empty_values:
            return None
        if isinstance(text, self.queryset.model):
            return text
        text = str(text)[:300]
        typed = TYPED_ID.match(text)
        if typed:
            obj = self.queryset.filter(pk=int(typed["id"])).first()
            if obj is None:
                raise self.invalid(f"there is no {self.noun} #{typed['id']} in this account.")
            return obj
        named = list(self.by_name(self.queryset, text).order_by("pk")[:6])
        if not named:
            raise self.invalid(
                f"no {self.noun} is called “{text}”; type its id (the # number in the list)."
            )
        if len(named) > 1:
            some = ", ".join(self.shown(obj) for obj in named[:5])
            raise self.invalid(
                f"more than one {self.noun} is called “{text}” ({some}…): type its #id."
            )
        return named[0]


def _company_named(queryset, text: str):
    return queryset.filter(title__iexact=text)


def _contact_named(queryset, text: str):
    return queryset.annotate(full_name=Concat("name", Value(" "), "last_name")).filter(
        Q(full_name__iexact=text) | Q(last_name__iexact=text)
    )


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
        for name, by_name in (("company", _company_named), ("contact", _contact_named)):
            if name not in self.fields:
                continue
            # A typed link with suggestions, not a <select> of every record of the account.
            model_field = self.entity.model._meta.get_field(name)
            self.fields[name] = RecordChoiceField(
                queryset=model_field.related_model.objects.filter(account=account),
                noun=name,
                by_name=by_name,
                label=self.fields[name].label,
                required=False,
            )
            linked = getattr(instance, f"{name}_id", None)
            if linked is not None and self.initial.get(name) == linked:
                self.initial[name] = getattr(instance, name)  # loaded with the record
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
