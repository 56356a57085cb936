"""The vendor operators' read-only view of restore requests and deletion reports;
helpdesk staff may view them (HELPDESK_VIEW_PERMISSIONS). Every change goes
through the helpdesk console and the services, which keep the audit trail."""

from django.contrib import admin

from .models import Candidate, DeletionReport, Message, RequestRun, RestoreRequest, Transition


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class CandidateInline(ReadOnlyInline):
    model = Candidate


class TransitionInline(ReadOnlyInline):
    model = Transition


class MessageInline(ReadOnlyInline):
    model = Message


class RequestRunInline(ReadOnlyInline):
    model = RequestRun


@admin.register(RestoreRequest)
class RestoreRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "account", "status", "option", "deleted_at", "filed_by", "filed_at"]
    list_filter = ["status", "option"]
    search_fields = ["account__name"]
    list_select_related = ["account", "filed_by"]
    ordering = ["-filed_at", "-id"]
    readonly_fields = [f.name for f in RestoreRequest._meta.fields]
    inlines = [CandidateInline, RequestRunInline, MessageInline, TransitionInline]


@admin.register(DeletionReport)
class DeletionReportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "account", "state", "person", "deleted_at", "reported_at"]
    list_filter = ["state"]
    search_fields = ["account__name", "person"]
    list_select_related = ["account"]
    ordering = ["-reported_at", "-id"]
    readonly_fields = [f.name for f in DeletionReport._meta.fields]
