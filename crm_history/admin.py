"""History events in the admin: to look at, never to change (append-only)."""

from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = [
        "occurred_at",
        "account",
        "action",
        "entity_type",
        "entity_id",
        "title",
        "actor_name",
        "source",
    ]
    list_filter = ["action", "entity_type", "source"]
    search_fields = ["title", "actor_name"]
    raw_id_fields = ["account"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
