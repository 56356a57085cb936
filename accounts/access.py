"""Access rules for pages: the same rules as the API's permissions, as view mixins.

Anonymous visitors go to the log-in page; a member without the role gets the
403 page saying why; another account's object is a 404 page (views look
objects up through their app's selectors, which take the account, and answer
404 when there is none).
"""

from __future__ import annotations

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied

from .tenancy import is_helpdesk, membership_of


class MemberRequiredMixin(AccessMixin):
    """Pages of account data: any member of an account."""

    admin_only = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = membership_of(request.user)
        if membership is None:
            raise PermissionDenied("This page is for members of an account.")
        if self.admin_only and not membership.is_admin:
            raise PermissionDenied("Only the account's administrators can open this page.")
        self.account = membership.account
        self.membership = membership
        return super().dispatch(request, *args, **kwargs)


class AdminRequiredMixin(MemberRequiredMixin):
    admin_only = True


class HelpdeskRequiredMixin(AccessMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_helpdesk(request.user):
            raise PermissionDenied("This page is for helpdesk staff.")
        return super().dispatch(request, *args, **kwargs)
