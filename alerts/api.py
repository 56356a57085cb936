"""The alerts API: administrators only, scoped to the account (another account's
alert is a 404)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts.actors import Source
from accounts.permissions import AccountMixin, IsAccountAdmin, IsAccountMember
from recovery_portal.api import ErrorSerializer, KeysetPagination
from recovery_portal.errors import Invalid, NotFound

from . import selectors, services
from .models import Alert
from .serializers import (
    AlertSerializer,
    RulesSerializer,
    UndoPreviewSerializer,
    UndoResultSerializer,
)

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class AlertsMixin(AccountMixin):
    permission_classes = [IsAccountMember, IsAccountAdmin]

    def get_alert(self, pk) -> Alert:
        alert = selectors.alert_of(self.account, pk)
        if alert is None:
            raise NotFound(f"There is no alert #{pk} in this account.")
        return alert


class AlertListView(AlertsMixin, GenericAPIView):
    pagination_class = KeysetPagination
    keyset_ordering = ("-created_at", "-id")
    keyset_scope = "alerts"
    serializer_class = AlertSerializer
    queryset = Alert.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=Alert.State.values)],
        responses={200: AlertSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        state = request.query_params.get("state") or None
        if state and state not in Alert.State.values:
            raise Invalid(
                f"Unknown state “{state}”.", fields={"state": ["Choose open or dismissed."]}
            )
        page = self.paginate_queryset(selectors.alerts_of(self.account, state=state))
        return self.get_paginated_response(AlertSerializer(page, many=True).data)


class AlertDetailView(AlertsMixin, GenericAPIView):
    serializer_class = AlertSerializer

    @extend_schema(responses={200: AlertSerializer, **ERRORS})
    def get(self, request, pk):
        return Response(AlertSerializer(self.get_alert(pk)).data)


class AlertPreviewView(AlertsMixin, GenericAPIView):
    serializer_class = UndoPreviewSerializer

    @extend_schema(responses={200: UndoPreviewSerializer, **ERRORS})
    def get(self, request, pk):
        preview = services.undo_preview(alert=self.get_alert(pk))
        return Response(UndoPreviewSerializer(preview).data)


class AlertUndoView(AlertsMixin, GenericAPIView):
    serializer_class = UndoResultSerializer

    @extend_schema(
        request=None,
        responses={200: UndoResultSerializer, 409: ErrorSerializer, 423: ErrorSerializer, **ERRORS},
    )
    def post(self, request, pk):
        result = services.undo_burst(alert=self.get_alert(pk), actor=request.user)
        return Response(
            {
                "operation": result.operation,
                "restored": result.counts(),
                "total": result.total,
                "unlinked": [u.sentence() for u in result.unlinked],
            }
        )


class AlertActionView(AlertsMixin, GenericAPIView):
    serializer_class = AlertSerializer
    action_name = ""

    @extend_schema(request=None, responses={200: AlertSerializer, 409: ErrorSerializer, **ERRORS})
    def post(self, request, pk):
        alert = self.get_alert(pk)
        if self.action_name == "dismiss":
            services.alert_dismiss(alert=alert, actor=request.user)
        elif self.action_name == "suspend":
            services.suspend_actor(alert=alert, actor=request.user, source=Source.API)
        else:
            services.lift_suspension(alert=alert, actor=request.user, source=Source.API)
        return Response(AlertSerializer(self.get_alert(pk)).data)


class RulesView(AlertsMixin, GenericAPIView):
    serializer_class = RulesSerializer

    @extend_schema(responses={200: RulesSerializer, **ERRORS})
    def get(self, request):
        return Response(RulesSerializer(services.rules_for(self.account.pk)).data)

    @extend_schema(request=RulesSerializer, responses={200: RulesSerializer, **ERRORS})
    def put(self, request):
        data = RulesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rules = services.rules_update(
            account=self.account, values=data.validated_data, actor=request.user
        )
        return Response(RulesSerializer(rules).data)
