from rest_framework import serializers

from .models import Alert, AlertRules


class AlertSerializer(serializers.ModelSerializer):
    total = serializers.IntegerField(read_only=True)
    summary = serializers.CharField(read_only=True)
    actor_suspended = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id", "kind", "state", "summary", "actor_name", "actors", "counts", "paths", "total",
            "started_at", "last_at", "created_at", "dismissed_at", "undone_at", "actor_suspended",
        ]  # fmt: skip

    def get_actor_suspended(self, obj) -> bool:
        from .selectors import actor_suspended

        return actor_suspended(obj)


class RulesSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertRules
        fields = [
            "burst_enabled", "burst_count", "burst_minutes",
            "share_enabled", "share_percent", "share_min_records", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]


class UndoPreviewSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()
    already_back = serializers.IntegerField()
    conflicts = serializers.ListField(child=serializers.CharField())
    allowed = serializers.BooleanField()
    reason = serializers.CharField()


class UndoResultSerializer(serializers.Serializer):
    operation = serializers.UUIDField()
    restored = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()
    unlinked = serializers.ListField(child=serializers.CharField())
