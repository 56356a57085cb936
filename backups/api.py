"""API of the snapshots: `GET /api/v1/backups/snapshots/` lists the caller's
account's available snapshots (R7: complete, last seven days), administrators
only; `GET /api/v1/backups/snapshots/<id>/` one of them (another account's is 404)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from accounts.permissions import AccountMixin, IsAccountAdmin, IsAccountMember
from recovery_portal.api import ErrorSerializer, KeysetPagination

from . import selectors
from .models import Snapshot


class SnapshotSerializer(serializers.ModelSerializer):
    records = serializers.IntegerField(read_only=True)
    row_counts = serializers.DictField(child=serializers.IntegerField())

    class Meta:
        model = Snapshot
        fields = [
            "id",
            "kind",
            "status",
            "taken_at",
            "day",
            "records",
            "row_counts",
            "size_bytes",
            "format_version",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


_ERRORS = {401: ErrorSerializer, 403: ErrorSerializer}


@extend_schema_view(
    list=extend_schema(
        responses={200: SnapshotSerializer(many=True), **_ERRORS, 400: ErrorSerializer}
    ),
    retrieve=extend_schema(responses={200: SnapshotSerializer, **_ERRORS, 404: ErrorSerializer}),
)
class SnapshotViewSet(
    AccountMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The account's available snapshots (complete, at most seven days old), newest first."""

    permission_classes = [IsAccountMember, IsAccountAdmin]
    serializer_class = SnapshotSerializer
    pagination_class = KeysetPagination
    keyset_ordering = ("-taken_at", "-id")
    keyset_scope = "backups.snapshots"
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Snapshot.objects.none()
        return selectors.available_snapshots(self.account)
