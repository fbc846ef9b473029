"""Task books (任务书, P5 — KRD-MGMT §33): the page, the leader's drafting and indicators, the
agency's review, both parties' signatures and the PDF."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import declare_access, roles
from core.exceptions import StateConflict
from core.refusals import flash_form_errors, refusals
from projects import extensions, policies, selectors, services
from projects.forms import TaskBookForm
from projects.models import TaskBook

TASK_BOOK_ROLES = ("applicant", "unit_admin", "agency", "ministry", "admin")


def _task_book(request, pk):
    return selectors.task_book_get_for_user(request.user, pk)


@require_GET
@declare_access(roles(*TASK_BOOK_ROLES, object_scoped=True))
def task_book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    book = _task_book(request, pk)
    return render(
        request,
        "projects/task_book_detail.html",
        {
            "book": book,
            "indicators": book.indicators.select_related("applied"),
            "editable": policies.is_leader_of(request.user, book.project) and book.state == book.State.DRAFT,
            "form": TaskBookForm(instance=book),
            "budget": extensions.task_book_budget(book),
            "required_reports": extensions.report_plan(book.project),
            "is_agency": policies.may_review_task_book(request.user, book),
        },
    )


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def task_book_save(request: HttpRequest, pk: int) -> HttpResponse:
    book = _task_book(request, pk)
    form = TaskBookForm(request.POST, instance=TaskBook.objects.get(pk=book.pk))
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("projects:task_book_detail", pk=book.pk)
    with refusals(request) as outcome:
        services.task_book_save(
            actor=request.user, book=book, **{name: form.cleaned_data[name] for name in form.changed_data}
        )
    if not outcome.refused:
        messages.success(request, _("Saved."))
    return redirect("projects:task_book_detail", pk=book.pk)


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def task_book_indicator(request: HttpRequest, pk: int, indicator_pk: int) -> HttpResponse:
    book = _task_book(request, pk)
    indicator = book.indicators.filter(pk=indicator_pk).first()
    if indicator is None:
        raise Http404
    with refusals(request) as outcome:
        services.task_book_indicator_set(
            actor=request.user, indicator=indicator, target_value=request.POST.get("target_value", "").strip()
        )
    if not outcome.refused:
        messages.success(request, _("Indicator updated."))
    return redirect("projects:task_book_detail", pk=book.pk)


@require_POST
@declare_access(roles(*TASK_BOOK_ROLES, object_scoped=True))
def task_book_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """submit (leader), agree / return (agency), sign (either party)."""
    book = _task_book(request, pk)
    actions = {
        "submit": lambda: services.task_book_submit(actor=request.user, book=book),
        "agree": lambda: services.task_book_review(actor=request.user, book=book, agreed=True),
        "return": lambda: services.task_book_review(
            actor=request.user, book=book, agreed=False, comment=request.POST.get("comment", "")
        ),
        "sign": lambda: services.task_book_sign(actor=request.user, book=book),
    }
    if action not in actions:
        raise Http404
    with refusals(request) as outcome:
        try:
            actions[action]()
        except PermissionDenied as error:
            # Everyone who reaches this page sees the task book: a step their side may not take
            # is said on the page, not answered with a 404.
            raise StateConflict(_("Your role cannot do this on this task book.")) from error
    if not outcome.refused:
        messages.success(request, _("Done."))
    return redirect("projects:task_book_detail", pk=book.pk)


@require_GET
@declare_access(roles(*TASK_BOOK_ROLES, object_scoped=True))
def task_book_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from projects.documents import task_book_pdf as render_task_book

    book = _task_book(request, pk)
    response = HttpResponse(render_task_book(book), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="task-book-{book.project.number}-{book.pk}.pdf"'
    return response


# ``save/`` and ``pdf/`` before the actions' ``<slug:action>/``, which would take them.
urlpatterns = [
    path("task-books/<int:pk>/", task_book_detail, name="task_book_detail"),
    path("task-books/<int:pk>/save/", task_book_save, name="task_book_save"),
    path("task-books/<int:pk>/indicators/<int:indicator_pk>/", task_book_indicator, name="task_book_indicator"),
    path("task-books/<int:pk>/pdf/", task_book_pdf, name="task_book_pdf"),
    path("task-books/<int:pk>/<slug:action>/", task_book_action, name="task_book_action"),
]
