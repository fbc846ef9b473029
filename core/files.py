"""Uploads live under MEDIA_ROOT, outside the web root, and have no public URL. A view that
has already checked the user's right to the object serves the file with this helper."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def protected_file_response(file: FieldFile, *, filename: str, content_type: str = "application/pdf") -> FileResponse:
    if not file:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
