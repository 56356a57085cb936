"""API of the accounts app: tokens, the caller's account, plan and demo."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from recovery_portal.api import ErrorSerializer
from recovery_portal.errors import Invalid

from . import services
from .capabilities import Capability, capabilities, demo_active, demo_ends_at
from .lockout import lockout_error
from .models import Plan
from .permissions import IsAccountAdmin, IsAccountMember
from .tenancy import account_of, is_helpdesk, membership_of


class TokenView(APIView):
    """`POST` {username, password} → {token}; `DELETE` revokes the caller's token."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "login"

    class TokenInputSerializer(serializers.Serializer):
        username = serializers.CharField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    class TokenOutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(
        request=TokenInputSerializer,
        responses={200: TokenOutputSerializer, 400: ErrorSerializer, 429: ErrorSerializer},
        auth=[],
        operation_id="auth_token_create",
    )
    def post(self, request):
        data = self.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The Django request (not DRF's wrapper), so that django-axes counts the
        # failure against this username and address and can lock the pair out.
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(request._request, "axes_locked_out", False):
            raise lockout_error()
        if user is None or not user.is_active:
            raise Invalid(
                "Unable to log in with these credentials.",
                fields={"non_field_errors": ["Unable to log in with these credentials."]},
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class TokenRevokeView(APIView):
    """`DELETE /api/v1/auth/token/current/`: revoke the token the call was made with."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None, 401: ErrorSerializer}, operation_id="auth_token_revoke")
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    plan = serializers.ChoiceField(choices=Plan.choices)
    timezone = serializers.CharField()
    allows = serializers.DictField(child=serializers.BooleanField())
    demo_available = serializers.BooleanField()
    demo_active = serializers.BooleanField()
    demo_ends_at = serializers.DateTimeField(allow_null=True)
    role = serializers.CharField()


def account_payload(account, membership) -> dict:
    allowed = capabilities(account)
    return {
        "id": account.pk,
        "name": account.name,
        "plan": account.plan,
        "timezone": account.timezone,
        "allows": {cap.value: cap in allowed for cap in Capability},
        "demo_available": account.demo_started_at is None,
        "demo_active": demo_active(account),
        "demo_ends_at": demo_ends_at(account),
        "role": membership.role,
    }


class AccountView(APIView):
    """The caller's account: plan, what it allows, the demo."""

    permission_classes = [IsAccountMember]

    @extend_schema(responses={200: AccountSerializer, 401: ErrorSerializer, 403: ErrorSerializer})
    def get(self, request):
        membership = membership_of(request.user)
        return Response(AccountSerializer(account_payload(membership.account, membership)).data)


class PlanChangeView(APIView):
    """Subscription > Upgrade: administrators change the plan (no payment here)."""

    permission_classes = [IsAccountMember, IsAccountAdmin]

    class PlanInputSerializer(serializers.Serializer):
        plan = serializers.ChoiceField(choices=Plan.choices)

    @extend_schema(
        request=PlanInputSerializer,
        responses={200: AccountSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def post(self, request):
        data = self.PlanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = services.plan_change(
            account=account_of(request.user), plan=data.validated_data["plan"], actor=request.user
        )
        membership = membership_of(request.user)
        return Response(AccountSerializer(account_payload(account, membership)).data)


class DemoStartView(APIView):
    """R3: start the account's one 15-day Professional demo."""

    permission_classes = [IsAccountMember, IsAccountAdmin]

    @extend_schema(
        request=None,
        responses={
            200: AccountSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request):
        account = services.demo_start(account=account_of(request.user), actor=request.user)
        membership = membership_of(request.user)
        return Response(AccountSerializer(account_payload(account, membership)).data)


class MeView(APIView):
    """Who the caller is: username, role and account, or helpdesk staff."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: inline_serializer(
                "Me",
                {
                    "username": serializers.CharField(),
                    "role": serializers.CharField(allow_null=True),
                    "account": serializers.IntegerField(allow_null=True),
                    "helpdesk": serializers.BooleanField(),
                },
            ),
            401: ErrorSerializer,
        }
    )
    def get(self, request):
        membership = membership_of(request.user)
        return Response(
            {
                "username": request.user.get_username(),
                "role": membership.role if membership else None,
                "account": membership.account_id if membership else None,
                "helpdesk": is_helpdesk(request.user),
            }
        )
