"""The CSV import page (CRM > Import) and `POST /api/v1/crm/import/`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import render
from django.views import View
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import MemberRequiredMixin
from accounts.actors import Actor, Source
from accounts.permissions import AccountMixin, IsAccountMember
from recovery_portal.api import ErrorSerializer
from recovery_portal.errors import DomainError, Invalid

from .csv_format import CSV_ENTITY_TYPES
from .csv_import import import_files, read_upload
from .registry import entity

ENTITY_CHOICES = [("", "From the file name (contacts.csv, …)")] + [
    (t, entity(t).label_plural.capitalize()) for t in CSV_ENTITY_TYPES
]


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file or zip",
        help_text="A zip of a CSV export, or one CSV file (UTF-8, separated by , or ;).",
    )
    entity_type = forms.ChoiceField(label="The file holds", choices=ENTITY_CHOICES, required=False)


class ImportView(MemberRequiredMixin, View):
    template_name = "crm/import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": ImportForm(), "nav": "import"})

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        report = None
        status = 200
        if form.is_valid():
            try:
                files = read_upload(
                    form.cleaned_data["file"], entity_type=form.cleaned_data["entity_type"] or None
                )
                report = import_files(
                    account=self.account,
                    files=files,
                    actor=Actor.for_user(request.user, Source.IMPORT),
                )
            except DomainError as exc:
                placed = False
                for name, msgs in exc.fields.items():
                    if name in form.fields:
                        for msg in msgs:
                            form.add_error(name, msg)
                        placed = True
                if not placed:
                    form.add_error("file", exc.detail)
                status = exc.status
            else:
                messages.success(
                    request,
                    f"Import done: {report.created} created, {report.skipped} already present, "
                    f"{report.refused} refused.",
                )
        else:
            status = 400
        return render(
            request, self.template_name, {"form": form, "report": report, "nav": "import"},
            status=status,
        )  # fmt: skip


class ImportAPIView(AccountMixin, APIView):
    """Import a CSV export (zip) or one CSV file; answers what each row became."""

    permission_classes = [IsAccountMember]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "entity_type": {"type": "string", "enum": list(CSV_ENTITY_TYPES)},
                },
                "required": ["file"],
            }
        },
        responses={
            200: inline_serializer(
                "ImportReport",
                {
                    "operation": serializers.UUIDField(),
                    "created": serializers.IntegerField(),
                    "skipped": serializers.IntegerField(),
                    "refused": serializers.IntegerField(),
                    "files": serializers.ListField(child=serializers.DictField()),
                },
            ),
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            413: ErrorSerializer,
            423: ErrorSerializer,
        },
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise Invalid("Attach the file to import.", fields={"file": ["No file was sent."]})
        entity_type = request.data.get("entity_type") or None
        if entity_type and entity_type not in CSV_ENTITY_TYPES:
            raise Invalid(
                f"Unknown entity_type “{entity_type}”.",
                fields={"entity_type": [f"Choose one of: {', '.join(CSV_ENTITY_TYPES)}."]},
            )
        report = import_files(
            account=self.account,
            files=read_upload(upload, entity_type=entity_type),
            actor=Actor.for_user(request.user, Source.IMPORT),
        )
        return Response(
            {
                "operation": report.operation,
                "created": report.created,
                "skipped": report.skipped,
                "refused": report.refused,
                "files": [
                    {
                        "name": f.name,
                        "entity_type": f.entity_type,
                        "created": f.created,
                        "skipped": f.skipped,
                        "refused": f.refused,
                        "unknown_columns": f.unknown_columns,
                        "rows": [r.__dict__ for r in f.rows],
                    }
                    for f in report.files
                ],
            }
        )
