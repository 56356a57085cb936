"""What every API endpoint shares: the error shape and the list shapes.

Errors are always `{"code", "detail"}` (plus `fields` for validation errors),
whatever raised them: a service's DomainError, a DRF exception, a Django
ValidationError or a 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .errors import DomainError
from .pagination import KeysetPage, paginate_keyset, parse_page_size

_CODE_BY_EXCEPTION = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "invalid",
}


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for v in detail.values() for m in _flatten(v)]
    if isinstance(detail, list):
        return [m for v in detail for m in _flatten(v)]
    return [str(detail)]


def _fields(detail) -> dict:
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    body = {"code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return body


def validation_detail(fields: dict) -> str:
    """A sentence naming the first field and its first message."""
    for name, messages in fields.items():
        if messages:
            if name in ("non_field_errors", "__all__"):
                return str(messages[0])
            return f"{name}: {messages[0]}"
    return "Some fields are not valid."


def exception_handler(exc, context):
    headers = {}
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.detail, exc.fields), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        fields = (
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        if "__all__" in fields:
            fields["non_field_errors"] = fields.pop("__all__")
        return Response(error_body("invalid", validation_detail(fields), fields), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(exc.detail)
        return Response(
            error_body("invalid", validation_detail(fields), fields), status=400, headers=headers
        )
    code = _CODE_BY_EXCEPTION.get(type(exc))
    if code is None:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "permission_denied"
        if code == "not_authenticated" and exc.status_code == 403:
            code = "permission_denied"
    detail = exc.detail if isinstance(exc.detail, str) else " ".join(_flatten(exc.detail))
    return Response(error_body(code, str(detail)), status=exc.status_code, headers=headers)


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer."""

    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class PageNumberPagination(pagination.PageNumberPagination):
    """CRM lists: `?page=` and `?page_size=` (default 50, at most 200; more is a 400)."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        return parse_page_size(
            request.query_params.get(self.page_size_query_param),
            default=self.page_size,
            maximum=self.max_page_size,
        )

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw not in (None, ""):
            try:
                if int(raw) < 1:
                    raise ValueError
            except ValueError as exc:
                raise exceptions.ValidationError(
                    {"page": ["Enter a whole number from 1."]}
                ) from exc
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "The page number, from 1.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Rows per page, 1 to {self.max_page_size} (default {self.page_size})."
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results", "next", "previous"],
            "properties": {
                "count": {"type": "integer"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


class KeysetPagination(pagination.BasePagination):
    """Cursor pages for long, growing lists (History, recycle bin, alerts, requests).

    Views set `keyset_ordering` (every field one direction, the last unique) and
    `keyset_scope` (so a cursor of one list is refused by another).
    """

    cursor_query_param = "cursor"
    page_size = 50
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = parse_page_size(
            request.query_params.get("page_size"),
            default=self.page_size,
            maximum=self.max_page_size,
        )
        self.page: KeysetPage = paginate_keyset(
            queryset,
            ordering=view.keyset_ordering,
            cursor=request.query_params.get(self.cursor_query_param) or None,
            page_size=size,
            scope=view.keyset_scope,
        )
        return self.page.items

    def _link(self, cursor):
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.page.next_cursor),
                "previous": self._link(self.page.previous_cursor),
                "results": data,
            }
        )

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The opaque cursor from a previous answer's next or previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": (
                    f"Rows per page, 1 to {self.max_page_size} (default {self.page_size})."
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next", "previous"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


# --- What every operation can answer, added to the schema --------------------------------


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def add_shared_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation can be throttled (429
    `throttled`, or `login_locked` on the token), and every operation that takes a
    body can be refused as too large (413 `payload_too_large`, before the view)."""
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("429", _error_response("Too many requests: wait Retry-After."))
            if "requestBody" in operation:
                responses.setdefault("413", _error_response("The request body is too large."))
    return result


def document_inputs_as_read(result, generator, request, public):
    """drf-spectacular postprocessing hook: the schema says what the API accepts.

    - An optional query parameter sent empty is the same as not sent (the filters
      are shared with the pages' forms): `allowEmptyValue`.
    - A decimal field of a request body takes a JSON number as well as a string.
    - A boolean field of a request body takes what DRF reads as one (1, "true", …).
    """
    from rest_framework.fields import BooleanField

    literals = [0, 1] + sorted(
        v for v in BooleanField.TRUE_VALUES | BooleanField.FALSE_VALUES if isinstance(v, str)
    )
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        for field_name, prop in list(component.get("properties", {}).items()):
            if prop.get("readOnly"):
                continue
            shared = {k: prop.pop(k) for k in ("nullable", "description", "title", "default")
                      if k in prop}  # fmt: skip
            if prop.get("type") == "string" and prop.get("format") == "decimal":
                prop = {"oneOf": [prop, {"type": "number"}], **shared}
            elif prop.get("type") == "boolean":
                prop = {"oneOf": [prop, {"enum": literals}], **shared}
            else:
                prop.update(shared)
            component["properties"][field_name] = prop
    return result


def docs_view():
    """The Swagger UI page: its script is served as a file (no inline script, as
    the site's Content Security Policy wants); the page's own inline <style> is
    allowed on this page alone."""
    from csp.decorators import csp_update
    from drf_spectacular.views import SpectacularSwaggerSplitView

    view = SpectacularSwaggerSplitView.as_view(url_name="api-schema")
    return csp_update({"style-src": ["'unsafe-inline'"]})(view)
