"""Puts the signed-in user's account, membership and helpdesk flag on the
request, and shows times in the account's time zone."""

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .tenancy import is_helpdesk, membership_of


class AccountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: membership_of(request.user))
        request.account = SimpleLazyObject(
            lambda: request.membership.account if request.membership else None
        )
        request.is_helpdesk = SimpleLazyObject(lambda: is_helpdesk(request.user))
        membership = membership_of(request.user) if request.user.is_authenticated else None
        if membership is not None:
            timezone.activate(membership.account.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
