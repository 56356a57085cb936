"""REST API of restore requests, deletion reports and the helpdesk console.
Each view validates input, calls one service, and answers the object."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts.capabilities import Capability
from accounts.permissions import (
    AccountMixin,
    IsAccountAdmin,
    IsAccountMember,
    IsHelpdesk,
    PlanAllows,
)
from accounts.timezones import parse_local
from recovery_portal.api import ErrorSerializer, KeysetPagination
from recovery_portal.errors import Invalid, NotFound

from . import downloads, selectors, services
from .models import DeletionReport, Option, RestoreRequest, Status
from .serializers import (
    CloseInputSerializer,
    ConfirmInputSerializer,
    DeletionReportSerializer,
    FileInputSerializer,
    HelpdeskRequestSerializer,
    MessageInputSerializer,
    MessageSerializer,
    PreviewSerializer,
    ProposeInputSerializer,
    RejectInputSerializer,
    ReportInputSerializer,
    RestoreRequestListSerializer,
    RestoreRequestSerializer,
)


def _errors(*codes: int) -> dict:
    return dict.fromkeys(codes, ErrorSerializer)


# What each kind of endpoint can answer besides success (api.md, "Errors").
LIST_ERRORS = _errors(400, 401, 403)  # a bad cursor or filter; who may call
CREATE_ERRORS = _errors(400, 401, 403)
READ_ERRORS = _errors(401, 403, 404)
QUERY_ERRORS = _errors(400, 401, 403, 404)
ACTION_ERRORS = _errors(400, 401, 403, 404, 409)  # 409: invalid_transition, conflict

_DETAIL_PREFETCH = ["candidates__snapshot", "runs__run", "messages", "transitions"]


class AdminRequestMixin(AccountMixin):
    permission_classes = [IsAccountMember, IsAccountAdmin]

    def get_request_object(self, pk) -> RestoreRequest:
        obj = (
            selectors.requests_of(self.account)
            .prefetch_related(*_DETAIL_PREFETCH)
            .filter(pk=pk)
            .first()
        )
        if obj is None:
            raise NotFound(f"There is no restore request #{pk} in this account.")
        return obj

    def detail(self, obj, code=status.HTTP_200_OK, headers=None) -> Response:
        obj = self.get_request_object(obj.pk)
        return Response(RestoreRequestSerializer(obj).data, status=code, headers=headers)


class RequestListView(AdminRequestMixin, GenericAPIView):
    """The account's restore requests (administrators), newest first; file a new one."""

    pagination_class = KeysetPagination
    keyset_ordering = ("-filed_at", "-id")
    keyset_scope = "restore-requests"
    serializer_class = RestoreRequestListSerializer
    required_capability = Capability.RESTORE

    def get_permissions(self):
        permissions = super().get_permissions()
        if self.request.method == "POST":
            # R17: the plan is checked before the input (403 plan_upgrade_required).
            permissions.append(PlanAllows())
        return permissions

    def get_queryset(self):
        return selectors.requests_of(self.account)

    @extend_schema(responses={200: RestoreRequestListSerializer(many=True), **LIST_ERRORS})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RestoreRequestListSerializer(page, many=True).data)

    @extend_schema(
        request=FileInputSerializer, responses={201: RestoreRequestSerializer, **CREATE_ERRORS}
    )
    def post(self, request):
        data = FileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deleted_at = parse_local(
            data.validated_data["deleted_at"], self.account, field="deleted_at"
        )
        obj = services.request_file(
            account=self.account,
            actor=request.user,
            deleted_at=deleted_at,
            option=data.validated_data["option"],
            note=data.validated_data["note"],
        )
        location = reverse("api-restore-request", args=[obj.pk])
        return self.detail(obj, status.HTTP_201_CREATED, {"Location": location})


class RequestDetailView(AdminRequestMixin, GenericAPIView):
    """One request: status, candidates, chosen snapshot, progress of its runs, result links."""

    serializer_class = RestoreRequestSerializer

    @extend_schema(responses={200: RestoreRequestSerializer, **READ_ERRORS})
    def get(self, request, pk):
        return self.detail(self.get_request_object(pk))


