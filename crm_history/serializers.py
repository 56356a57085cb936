"""The API's shape of a History event (api.md): times in UTC with `Z`, the actor
by the name recorded with the event, and the record's page while it exists."""

from __future__ import annotations

from datetime import UTC

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Event


class HistoryEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor_name",
        read_only=True,
        help_text="The username, or the system/API client's name, as recorded.",
    )
    # UTC whatever zone the request activated (a session call runs in the account's zone).
    occurred_at = serializers.DateTimeField(read_only=True, default_timezone=UTC)
    changes = serializers.JSONField(
        read_only=True, help_text="For an update: {field: [old, new]}; otherwise null."
    )
    data = serializers.JSONField(
        read_only=True,
        help_text="The whole record (canonical format) for a create, delete or restore.",
    )
    record_url = serializers.SerializerMethodField(
        help_text="The record's page, or null when the record no longer exists."
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "action",
            "entity_type",
            "entity_id",
            "title",
            "actor",
            "occurred_at",
            "changes",
            "data",
            "record_url",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_record_url(self, event: Event) -> str | None:
        path = self.context.get("record_urls", {}).get((event.entity_type, event.entity_id))
        if path is None:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
