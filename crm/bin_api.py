"""The recycle bin's API: `GET /api/v1/recycle-bin/` (a cursor list) and
`POST /api/v1/recycle-bin/restore/`. Thin: filters are validated by the shared
filter form, reads go through `recycle_bin.bin_entries`, the restore through
`recycle_bin.restore_from_bin`."""

from __future__ import annotations

from datetime import UTC

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import Actor, Source
from accounts.capabilities import Capability
from accounts.permissions import AccountMixin, IsAccountMember, PlanAllows
from accounts.tenancy import membership_of
from crm_history.models import Event
from recovery_portal.api import ErrorSerializer, KeysetPagination, validation_detail
from recovery_portal.errors import Invalid

from . import recycle_bin
from .bin_forms import BinFilterForm
from .registry import entity

MAX_ID = 2**63 - 1


class BinDeletedBySerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The user's id; null for the system.")
    name = serializers.CharField()


class BinParentSerializer(serializers.Serializer):
    event = serializers.IntegerField(help_text="The parent's delete event (an id to restore).")
    entity_type = serializers.CharField()
    entity_id = serializers.IntegerField()
    title = serializers.CharField()


class BinEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The delete event's id: what restore/ takes.")
    entity_type = serializers.CharField(help_text="company, contact, lead or deal.")
    entity_id = serializers.IntegerField(help_text="The record's id (it comes back with it).")
    title = serializers.CharField()
    deleted_by = BinDeletedBySerializer()
    deleted_at = serializers.DateTimeField(default_timezone=UTC)
    operation = serializers.UUIDField(help_text="The deletion's operation (a bulk delete's id).")
    data = serializers.JSONField(help_text="The record as it was, in the canonical format.")
    parents_in_bin = BinParentSerializer(
        many=True,
        help_text="Deleted records it links to that are in your bin too (restore them first).",
    )


def entry_payload(event: Event, parents: list[Event]) -> dict:
    return {
        "id": event.pk,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "title": event.title,
        "deleted_by": {"id": event.actor_id, "name": event.actor_name},
        "deleted_at": event.occurred_at,
        "operation": event.operation,
        "data": event.data,
        "parents_in_bin": [
            {
                "event": p.pk,
                "entity_type": p.entity_type,
                "entity_id": p.entity_id,
                "title": p.title,
            }
            for p in parents
        ],
    }


_FILTER_PARAMETERS = [
    OpenApiParameter("entity_type", OpenApiTypes.STR, enum=["company", "contact", "lead", "deal"]),
    OpenApiParameter("title", OpenApiTypes.STR, description="Part of the record's title."),
    OpenApiParameter("deleted_by", OpenApiTypes.INT, description="The user id who deleted."),
    OpenApiParameter(
        "deleted_after",
        OpenApiTypes.STR,
        description=(
            "From this date (YYYY-MM-DD, a whole day in the account's time zone) or time "
            "(ISO 8601; without an offset, in the account's time zone), included."
        ),
    ),
    OpenApiParameter(
        "deleted_before",
        OpenApiTypes.STR,
        description="Until this date (the whole day included) or before this time.",
    ),
    OpenApiParameter("operation", OpenApiTypes.UUID, description="One bulk deletion."),
]
_ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}


class BinListApi(AccountMixin, GenericAPIView):
    """The records deleted in the last RECYCLE_BIN_DAYS days that are not back yet,
    newest first. Administrators see all of the account's; employees their own
    deletions. Plans with History only (403 plan_upgrade_required)."""

    permission_classes = [IsAccountMember, PlanAllows]
    required_capability = Capability.HISTORY
    pagination_class = KeysetPagination
    keyset_ordering = recycle_bin.BIN_ORDERING
    keyset_scope = recycle_bin.BIN_CURSOR_SCOPE
    serializer_class = BinEntrySerializer
    filter_backends: list = []

    def get_queryset(self):  # for the schema; the list is built in get()
        return Event.objects.none()

    @extend_schema(
        operation_id="recycle_bin_list",
        parameters=_FILTER_PARAMETERS,
        responses={200: BinEntrySerializer(many=True), **_ERRORS},
    )
    def get(self, request):
        membership = membership_of(request.user)
        account = self.account
        form = BinFilterForm(request.query_params, account=account)
        if not form.is_valid():
            fields = {k: [str(m) for m in v] for k, v in form.errors.items()}
            raise Invalid(validation_detail(fields), fields=fields)
        entries = recycle_bin.bin_entries(
            account, viewer_membership=membership, **form.selector_kwargs()
        )
        page = self.paginate_queryset(
            recycle_bin.seek(entries, request.query_params.get("cursor") or None)
        )
        parents = recycle_bin.direct_parents_in_bin(
            account, viewer_membership=membership, events=page
        )
        data = [entry_payload(e, parents.get(e.pk, [])) for e in page]
        return self.get_paginated_response(BinEntrySerializer(data, many=True).data)


