"""Limits every request shares, before any view reads a byte of the body, the
API's error shape for answers that Django gives before DRF is reached, and
OPTIONS refused.

- A body larger than its limit is refused with 413 `payload_too_large`: a form
  or JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE, an upload (multipart) over
  IMPORT_MAX_BYTES plus room for the form's other fields, or an upload whose
  fields besides the files are over DATA_UPLOAD_MAX_MEMORY_SIZE. (DRF reads a JSON
  body from the stream, past Django's own check, so the limit is applied here.)
- Under /api/, an error answer that is not JSON (an unknown URL, a method the
  URL does not take, a bad request Django refused) becomes `{"code", "detail"}`.
- OPTIONS is refused with 405 on every page, before the view and whoever asks
  (Django's View.options answered 200 without looking the object up, so another
  account's ids answered as if they were ours). The API refuses it in DRF, after
  authentication (no DEFAULT_METADATA_CLASS). The site serves no CORS, so no
  browser needs OPTIONS for a preflight. No Allow header names OPTIONS.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render

from .errors import FRAMEWORK_CODES, PayloadTooLarge

API_PREFIX = "/api/"
MULTIPART_OVERHEAD = 64 * 1024  # the form's other fields and the part headers

_CODE_BY_STATUS = {status: code for code, status in FRAMEWORK_CODES.items()}
_CODE_BY_STATUS.update({400: "invalid", 403: "permission_denied", 413: "payload_too_large"})
_DETAIL_BY_CODE = {
    "invalid": "The request is not valid.",
    "not_found": "There is no such address in the API.",
    "method_not_allowed": "This address does not take that method.",
    "permission_denied": "You do not have permission to do this.",
    "payload_too_large": "The request is too large.",
    "server_error": "Something went wrong on our side; nothing was changed. Try again later.",
}


def body_limit(request) -> int:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        return settings.IMPORT_MAX_BYTES + MULTIPART_OVERHEAD
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


class RequestLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit(request)
        if length > limit:
            return _too_large(
                request, f"The request is {_megabytes(length)}; the limit is {_megabytes(limit)}."
            )
        response = self.get_response(request)
        if _is_api(request) and response.status_code >= 400 and not _is_json(response):
            code = _CODE_BY_STATUS.get(response.status_code, "invalid")
            if response.status_code >= 500:
                code = "server_error"
            json_response = JsonResponse(
                {"code": code, "detail": _DETAIL_BY_CODE.get(code, "The request was refused.")},
                status=response.status_code,
            )
            if response.has_header("Allow"):
                json_response["Allow"] = response["Allow"]
            return json_response
        return response

    def process_exception(self, request, exception):
        """The form fields of an upload over DATA_UPLOAD_MAX_MEMORY_SIZE (Django finds
        it while parsing, inside the view): 413, not Django's bare 400."""
        if isinstance(exception, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return _too_large(
                request,
                f"The form's fields are over {_megabytes(limit)}; the limit is "
                f"{_megabytes(limit)} besides the files.",
            )
        return None


# A function view (the start page, the Django admin's) names no methods of its own.
FUNCTION_VIEW_ALLOWS = ("GET", "HEAD", "POST")


class RefuseOptionsMiddleware:
    """OPTIONS on a page: 405 before the view; every answer's Allow without OPTIONS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Allow"):
            allowed = [m.strip() for m in response["Allow"].split(",")]
            response["Allow"] = ", ".join(m for m in allowed if m and m != "OPTIONS")
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "OPTIONS" or _is_api(request):
            return None
        return HttpResponseNotAllowed(_page_methods(view_func))


def _page_methods(view_func) -> list[str]:
    view_class = getattr(view_func, "view_class", None)
    if view_class is None:
        return list(FUNCTION_VIEW_ALLOWS)
    names = [m for m in view_class.http_method_names if m != "options"]
    methods = [m.upper() for m in names if hasattr(view_class, m)]
    if "GET" in methods and "head" in names and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")  # View.setup serves HEAD as GET
    return methods


def _too_large(request, detail: str):
    error = PayloadTooLarge(detail)
    if _is_api(request):
        return JsonResponse({"code": error.code, "detail": error.detail}, status=error.status)
    return render(request, "413.html", {"detail": error.detail}, status=error.status)


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
