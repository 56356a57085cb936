"""API shapes of requests, candidates, runs and reports."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import DeletionReport, Option, RequestRun, RestoreRequest
from .states import undo_allowed


class SnapshotBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    taken_at = serializers.DateTimeField()
    kind = serializers.CharField()
    row_counts = serializers.DictField(child=serializers.IntegerField())
    size_bytes = serializers.IntegerField()


class CandidateSerializer(serializers.Serializer):
    snapshot = SnapshotBriefSerializer()
    recommended = serializers.BooleanField()
    proposed_at = serializers.DateTimeField()


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="run.id")
    purpose = serializers.ChoiceField(choices=RequestRun.Purpose.choices)
    option = serializers.CharField(source="run.option")
    status = serializers.CharField(source="run.status")
    phase = serializers.CharField(source="run.phase")
    progress = serializers.IntegerField(source="run.progress", help_text="0 to 100")
    rows_done = serializers.IntegerField(source="run.rows_done")
    rows_total = serializers.IntegerField(source="run.rows_total")
    started_at = serializers.DateTimeField(source="run.started_at", allow_null=True)
    finished_at = serializers.DateTimeField(source="run.finished_at", allow_null=True)
    error = serializers.CharField(source="run.error")
    result = serializers.JSONField(source="run.result")


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author_name")
    from_helpdesk = serializers.BooleanField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class TransitionSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor = serializers.CharField(source="actor_name")
    at = serializers.DateTimeField()
    note = serializers.CharField()


class RestoreRequestSerializer(serializers.ModelSerializer):
    filed_by = serializers.CharField(source="filed_by.username")
    account = serializers.CharField(source="account.name")
    candidates = CandidateSerializer(many=True)
    runs = RunSerializer(many=True)
    messages = MessageSerializer(many=True)
    transitions = TransitionSerializer(many=True)
    chosen_snapshot = SnapshotBriefSerializer(allow_null=True)
    download_url = serializers.SerializerMethodField()
    undo_available = serializers.SerializerMethodField()

    class Meta:
        model = RestoreRequest
        fields = [
            "id", "account", "status", "deleted_at", "option", "note", "filed_by", "filed_at",
            "candidates", "chosen_snapshot", "chosen_option", "reject_reason", "runs",
            "download_url", "undo_available", "messages", "transitions",
        ]  # fmt: skip

    def _restore_run(self, obj):
        links = [link for link in obj.runs.all() if link.purpose == RequestRun.Purpose.RESTORE]
        return links[-1].run if links else None

    def get_download_url(self, obj) -> str | None:
        run = self._restore_run(obj)
        if run is None or run.option != Option.CSV_EXPORT or run.status != "completed":
            return None
        return reverse("api-restore-request-download", args=[obj.pk])

    def get_undo_available(self, obj) -> bool:
        run = self._restore_run(obj)
        undone = any(link.purpose == RequestRun.Purpose.UNDO for link in obj.runs.all())
        return undo_allowed(obj.status, run.option if run else None, undone=undone)


class RestoreRequestListSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.name")
    filed_by = serializers.CharField(source="filed_by.username")

    class Meta:
        model = RestoreRequest
        fields = ["id", "account", "status", "deleted_at", "option", "filed_by", "filed_at"]


class FileInputSerializer(serializers.Serializer):
    deleted_at = serializers.CharField(
        help_text="When the data was deleted: ISO 8601; without an offset it is read in the "
        "account's time zone."
    )
    option = serializers.ChoiceField(choices=Option.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class ConfirmInputSerializer(serializers.Serializer):
    snapshot = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    option = serializers.ChoiceField(choices=Option.choices)
    confirm_account_name = serializers.CharField(required=False, allow_blank=True, default="")


class ProposeInputSerializer(serializers.Serializer):
    snapshots = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=False,
        max_length=20,
    )
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class MessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class NearestSnapshotSerializer(SnapshotBriefSerializer):
    recommended = serializers.BooleanField()
    contains_deleted = serializers.IntegerField(
        help_text="How many of the records deleted around the time this snapshot holds."
    )
    deleted_around = serializers.IntegerField()


class HelpdeskRequestSerializer(RestoreRequestSerializer):
    plan = serializers.CharField(source="account.plan")
    nearest_snapshots = serializers.SerializerMethodField()

    class Meta(RestoreRequestSerializer.Meta):
        fields = [*RestoreRequestSerializer.Meta.fields, "plan", "nearest_snapshots"]

    @extend_schema_field(NearestSnapshotSerializer(many=True))
    def get_nearest_snapshots(self, obj) -> list[dict]:
        from .nearest import nearest_snapshots

        return NearestSnapshotSerializer(nearest_snapshots(obj), many=True).data


class DeletionReportSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.name")
    reported_by = serializers.CharField(source="reported_by.username")
    closed_by = serializers.CharField(source="closed_by.username", allow_null=True, default=None)

    class Meta:
        model = DeletionReport
        fields = [
            "id", "account", "reported_by", "reported_at", "deleted_at", "person",
            "description", "state", "closed_by", "closed_at", "close_note",
        ]  # fmt: skip


class ReportInputSerializer(serializers.Serializer):
    deleted_at = serializers.CharField()
    person = serializers.CharField(max_length=255)
    description = serializers.CharField(max_length=5000)


class CloseInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)


class PreviewEntitySerializer(serializers.Serializer):
    entity_type = serializers.CharField()
    label = serializers.CharField()
    affected = serializers.BooleanField(
        help_text="Whether the option changes this type (products and custom fields: only the "
        "full account rollback)."
    )
    total = serializers.IntegerField(help_text="Records of this type in the snapshot.")
    back = serializers.IntegerField(help_text="In the snapshot, gone now: they come back.")
    lost = serializers.IntegerField(help_text="Created since the snapshot: a rollback loses them.")
    reverted = serializers.IntegerField(help_text="Changed since the snapshot: set back.")
    unchanged = serializers.IntegerField()
    samples_back = serializers.ListField(child=serializers.CharField())
    samples_lost = serializers.ListField(child=serializers.CharField())
    samples_reverted = serializers.ListField(child=serializers.CharField())


class PreviewSerializer(serializers.Serializer):
    """The impact of restoring a snapshot with an option (R16), changing nothing."""

    snapshot = serializers.IntegerField()
    taken_at = serializers.DateTimeField()
    option = serializers.ChoiceField(choices=Option.choices)
    changes_nothing = serializers.BooleanField(help_text="True for the CSV file.")
    entities = PreviewEntitySerializer(many=True)
