"""API serializers of CRM records, one per entity type, built from the registry:
the same field names as the canonical record (links by id: `company_id`,
`assigned_by_id`), custom field values under `custom_fields` by code. They only
read input; the services validate again and write."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .registry import EntityType

MAX_ID = 2**63 - 1


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
        "nullable": True,
    }
)
class ScalarField(serializers.Field):
    """A custom field value: text, number, yes/no or null, never an object."""

    default_error_messages = {"invalid": "Enter text, a number, true/false or null."}

    def to_internal_value(self, data):
        if data is None or isinstance(data, str | int | float | bool):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class CustomFieldValues(serializers.DictField):
    child = ScalarField(allow_null=True)

    def to_representation(self, value):
        defined = self.context.get("defined_codes")
        value = value or {}
        if defined is not None:
            value = {k: v for k, v in value.items() if k in defined}
        return super().to_representation(value)


def _id_field(label: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        allow_null=True, required=False, min_value=1, max_value=MAX_ID, help_text=label
    )


_SERIALIZERS: dict[str, type[serializers.ModelSerializer]] = {}


def serializer_class(et: EntityType) -> type[serializers.ModelSerializer]:
    if et.entity_type in _SERIALIZERS:
        return _SERIALIZERS[et.entity_type]
    attrs: dict = {}
    for link in et.links:
        attrs[link.field] = _id_field(f"The linked {link.target}'s id (in this account).")
    if "assigned_by_id" in et.field_names:
        attrs["assigned_by_id"] = _id_field("The responsible person's user id (a member).")
    if et.has_custom_fields:
        attrs["custom_fields"] = CustomFieldValues(
            required=False, help_text="Custom field values by code (UF_CRM_…)."
        )
    read_only = ["id", "created_at", "updated_at"]
    attrs["Meta"] = type(
        "Meta", (), {"model": et.model, "fields": et.field_names, "read_only_fields": read_only}
    )
    name = f"{et.model.__name__}Serializer"
    cls = type(name, (serializers.ModelSerializer,), attrs)
    _SERIALIZERS[et.entity_type] = cls
    return cls


class BulkDeleteInput(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=10_000,
    )


class BulkDeleteOutput(serializers.Serializer):
    deleted = serializers.IntegerField()
    operation = serializers.UUIDField()
