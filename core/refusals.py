"""The one error path of the HTML views.

A view runs a service inside ``refusals``; what the service refuses becomes words on the page,
and nothing the person typed is lost:

    with refusals(request, form=form) as outcome:
        services.round_assign(actor=request.user, review_round=review_round)
    if outcome.refused:
        return render(request, "...", {"form": form})   # the form keeps what was typed

- ``PermissionDenied`` answers 404, as an object the user may not see does everywhere.
- ``RuleViolation``, ``StateConflict`` and ``ValidationError`` are caught. Messages that name a
  field of ``form`` go on that field; the rest go on the form's top (or, without a form, or with
  ``flash=True``, into the page's messages). The rule's message names its article.

The API needs none of this: ``core.api.exception_handler`` maps the same exceptions.
"""

from __future__ import annotations

from typing import Self

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest

from core.exceptions import RuleViolation, StateConflict

REFUSALS = (RuleViolation, StateConflict, ValidationError)


def problems(error: Exception) -> list[tuple[str | None, str]]:
    """A refusal as (field or None, message) pairs, in the order a person should read them."""
    if isinstance(error, RuleViolation):
        # A field's text goes beside its field even when it repeats the rule's whole message;
        # ``flash`` says each text once.
        pairs: list[tuple[str | None, str]] = [(None, error.message)]
        for field, texts in error.fields.items():
            pairs.extend((field, text) for text in texts)
        for finding in error.findings:
            text = finding.get("message") if isinstance(finding, dict) else getattr(finding, "message", "")
            if text and text != error.message:
                pairs.append((None, text))
        return pairs
    if isinstance(error, StateConflict):
        return [(None, error.message)]
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [
                (None if field == "__all__" else field, text)
                for field, texts in error.message_dict.items()
                for text in texts
            ]
        return [(None, text) for text in error.messages]
    return [(None, str(error))]


def add_to_form(form: django_forms.BaseForm, error: Exception) -> None:
    """Put a refusal on ``form``: on the field it names when the form has it, else on top."""
    for field, text in problems(error):
        if field in form.fields and (field not in form.errors or text not in form.errors[field]):
            form.add_error(field, text)
        elif field not in form.fields and text not in form.non_field_errors():
            form.add_error(None, text)


def flash(request: HttpRequest, error: Exception) -> None:
    """A refusal as error messages on the next page."""
    seen: set[str] = set()
    for _field, text in problems(error):
        if text not in seen:
            seen.add(text)
            messages.error(request, text)


def flash_form_errors(request: HttpRequest, form: django_forms.BaseForm) -> None:
    """An invalid form's errors as messages (for a form posted from a page that redirects),
    each prefixed with its field's label."""
    for name, texts in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for text in texts:
            messages.error(request, f"{label}: {text}" if label else text)


class refusals:
    """Catch what a service refuses (see the module docstring). ``outcome.refused`` says
    whether it did, ``outcome.error`` holds the refusal."""

    def __init__(self, request: HttpRequest, *, form: django_forms.BaseForm | None = None, flash: bool = False):
        self.request = request
        self.form = form
        self.flash = flash or form is None
        self.refused = False
        self.error: Exception | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if exc is None:
            return False
        if isinstance(exc, PermissionDenied):
            raise Http404 from exc
        if not isinstance(exc, REFUSALS):
            return False
        self.refused = True
        self.error = exc
        if self.form is not None:
            add_to_form(self.form, exc)
        if self.flash:
            flash(self.request, exc)
        return True