class BinRestoreInput(serializers.Serializer):
    events = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=recycle_bin.MAX_RESTORE_RECORDS,
        required=False,
        help_text="Delete event ids (the `id` of the bin's entries).",
    )
    operation = serializers.UUIDField(
        required=False, help_text="Or: every entry of one bulk deletion that you see."
    )
    include_parents = serializers.BooleanField(
        default=False,
        help_text="Also restore the deleted records they link to that are in your bin.",
    )

    def validate(self, attrs):
        if not attrs.get("events") and not attrs.get("operation"):
            raise serializers.ValidationError({"events": ["Give the events to restore."]})
        return attrs


class BinRestoredRecordSerializer(serializers.Serializer):
    entity_type = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The record's page.")


class BinUnlinkedSerializer(serializers.Serializer):
    entity_type = serializers.CharField()
    id = serializers.IntegerField()
    field = serializers.CharField(help_text="The link set to null, e.g. company_id.")
    target_type = serializers.CharField()
    target_id = serializers.IntegerField(help_text="The linked record, which does not exist now.")


class BinRelinkedSerializer(serializers.Serializer):
    entity_type = serializers.CharField()
    id = serializers.IntegerField()
    field = serializers.CharField(help_text="The link set again, e.g. company_id.")
    target_type = serializers.CharField()
    target_id = serializers.IntegerField(help_text="The restored record it points at again.")


class BinRestoreOutput(serializers.Serializer):
    operation = serializers.UUIDField(help_text="The restore's operation in the History.")
    restored = serializers.DictField(
        child=serializers.IntegerField(), help_text="How many records per entity type."
    )
    records = BinRestoredRecordSerializer(many=True, help_text="Parents first.")
    unlinked = BinUnlinkedSerializer(many=True, help_text="Records that came back without a link.")
    relinked = BinRelinkedSerializer(
        many=True,
        help_text="Records the deletion had unlinked from a restored one, linked to it again.",
    )


def restore_payload(result: recycle_bin.RestoreResult) -> dict:
    return {
        "operation": result.operation,
        "restored": result.counts(),
        "records": [
            {
                "entity_type": r.entity_type,
                "id": r.id,
                "title": r.title,
                "url": reverse("crm:detail", args=[entity(r.entity_type).slug, r.id]),
            }
            for r in result.records
        ],
        "unlinked": [
            {
                "entity_type": u.entity_type,
                "id": u.id,
                "field": u.field,
                "target_type": u.target_type,
                "target_id": u.target_id,
            }
            for u in result.unlinked
        ],
        "relinked": [
            {
                "entity_type": r.entity_type,
                "id": r.id,
                "field": r.field,
                "target_type": r.target_type,
                "target_id": r.target_id,
            }
            for r in result.relinked
        ],
    }


class BinRestoreApi(AccountMixin, APIView):
    """Restore entries of the bin with their original ids, all or nothing: 404 for
    an id you cannot see, 409 with the reason when one cannot come back (already
    back, past the retention days, its id taken), 423 while a restore runs."""

    permission_classes = [IsAccountMember, PlanAllows]
    required_capability = Capability.HISTORY

    @extend_schema(
        operation_id="recycle_bin_restore",
        request=BinRestoreInput,
        responses={
            200: BinRestoreOutput,
            **_ERRORS,
            404: ErrorSerializer,
            409: ErrorSerializer,
            423: ErrorSerializer,
        },
    )
    def post(self, request):
        data = BinRestoreInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = recycle_bin.restore_from_bin(
            account=self.account,
            viewer_membership=membership_of(request.user),
            event_ids=data.validated_data.get("events"),
            operation=data.validated_data.get("operation"),
            include_parents=data.validated_data["include_parents"],
            actor=Actor.for_user(request.user, Source.RECYCLE_BIN),
        )
        return Response(BinRestoreOutput(restore_payload(result)).data)
