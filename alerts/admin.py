from django.contrib import admin

from .models import Alert, AlertRules


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "kind", "actor_name", "state", "undone_at"]
    list_filter = ["kind", "state"]
    raw_id_fields = ["account", "dismissed_by", "undone_by"]

    def has_add_permission(self, request):
        return False


@admin.register(AlertRules)
class AlertRulesAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "burst_enabled",
        "burst_count",
        "burst_minutes",
        "share_enabled",
        "share_percent",
    ]
    raw_id_fields = ["account"]
