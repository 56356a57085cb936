"""The CRM's REST API: list (paginated, filterable), retrieve, create, update,
delete and bulk delete for each entity type, all through the services."""

from __future__ import annotations

from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.actors import Actor, Source
from accounts.permissions import AccountMixin, IsAccountMember
from recovery_portal.api import ErrorSerializer

from . import custom_values, selectors, services
from .filters import FILTERSETS
from .registry import EntityType, entity_types
from .serializers import BulkDeleteInput, BulkDeleteOutput, serializer_class


class AccountFilterBackend(DjangoFilterBackend):
    """django-filter, with the filter set scoped to the caller's account."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        kwargs["account"] = view.account
        return kwargs


_ERRORS = {401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
_WRITE_ERRORS = {**_ERRORS, 400: ErrorSerializer, 423: ErrorSerializer}


class RecordViewSet(AccountMixin, viewsets.ModelViewSet):
    entity: EntityType
    permission_classes = [IsAccountMember]
    filter_backends = [AccountFilterBackend]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.entity.model.objects.none()
        return selectors.records(self.account, self.entity).order_by("-id")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.entity.has_custom_fields and not getattr(self, "swagger_fake_view", False):
            context["defined_codes"] = {
                d.code for d in custom_values.definitions(self.account.pk, self.entity.entity_type)
            }
        return context

    def actor(self) -> Actor:
        return Actor.for_user(self.request.user, Source.API)

    def perform_create(self, serializer):
        serializer.instance = services.record_create(
            account=self.account,
            entity_type=self.entity.entity_type,
            values=serializer.validated_data,
            actor=self.actor(),
        )

    def get_success_headers(self, data):
        return {"Location": reverse(f"api-{self.entity.slug}-detail", args=[data["id"]])}

    def perform_update(self, serializer):
        serializer.instance = services.record_update(
            account=self.account,
            entity_type=self.entity.entity_type,
            record_id=serializer.instance.pk,
            values=serializer.validated_data,
            actor=self.actor(),
        )

    def perform_destroy(self, instance):
        services.record_delete(
            account=self.account,
            entity_type=self.entity.entity_type,
            record_id=instance.pk,
            actor=self.actor(),
        )

    @extend_schema(request=BulkDeleteInput, responses={200: BulkDeleteOutput, **_WRITE_ERRORS})
    @action(detail=False, methods=["post"], url_path="bulk-delete")
    def bulk_delete(self, request):
        data = BulkDeleteInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.records_bulk_delete(
            account=self.account,
            entity_type=self.entity.entity_type,
            ids=data.validated_data["ids"],
            actor=self.actor(),
        )
        return Response(
            {"deleted": result.deleted, "operation": str(result.operation)},
            status=status.HTTP_200_OK,
        )


def viewset_class(et: EntityType) -> type[RecordViewSet]:
    serializer = serializer_class(et)
    cls = type(
        f"{et.model.__name__}ViewSet",
        (RecordViewSet,),
        {
            "entity": et,
            "serializer_class": serializer,
            "filterset_class": FILTERSETS[et.entity_type],
            "__doc__": f"The account's {et.label_plural}.",
        },
    )
    return extend_schema_view(
        list=extend_schema(responses={200: serializer(many=True), **_ERRORS, 400: ErrorSerializer}),
        retrieve=extend_schema(responses={200: serializer, **_ERRORS}),
        create=extend_schema(responses={201: serializer, **_WRITE_ERRORS}),
        update=extend_schema(responses={200: serializer, **_WRITE_ERRORS}),
        partial_update=extend_schema(responses={200: serializer, **_WRITE_ERRORS}),
        destroy=extend_schema(responses={204: None, **_WRITE_ERRORS}),
    )(cls)


VIEWSETS = {et.entity_type: viewset_class(et) for et in entity_types()}