class RequestPreviewView(AdminRequestMixin, GenericAPIView):
    """The impact of restoring a candidate snapshot with an option, changing nothing."""

    @extend_schema(
        parameters=[
            OpenApiParameter("snapshot", int, required=True),
            OpenApiParameter("option", str, enum=Option.values, required=False),
        ],
        responses={200: PreviewSerializer, **QUERY_ERRORS},
    )
    def get(self, request, pk):
        from backups.restores import preview

        obj = self.get_request_object(pk)
        raw = request.query_params.get("snapshot", "")
        option = request.query_params.get("option") or obj.option
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 2**63 - 1:
            raise Invalid(
                "snapshot must be a snapshot id.", fields={"snapshot": ["Enter a snapshot id."]}
            )
        if option not in Option.values:
            raise Invalid(
                f"Unknown option “{option}”.",
                fields={"option": [f"Choose one of: {', '.join(Option.values)}."]},
            )
        candidate = obj.candidates.filter(snapshot_id=int(raw)).select_related("snapshot").first()
        if candidate is None:
            raise NotFound(f"Snapshot {raw} is not one of this request's candidates.")
        return Response(
            preview(account=self.account, snapshot=candidate.snapshot, option=option).as_dict()
        )


class RequestConfirmView(AdminRequestMixin, GenericAPIView):
    """R16: choose one proposed snapshot and one option; the run starts (202)."""

    @extend_schema(
        request=ConfirmInputSerializer,
        responses={202: RestoreRequestSerializer, **ACTION_ERRORS},
    )
    def post(self, request, pk):
        obj = self.get_request_object(pk)
        data = ConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.request_confirm(
            request=obj,
            snapshot_id=data.validated_data["snapshot"],
            option=data.validated_data["option"],
            confirm_account_name=data.validated_data["confirm_account_name"],
            actor=request.user,
        )
        return self.detail(obj, status.HTTP_202_ACCEPTED)


class RequestCancelView(AdminRequestMixin, GenericAPIView):
    @extend_schema(request=None, responses={200: RestoreRequestSerializer, **ACTION_ERRORS})
    def post(self, request, pk):
        obj = self.get_request_object(pk)
        services.request_cancel(request=obj, actor=request.user)
        return self.detail(obj)


class RequestUndoView(AdminRequestMixin, GenericAPIView):
    """Undo a completed rollback: a new run back to its safety snapshot (202)."""

    @extend_schema(request=None, responses={202: RestoreRequestSerializer, **ACTION_ERRORS})
    def post(self, request, pk):
        obj = self.get_request_object(pk)
        services.request_undo(request=obj, actor=request.user)
        return self.detail(obj, status.HTTP_202_ACCEPTED)


class RequestDownloadView(AdminRequestMixin, GenericAPIView):
    """The CSV file of a finished CSV export: a zip, for the account's administrators only."""

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The zip of CSV files."
            ),
            **READ_ERRORS,
        }
    )
    def get(self, request, pk):
        obj = self.get_request_object(pk)
        return downloads.export_response(obj)


class MessagePostMixin:
    """POST a message on a request that the view's `get_request_object` finds for the
    caller (the account's administrators, or helpdesk staff)."""

    @extend_schema(
        request=MessageInputSerializer, responses={201: MessageSerializer, **QUERY_ERRORS}
    )
    def post(self, request, pk):
        obj = self.get_request_object(pk)
        data = MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.request_message(
            request=obj, actor=request.user, body=data.validated_data["body"]
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class RequestMessageView(AdminRequestMixin, MessagePostMixin, GenericAPIView):
    """A message to the helpdesk on one of the account's requests."""


class ReportListView(AdminRequestMixin, GenericAPIView):
    """R11: the account's deletion reports; report a deletion by an unregistered person."""

    pagination_class = KeysetPagination
    keyset_ordering = ("-reported_at", "-id")
    keyset_scope = "deletion-reports"
    serializer_class = DeletionReportSerializer
    queryset = DeletionReport.objects.none()

    @extend_schema(responses={200: DeletionReportSerializer(many=True), **LIST_ERRORS})
    def get(self, request):
        qs = DeletionReport.objects.filter(account=self.account).select_related(
            "account", "reported_by", "closed_by"
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DeletionReportSerializer(page, many=True).data)

    @extend_schema(
        request=ReportInputSerializer, responses={201: DeletionReportSerializer, **CREATE_ERRORS}
    )
    def post(self, request):
        data = ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_file(
            account=self.account,
            actor=request.user,
            deleted_at=parse_local(
                data.validated_data["deleted_at"], self.account, field="deleted_at"
            ),
            person=data.validated_data["person"],
            description=data.validated_data["description"],
        )
        return Response(DeletionReportSerializer(report).data, status=status.HTTP_201_CREATED)


# --- Helpdesk ---------------------------------------------------------------------


class HelpdeskMixin:
    permission_classes = [IsHelpdesk]

    def get_request_object(self, pk) -> RestoreRequest:
        return get_object_or_404(
            RestoreRequest.objects.select_related(
                "account", "filed_by", "chosen_snapshot"
            ).prefetch_related(*_DETAIL_PREFETCH),
            pk=pk,
        )

    def detail(self, obj, code=status.HTTP_200_OK) -> Response:
        return Response(
            HelpdeskRequestSerializer(self.get_request_object(obj.pk)).data, status=code
        )


class HelpdeskQueueView(HelpdeskMixin, GenericAPIView):
    """Open requests, oldest first; filter by status, plan and age."""

    pagination_class = KeysetPagination
    keyset_ordering = ("filed_at", "id")
    keyset_scope = "helpdesk-queue"
    serializer_class = RestoreRequestListSerializer
    queryset = RestoreRequest.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Status.values),
            OpenApiParameter(
                "plan", str, enum=["free", "basic", "standard", "professional", "enterprise"]
            ),
            OpenApiParameter(
                "older_than",
                int,
                description=(
                    "Only requests waiting longer than this many hours since they were "
                    f"filed: a whole number from 1 to {selectors.MAX_AGE_HOURS} (the "
                    "console offers 1, 24 and 72). Anything else is 400 `invalid`."
                ),
            ),
        ],
        responses={200: RestoreRequestListSerializer(many=True), **LIST_ERRORS},
    )
    def get(self, request):
        from accounts.models import Plan

        status_filter = request.query_params.get("status") or None
        plan = request.query_params.get("plan") or None
        if status_filter and status_filter not in Status.values:
            raise Invalid(
                f"Unknown status “{status_filter}”.",
                fields={"status": [f"Choose one of: {', '.join(Status.values)}."]},
            )
        if plan and plan not in Plan.values:
            raise Invalid(
                f"Unknown plan “{plan}”.",
                fields={"plan": [f"Choose one of: {', '.join(Plan.values)}."]},
            )
        older_than = selectors.parse_older_than(request.query_params.get("older_than"))
        queue = selectors.helpdesk_queue(status=status_filter, plan=plan, older_than=older_than)
        page = self.paginate_queryset(queue)
        return self.get_paginated_response(RestoreRequestListSerializer(page, many=True).data)


