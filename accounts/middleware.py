"""Puts the signed-in user's account, membership and helpdesk flag on the
request, and shows times on pages in the account's time zone."""

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .tenancy import is_helpdesk, membership_of

API_PREFIX = "/api/"


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
        # Pages show the account's time; the API answers in UTC (api.md), also to a
        # browser's session, whose answers would otherwise be local times marked "Z".
        if membership is not None and not request.path.startswith(API_PREFIX):
            timezone.activate(membership.account.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
