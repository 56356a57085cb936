"""Who a user is to the product: a member of one account (admin or employee),
helpdesk staff, or nobody. Every query of account data starts from the
account these functions give.
"""

from __future__ import annotations

from django.conf import settings

from recovery_portal.errors import AdminRequired, NotFound

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


def require_admin_of(account: Account, user) -> None:
    """For services that only the account's administrators may call (the plan, R9's
    restore requests): another account's user is 404 `not_found` (never a 403 that
    tells the account exists), a member without the role 403 `admin_required`."""
    membership = membership_of(user)
    if membership is None or membership.account_id != account.pk:
        raise NotFound()
    if not membership.is_admin:
        raise AdminRequired()
