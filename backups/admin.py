"""The vendor operators' read-only view of every account's snapshots and restore
runs; helpdesk staff may view them (backups.view_snapshot and
backups.view_restorerun in HELPDESK_VIEW_PERMISSIONS)."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from .models import Snapshot
from .restore_models import RestoreRun


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


@admin.register(RestoreRun)
class RestoreRunAdmin(admin.ModelAdmin):
    list_display = ["id", "account", "option", "status", "phase", "progress", "created_at"]
    list_filter = ["status", "option"]
    search_fields = ["account__name"]
    date_hierarchy = "created_at"
    list_select_related = ["account"]
    ordering = ["-created_at", "-id"]
    readonly_fields = [f.name for f in RestoreRun._meta.fields]

    @admin.display(description="progress")
    def progress(self, obj):
        return f"{obj.rows_done:,} of {obj.rows_total:,}"

    def has_add_permission(self, request):
        return False  # runs are started by a confirmed request, an undo or an alert

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the record of what was done to an account's data
