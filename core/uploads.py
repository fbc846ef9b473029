"""Upload policy for every file a person gives the portal: PDF only, at most 20 MB, no active
content. Attachments, commitment letters and tech-report full texts are all served on to other
people (reviewers, agencies, and for public reports anyone), so they pass the same checks.

The S11 check of a declared classification level (SECRETS-LAW §24) belongs to ``secrecy``;
an app that takes classified attachments calls it before these."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# Active content a PDF must not carry (it is served to reviewers, agencies and the public).
PDF_ACTIVE_CONTENT = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/OpenAction")


def check_pdf(content: bytes, name: str, *, field: str = "file") -> None:
    """Refuse ``content`` unless it is a plain PDF of at most 20 MB; the error names the file."""
    if not content.startswith(b"%PDF-"):
        raise ValidationError(
            {field: [_("%(name)s is not a PDF file: only PDF attachments are accepted.") % {"name": name}]}
        )
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValidationError({field: [_("%(name)s is larger than 20 MB.") % {"name": name}]})
    if any(marker in content for marker in PDF_ACTIVE_CONTENT):
        raise ValidationError(
            {
                field: [
                    _("%(name)s contains scripts, launch actions or embedded files; save it again as a plain PDF.")
                    % {"name": name}
                ]
            }
        )


def read_pdf(uploaded_file, *, field: str = "file", default_name: str = "attachment.pdf") -> tuple[bytes, str]:
    """Read an uploaded file (no more than one byte past the limit) and check it as a PDF.
    Returns its content and its name; the file is rewound for whoever stores it."""
    content = uploaded_file.read(MAX_ATTACHMENT_BYTES + 1)
    name = getattr(uploaded_file, "name", None) or default_name
    check_pdf(content, name, field=field)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    return content, name
