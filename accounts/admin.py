"""The vendor operators' view of tenants, members and plan changes."""

from django.contrib import admin

from .models import Account, Membership, PlanChange


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "plan", "timezone", "demo_started_at", "created_at"]
    list_filter = ["plan"]
    search_fields = ["name"]
    readonly_fields = ["demo_started_at", "created_at"]
    inlines = [MembershipInline]

    def has_delete_permission(self, request, obj=None):
        # A tenant's data and History are never deleted from here.
        return False


@admin.register(PlanChange)
class PlanChangeAdmin(admin.ModelAdmin):
    list_display = ["account", "kind", "from_plan", "to_plan", "changed_by_name", "changed_at"]
    list_filter = ["kind", "to_plan"]
    search_fields = ["account__name", "changed_by_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "account__name"]
    raw_id_fields = ["user", "account"]