class HelpdeskRequestView(HelpdeskMixin, GenericAPIView):
    """One request with the account's snapshots nearest to the deletion time (R15)."""

    serializer_class = HelpdeskRequestSerializer

    @extend_schema(responses={200: HelpdeskRequestSerializer, **READ_ERRORS})
    def get(self, request, pk):
        return self.detail(self.get_request_object(pk))


class HelpdeskProposeView(HelpdeskMixin, GenericAPIView):
    @extend_schema(
        request=ProposeInputSerializer, responses={200: HelpdeskRequestSerializer, **ACTION_ERRORS}
    )
    def post(self, request, pk):
        obj = self.get_request_object(pk)
        data = ProposeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.request_propose(
            request=obj,
            snapshot_ids=data.validated_data["snapshots"],
            message=data.validated_data["message"],
            actor=request.user,
        )
        return self.detail(obj)


class HelpdeskRejectView(HelpdeskMixin, GenericAPIView):
    @extend_schema(
        request=RejectInputSerializer, responses={200: HelpdeskRequestSerializer, **ACTION_ERRORS}
    )
    def post(self, request, pk):
        obj = self.get_request_object(pk)
        data = RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.request_reject(
            request=obj, reason=data.validated_data["reason"], actor=request.user
        )
        return self.detail(obj)


class HelpdeskMessageView(HelpdeskMixin, MessagePostMixin, GenericAPIView):
    """A message to the account's administrators on any request."""


class HelpdeskReportListView(HelpdeskMixin, GenericAPIView):
    pagination_class = KeysetPagination
    keyset_ordering = ("reported_at", "id")
    keyset_scope = "helpdesk-reports"
    serializer_class = DeletionReportSerializer
    queryset = DeletionReport.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=DeletionReport.State.values)],
        responses={200: DeletionReportSerializer(many=True), **LIST_ERRORS},
    )
    def get(self, request):
        state = request.query_params.get("state") or None
        if state and state not in DeletionReport.State.values:
            raise Invalid(f"Unknown state “{state}”.", fields={"state": ["Choose open or closed."]})
        qs = DeletionReport.objects.select_related("account", "reported_by", "closed_by")
        if state:
            qs = qs.filter(state=state)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DeletionReportSerializer(page, many=True).data)


class HelpdeskReportCloseView(HelpdeskMixin, GenericAPIView):
    @extend_schema(
        request=CloseInputSerializer, responses={200: DeletionReportSerializer, **ACTION_ERRORS}
    )
    def post(self, request, pk):
        report = get_object_or_404(DeletionReport, pk=pk)
        data = CloseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_close(
            report=report, note=data.validated_data["note"], actor=request.user
        )
        return Response(DeletionReportSerializer(report).data)
