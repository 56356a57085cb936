"""The module registry: per data module, its entity types in parent-first order.

`crm` = companies, contacts, leads, deals (and their links); `catalog` =
products; `fields` = custom field definitions. A CRM rollback covers the `crm`
module; a full account rollback covers every module (R12, R13). The backups
app works from this registry and never names a CRM model itself.

Each entity type also says how its records are titled (in Python and in SQL,
the two must agree), which of its fields link to other records, and which CSV
column each field has (domain.md, "CRM fields and CSV columns").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models

from . import models as crm_models

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class FieldSpec:
    """One column of a record: its name (the model's attname and the DB column),
    its kind for the canonical format, and its label."""

    name: str
    kind: str  # int, str, decimal, date, datetime, bool, json
    label: str
    decimal_places: int | None = None
    nullable: bool = False


@dataclass(frozen=True)
class Link:
    """A foreign key inside a module: `field` of this entity points at `target`."""

    field: str
    target: str


@dataclass(frozen=True)
class EntityType:
    entity_type: str
    model: type[models.Model]
    module: str
    label: str
    label_plural: str
    slug: str  # the URL segment: /crm/contacts/, /api/v1/crm/contacts/
    title: Callable[[dict], str]
    title_sql: str  # an SQL expression over the table's columns, prefixed by {t}.
    links: tuple[Link, ...] = ()
    csv_columns: dict[str, str] = field(default_factory=dict)  # field name -> CSV column
    has_custom_fields: bool = False
    fields: tuple[FieldSpec, ...] = ()

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


_KINDS = {
    "BigAutoField": "int",
    "AutoField": "int",
    "ForeignKey": "int",
    "IntegerField": "int",
    "BigIntegerField": "int",
    "PositiveIntegerField": "int",
    "PositiveSmallIntegerField": "int",
    "SmallIntegerField": "int",
    "CharField": "str",
    "TextField": "str",
    "EmailField": "str",
    "DecimalField": "decimal",
    "DateField": "date",
    "DateTimeField": "datetime",
    "BooleanField": "bool",
    "JSONField": "json",
}


def _field_specs(model) -> tuple[FieldSpec, ...]:
    specs = []
    for f in model._meta.concrete_fields:
        if f.name == "account":
            continue
        kind = _KINDS[f.get_internal_type()]
        specs.append(
            FieldSpec(
                name=f.attname,
                kind=kind,
                label=str(f.verbose_name),
                decimal_places=getattr(f, "decimal_places", None),
                nullable=f.null,
            )
        )
    return tuple(specs)


def _person(record: dict, fallback: str) -> str:
    name = " ".join(p for p in (record.get("name"), record.get("last_name")) if p)
    return name or f"{fallback} #{record.get('id')}"


_PERSON_TITLE_SQL = (
    "COALESCE(NULLIF(concat_ws(' ', NULLIF({t}.name, ''), NULLIF({t}.last_name, '')), ''), "
    "'Contact #' || {t}.id::text)"
)


def _titled_sql(column: str, fallback: str) -> str:
    return f"COALESCE(NULLIF({{t}}.{column}, ''), '{fallback} #' || {{t}}.id::text)"


_COMMON_COLUMNS = {
    "id": "ID",
    "assigned_by_id": "ASSIGNED_BY_ID",
    "comments": "COMMENTS",
    "created_at": "DATE_CREATE",
    "updated_at": "DATE_MODIFY",
}


def _entity(**kwargs) -> EntityType:
    kwargs["fields"] = _field_specs(kwargs["model"])
    return EntityType(**kwargs)


COMPANY = _entity(
    entity_type="company",
    model=crm_models.Company,
    module="crm",
    label="company",
    label_plural="companies",
    slug="companies",
    title=lambda r: r.get("title") or f"Company #{r.get('id')}",
    title_sql=_titled_sql("title", "Company"),
    has_custom_fields=True,
    csv_columns={
        "id": "ID",
        "title": "TITLE",
        "company_type": "COMPANY_TYPE",
        "industry": "INDUSTRY",
        "employees": "EMPLOYEES",
        "revenue": "REVENUE",
        "currency_id": "CURRENCY_ID",
        "phone": "PHONE_WORK",
        "email": "EMAIL_WORK",
        "web": "WEB",
        "address": "ADDRESS",
        **_COMMON_COLUMNS,
    },
)

CONTACT = _entity(
    entity_type="contact",
    model=crm_models.Contact,
    module="crm",
    label="contact",
    label_plural="contacts",
    slug="contacts",
    title=lambda r: _person(r, "Contact"),
    title_sql=_PERSON_TITLE_SQL,
    links=(Link("company_id", "company"),),
    has_custom_fields=True,
    csv_columns={
        "id": "ID",
        "honorific": "HONORIFIC",
        "name": "NAME",
        "second_name": "SECOND_NAME",
        "last_name": "LAST_NAME",
        "post": "POST",
        "company_id": "COMPANY_ID",
        "phone": "PHONE_WORK",
        "phone_mobile": "PHONE_MOBILE",
        "email": "EMAIL_WORK",
        "email_home": "EMAIL_HOME",
        "type_id": "TYPE_ID",
        "source_id": "SOURCE_ID",
        **_COMMON_COLUMNS,
    },
)

LEAD = _entity(
    entity_type="lead",
    model=crm_models.Lead,
    module="crm",
    label="lead",
    label_plural="leads",
    slug="leads",
    title=lambda r: r.get("title") or f"Lead #{r.get('id')}",
    title_sql=_titled_sql("title", "Lead"),
    has_custom_fields=True,
    csv_columns={
        "id": "ID",
        "title": "TITLE",
        "name": "NAME",
        "second_name": "SECOND_NAME",
        "last_name": "LAST_NAME",
        "company_title": "COMPANY_TITLE",
        "post": "POST",
        "status_id": "STATUS_ID",
        "opportunity": "OPPORTUNITY",
        "currency_id": "CURRENCY_ID",
        "source_id": "SOURCE_ID",
        "phone": "PHONE_WORK",
        "email": "EMAIL_WORK",
        **_COMMON_COLUMNS,
    },
)

DEAL = _entity(
    entity_type="deal",
    model=crm_models.Deal,
    module="crm",
    label="deal",
    label_plural="deals",
    slug="deals",
    title=lambda r: r.get("title") or f"Deal #{r.get('id')}",
    title_sql=_titled_sql("title", "Deal"),
    links=(Link("company_id", "company"), Link("contact_id", "contact")),
    has_custom_fields=True,
    csv_columns={
        "id": "ID",
        "title": "TITLE",
        "category_id": "CATEGORY_ID",
        "stage_id": "STAGE_ID",
        "probability": "PROBABILITY",
        "opportunity": "OPPORTUNITY",
        "currency_id": "CURRENCY_ID",
        "company_id": "COMPANY_ID",
        "contact_id": "CONTACT_ID",
        "begindate": "BEGINDATE",
        "closedate": "CLOSEDATE",
        "closed": "CLOSED",
        **_COMMON_COLUMNS,
    },
)

PRODUCT = _entity(
    entity_type="product",
    model=crm_models.Product,
    module="catalog",
    label="product",
    label_plural="products",
    slug="products",
    title=lambda r: r.get("name") or f"Product #{r.get('id')}",
    title_sql=_titled_sql("name", "Product"),
)

CUSTOM_FIELD = _entity(
    entity_type="custom_field",
    model=crm_models.CustomField,
    module="fields",
    label="custom field",
    label_plural="custom fields",
    slug="custom-fields",
    title=lambda r: r.get("label") or r.get("code") or f"Custom field #{r.get('id')}",
    title_sql=(
        "COALESCE(NULLIF({t}.label, ''), NULLIF({t}.code, ''), 'Custom field #' || {t}.id::text)"
    ),
)

# Parent-first inside each module; modules in the order a full rollback loads them.
MODULES: dict[str, tuple[EntityType, ...]] = {
    "fields": (CUSTOM_FIELD,),
    "catalog": (PRODUCT,),
    "crm": (COMPANY, CONTACT, LEAD, DEAL),
}
MODULE_LABELS = {
    "crm": "CRM (companies, contacts, leads, deals)",
    "catalog": "Product catalogue",
    "fields": "Custom field definitions",
}

_BY_TYPE = {et.entity_type: et for ets in MODULES.values() for et in ets}
_BY_SLUG = {et.slug: et for et in _BY_TYPE.values()}


def entity(entity_type: str) -> EntityType:
    return _BY_TYPE[entity_type]


def entity_by_slug(slug: str) -> EntityType | None:
    return _BY_SLUG.get(slug)


def entity_types() -> list[EntityType]:
    """Every entity type, modules in load order, parents first."""
    return [et for ets in MODULES.values() for et in ets]


def module_entities(module: str) -> tuple[EntityType, ...]:
    return MODULES[module]


def modules() -> list[str]:
    return list(MODULES)


def children_of(entity_type: str) -> list[tuple[EntityType, Link]]:
    """The entity types (and their link fields) that point at `entity_type`."""
    return [(et, link) for et in entity_types() for link in et.links if link.target == entity_type]
