"""The vendor operators' read-only view of every account's snapshots; helpdesk
staff may view them (backups.view_snapshot in HELPDESK_VIEW_PERMISSIONS)."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from .models import Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["id", "account", "kind", "status", "taken_at", "records", "size", "day"]
    list_filter = ["status", "kind"]
    search_fields = ["account__name"]
    date_hierarchy = "created_at"
    list_select_related = ["account"]
    ordering = ["-created_at", "-id"]
    readonly_fields = [f.name for f in Snapshot._meta.fields]

    @admin.display(description="records")
    def records(self, obj):
        return f"{obj.records:,}"

    @admin.display(description="size")
    def size(self, obj):
        return filesizeformat(obj.size_bytes)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Snapshots go by the seven-day retention (prune_snapshots), with their files.
        return False
