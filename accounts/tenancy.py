"""Who a user is to the product: a member of one account (admin or employee),
helpdesk staff, or nobody. Every query of account data starts from the
account these functions give.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404

from .models import Account, Membership


def membership_of(user) -> Membership | None:
    """The user's membership, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(user, "_rp_membership"):
        user._rp_membership = Membership.objects.select_related("account").filter(user=user).first()
    return user._rp_membership


def account_of(user) -> Account | None:
    membership = membership_of(user)
    return membership.account if membership else None


def is_helpdesk(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if not hasattr(user, "_rp_helpdesk"):
        user._rp_helpdesk = user.groups.filter(name=settings.HELPDESK_GROUP).exists()
    return user._rp_helpdesk


def is_account_admin(user) -> bool:
    membership = membership_of(user)
    return bool(membership and membership.is_admin)


def scoped(queryset, account: Account):
    """The rows of `queryset` that belong to `account`: the one tenancy filter."""
    return queryset.filter(account=account)


def get_scoped_or_404(queryset, account: Account, **lookup):
    """An object of `account`, or 404 (another account's object is never a 403)."""
    return get_object_or_404(scoped(queryset, account), **lookup)
