"""API access rules: members, administrators, helpdesk staff, plan capabilities.

Anonymous callers get 401 `not_authenticated`; a member without the role gets
403 with the code that names what is missing.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from .capabilities import Capability, plan_allows, upgrade_detail
from .tenancy import account_of, is_helpdesk, membership_of


class IsAccountMember(BasePermission):
    message = "This is for members of an account."
    code = "permission_denied"

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and membership_of(request.user))


class IsAccountAdmin(BasePermission):
    message = "Only the account's administrators can do this."
    code = "admin_required"

    def has_permission(self, request, view) -> bool:
        membership = membership_of(request.user)
        return bool(request.user.is_authenticated and membership and membership.is_admin)


class IsHelpdesk(BasePermission):
    message = "Only helpdesk staff can do this."
    code = "helpdesk_required"

    def has_permission(self, request, view) -> bool:
        return is_helpdesk(request.user)


class PlanAllows(BasePermission):
    """Needs `view.required_capability`; answers 403 `plan_upgrade_required`."""

    code = "plan_upgrade_required"

    def has_permission(self, request, view) -> bool:
        account = account_of(request.user)
        capability: Capability = view.required_capability
        if account is None:
            return False
        if plan_allows(account, capability):
            return True
        self.message = upgrade_detail(account, capability)
        return False


class AccountMixin:
    """For API views of account data: `self.account` is the caller's account."""

    @property
    def account(self):
        return account_of(self.request.user)
