"""One filter definition per entity type, shared by the list page and the API
(NetBox's habit): what the page offers is what the API accepts, and a bad value
is a 400 on the API and a message beside the field on the page."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from django_filters.utils import label_for_filter
from drf_spectacular.utils import extend_schema_field

from crm_history.filters import MOMENT_HELP, MomentFilter

from . import models as m

MAX_ID = 2**63 - 1

SEARCH_FIELDS = {
    "company": ["title", "email", "phone", "web"],
    "contact": ["name", "last_name", "email", "phone", "phone_mobile", "post"],
    "lead": ["title", "name", "last_name", "company_title", "email", "phone"],
    "deal": ["title", "comments"],
    "product": ["name", "code"],
    "custom_field": ["label", "code"],
}

# Columns a list can be sorted by (the first is the default, newest first).
SORT_FIELDS = {
    "company": ["-id", "title", "company_type", "industry", "revenue", "created_at"],
    "contact": ["-id", "last_name", "name", "email", "company__title", "created_at"],
    "lead": ["-id", "title", "status_id", "opportunity", "created_at"],
    "deal": ["-id", "title", "stage_id", "opportunity", "closedate", "created_at"],
    "product": ["-id", "name", "price", "sort"],
    "custom_field": ["-id", "entity_type", "label", "sort"],
}


class StrictBooleanField(forms.NullBooleanField):
    """Yes/no filters: true/false (or 1/0, yes/no); any other value is an error
    (django-filter's own boolean widgets read it as "no filter")."""

    widget = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise forms.ValidationError("Enter true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (NumberFilter takes decimals: ?category_id=0.5 was accepted)."""

    field_class = forms.IntegerField


@extend_schema_field(
    {
        "type": "string",
        "description": f"{MOMENT_HELP} Without an offset, read in the account's time zone.",
    }
)
class MomentOfCreationFilter(MomentFilter):
    """A date or a date and time (the schema says "string": both are taken)."""


class RecordFilterSet(django_filters.FilterSet):
    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.PositiveIntegerField: {"filter_class": IntegerFilter},
        models.PositiveSmallIntegerField: {"filter_class": IntegerFilter},
        models.IntegerField: {"filter_class": IntegerFilter},
    }

    q = django_filters.CharFilter(method="search", label="Search")
    # A date, or a date and time; without an offset it is read in the account's time
    # zone (api.md), on the API as on the page, converted once into a UTC bound.
    created_after = MomentOfCreationFilter(
        field_name="created_at",
        lookup_expr="gte",
        label="Created from",
        help_text=MOMENT_HELP,
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DD", "autocomplete": "off"}),
    )
    created_before = MomentOfCreationFilter(
        field_name="created_at",
        lookup_expr="lt",
        label="Created before",
        help_text=MOMENT_HELP,
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DD", "autocomplete": "off"}),
    )

    entity_type: str = ""

    @classmethod
    def filter_for_field(cls, field, field_name, lookup_expr=None):
        filter_ = super().filter_for_field(field, field_name, lookup_expr)
        # Named now, from the model: a filter builds its form field once and keeps it,
        # and the API schema's generator builds it on the class's filters, which know no
        # model yet; the page's labels were empty ("type_id") once /api/schema/ was served.
        if filter_ is not None and filter_.label is None:
            filter_.label = label_for_filter(
                cls._meta.model, field_name, filter_.lookup_expr, filter_.exclude
            )
        return filter_

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        if "assigned_by" in self.filters and account is not None:
            self.filters["assigned_by"].queryset = get_user_model().objects.filter(
                membership__account=account
            )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in SEARCH_FIELDS[self.entity_type]:
            condition |= Q(**{f"{field}__icontains": value})
        # An id typed in the box; not "²" (a digit to isdigit(), not to int()) nor
        # a number past the key's range (a 500 on SQLite).
        if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
            condition |= Q(pk=int(value))
        return queryset.filter(condition)

    @property
    def active_filters(self) -> dict:
        """The filters the user set, as the page names them: the field's label and
        the value as the form shows it (a choice's name, the person's username), for
        "N records hidden by your filters" (R5)."""
        if not self.is_bound:
            return {}
        form = self.form
        out = {}
        for name, value in self.data.items():
            if name not in self.filters or value in ("", None):
                continue
            field = form.fields.get(name)
            label = str(field.label) if field is not None and field.label else name
            out[label] = _shown_value(field, value)
        return out


def _shown_value(field, value) -> str:
    """A filter's raw value as a person reads it: the choice's name or the chosen
    object's name when the value is one the field offers, else the value as typed."""
    value = str(value)
    if field is None:
        return value
    if isinstance(field, forms.ModelChoiceField):
        if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
            chosen = field.queryset.filter(pk=int(value)).first()
            if chosen is not None:
                return field.label_from_instance(chosen)
        return value
    # A choice field's own choices; a yes/no field's are its widget's.
    choices = getattr(field, "choices", None) or getattr(field.widget, "choices", None) or ()
    for choice, name in choices:
        if str(choice) == value:
            return str(name)
    return value


def _assigned_filter():
    return django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.none(), label="Responsible person"
    )


def _link_filter(field_name: str, label: str):
    return IntegerFilter(field_name=field_name, label=label, min_value=1)


class CompanyFilterSet(RecordFilterSet):
    entity_type = "company"
    assigned_by = _assigned_filter()

    class Meta:
        model = m.Company
        fields = ["company_type", "industry", "currency_id", "assigned_by"]


class ContactFilterSet(RecordFilterSet):
    entity_type = "contact"
    assigned_by = _assigned_filter()
    company = _link_filter("company_id", "Company id")

    class Meta:
        model = m.Contact
        fields = ["type_id", "source_id", "company", "assigned_by"]


class LeadFilterSet(RecordFilterSet):
    entity_type = "lead"
    assigned_by = _assigned_filter()

    class Meta:
        model = m.Lead
        fields = ["status_id", "source_id", "currency_id", "assigned_by"]


class DealFilterSet(RecordFilterSet):
    entity_type = "deal"
    assigned_by = _assigned_filter()
    company = _link_filter("company_id", "Company id")
    contact = _link_filter("contact_id", "Contact id")

    class Meta:
        model = m.Deal
        fields = ["stage_id", "category_id", "closed", "company", "contact", "assigned_by"]


class ProductFilterSet(RecordFilterSet):
    entity_type = "product"

    class Meta:
        model = m.Product
        fields = ["active", "currency_id"]


class CustomFieldFilterSet(RecordFilterSet):
    entity_type = "custom_field"

    class Meta:
        model = m.CustomField
        fields = ["entity_type", "field_type"]


FILTERSETS: dict[str, type[RecordFilterSet]] = {
    fs.entity_type: fs
    for fs in (
        CompanyFilterSet,
        ContactFilterSet,
        LeadFilterSet,
        DealFilterSet,
        ProductFilterSet,
        CustomFieldFilterSet,
    )
}
