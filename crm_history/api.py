"""`GET /api/v1/history/events/`: the timeline (R2) for API clients, through the
same selector and filter set as the page. Plans without History answer 403
`plan_upgrade_required` (R3)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from accounts.capabilities import Capability
from accounts.permissions import AccountMixin, IsAccountMember, PlanAllows
from recovery_portal.api import ErrorSerializer, KeysetPagination

from . import selectors
from .filters import MOMENT_HELP, entity_type_choices
from .models import Action, Event
from .serializers import HistoryEventSerializer

_MOMENT = (
    " A time without an offset is read in the account's time zone. "
    "Malformed dates, and local times skipped by daylight saving, are a 400."
)


def _parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "action",
            str,
            enum=list(Action.values),
            description="Only this action (`delete`, with no other filter, lists every deletion).",
        ),
        OpenApiParameter(
            "entity_type",
            str,
            enum=[value for value, _ in entity_type_choices()],
            description="Only records of this type.",
        ),
        OpenApiParameter(
            "actor",
            str,
            description=(
                "Only events by this username (exactly), with what the system did on their "
                "behalf (a restore they asked for); `system`: everything the system did."
            ),
        ),
        OpenApiParameter(
            "occurred_after",
            OpenApiTypes.STR,
            description=f"From this moment, inclusive. {MOMENT_HELP}{_MOMENT}",
        ),
        OpenApiParameter(
            "occurred_before",
            OpenApiTypes.STR,
            description=(
                f"Before this moment; a date includes that whole day. {MOMENT_HELP}{_MOMENT}"
            ),
        ),
        OpenApiParameter("q", str, description="Text contained in the record's title."),
    ]


class EventListView(AccountMixin, generics.ListAPIView):
    """The account's History, newest first, 50 a page (cursor pages)."""

    permission_classes = [IsAccountMember, PlanAllows]
    required_capability = Capability.HISTORY  # R3: a plan with History, or the demo
    serializer_class = HistoryEventSerializer
    pagination_class = KeysetPagination
    filter_backends: list = []  # the selector applies the shared filter set
    keyset_ordering = selectors.TIMELINE_ORDERING

    @property
    def keyset_scope(self) -> str:
        return selectors.cursor_scope(self.account)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        return selectors.event_list(account=self.account, filters=self.request.query_params)

    @extend_schema(
        operation_id="history_events_list",
        parameters=_parameters(),
        responses={
            200: HistoryEventSerializer(many=True),
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
        },
    )
    def get(self, request, *args, **kwargs):
        events = self.paginate_queryset(self.get_queryset())
        context = {
            **self.get_serializer_context(),
            "record_urls": selectors.record_urls(account=self.account, events=events),
        }
        data = HistoryEventSerializer(events, many=True, context=context).data
        return self.get_paginated_response(data)
