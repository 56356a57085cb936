"""The CSV file of a request (R12.2, R17): only the account's administrators
download it, on the API with their credentials, on pages through a signed link
that expires after a few minutes."""

from __future__ import annotations

from django.core import signing
from django.http import FileResponse
from django.urls import reverse
from django.utils.text import slugify

from recovery_portal.errors import NotFound

from .models import Option, RequestRun, RestoreRequest

LINK_SALT = "restore_requests.download"
LINK_MAX_AGE = 15 * 60  # seconds


def export_run(request: RestoreRequest):
    """The finished CSV export run of the request, or None."""
    link = (
        request.runs.filter(purpose=RequestRun.Purpose.RESTORE, run__option=Option.CSV_EXPORT)
        .select_related("run")
        .last()
    )
    if link is None or link.run.status != "completed" or not link.run.export_path:
        return None
    return link.run


def export_response(request: RestoreRequest) -> FileResponse:
    from backups.restores import open_export

    run = export_run(request)
    if run is None:
        raise NotFound("This request has no CSV file (yet).")
    handle = open_export(run)
    if handle is None:
        raise NotFound("The CSV file has been removed with its snapshot (seven days).")
    day = run.snapshot.taken_at.strftime("%Y-%m-%d")
    filename = f"{slugify(request.account.name) or 'account'}-crm-{day}.zip"
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/zip"
    )


def signed_link(request: RestoreRequest) -> str:
    token = signing.TimestampSigner(salt=LINK_SALT).sign(str(request.pk))
    return reverse("restore_requests:download", args=[token])


def request_id_from(token: str) -> int:
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise NotFound(
            "This download link has expired; open the request again for a new one."
        ) from exc
    except signing.BadSignature as exc:
        raise NotFound("This download link is not valid.") from exc
    return int(value)
