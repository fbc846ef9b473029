"""Review pages: the expert library (专家库, V1) — list and search, an expert's page with their
disciplines, conflicts, collaborations, availability and credit, new experts and imports."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organisation
from core.access import declare_access, roles
from core.refusals import flash_form_errors, refusals
from reviews import policies, selectors
from reviews.models import Collaboration, Expert, ExpertDiscipline
from reviews.services import library

READERS = roles("agency", "ministry", "admin", object_scoped=True)
WRITERS = roles("agency", "admin", object_scoped=True)
PAGE_SIZE = 25


# ---- Forms -------------------------------------------------------------------------------------


def _organisation_of(text: str) -> Organisation | None:
    text = text.strip()
    if not text:
        return None
    return Organisation.objects.filter(Q(name=text) | Q(credit_code=text.upper())).first()


class ExpertForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=40)
    organisation = forms.CharField(
        label=gettext_lazy("Organisation"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Name or unified social credit code; a unit not in the portal is kept as written."),
    )
    professional_title = forms.CharField(label=gettext_lazy("Professional title"), max_length=100, required=False)
    is_senior = forms.BooleanField(label=gettext_lazy("Senior title"), required=False)
    expertise = forms.ChoiceField(label=gettext_lazy("Kind of expert"), choices=Expert.Expertise.choices)
    disciplines = forms.CharField(
        label=gettext_lazy("Discipline codes"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Separated by ; — the first is the primary discipline (e.g. 080.10; 520.2010)."),
    )
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    is_foreign = forms.BooleanField(label=gettext_lazy("Foreign expert"), required=False)
    is_academician = forms.BooleanField(label=gettext_lazy("Academician"), required=False)

    def clean_disciplines(self) -> list[str]:
        codes = library.split_discipline_codes(self.cleaned_data["disciplines"])
        bad = library.invalid_discipline_codes(codes)
        if bad:
            raise ValidationError(library.discipline_error(bad))
        return codes

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        unit = data.pop("organisation")
        data.pop("disciplines")
        organisation = _organisation_of(unit)
        data["organisation"] = organisation
        data["organisation_name"] = "" if organisation is not None else unit.strip()
        return data

    @classmethod
    def initial_for(cls, expert: Expert) -> dict:
        codes = [d.code for d in sorted(expert.disciplines.all(), key=lambda d: (not d.is_primary, d.pk))]
        return {
            "name": expert.name,
            "id_number": expert.id_number,
            "organisation": expert.organisation.name if expert.organisation else expert.organisation_name,
            "professional_title": expert.professional_title,
            "is_senior": expert.is_senior,
            "expertise": expert.expertise,
            "disciplines": "; ".join(codes),
            "email": expert.email,
            "phone": expert.phone,
            "is_foreign": expert.is_foreign,
            "is_academician": expert.is_academician,
        }


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "Excel .xlsx or CSV, one row per expert, with the columns 姓名, 身份证件号, 单位, 职称, 是否高级职称, "
            "专家类型, 学科代码, 邮箱, 电话, 是否外籍, 是否院士 (or their English names)."
        ),
    )


class DisciplinesForm(forms.Form):
    codes = forms.CharField(label=gettext_lazy("Discipline codes"), max_length=500, required=False)
    primary = forms.CharField(label=gettext_lazy("Primary discipline"), max_length=20, required=False)


class ConflictForm(forms.Form):
    organisation = forms.CharField(
        label=gettext_lazy("Organisation (name or credit code)"), max_length=200, required=False
    )
    person_name = forms.CharField(label=gettext_lazy("Person"), max_length=100, required=False)
    person_id_number = forms.CharField(label=gettext_lazy("Person's ID number"), max_length=40, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        unit = (data.get("organisation") or "").strip()
        data["organisation"] = _organisation_of(unit) if unit else None
        if unit and data["organisation"] is None:
            self.add_error("organisation", _("No organisation of the portal has this name or credit code."))
        elif data["organisation"] is None and not data.get("person_name") and not data.get("person_id_number"):
            raise ValidationError(_("Name an organisation or a person."))
        return data


class CollaborationForm(forms.Form):
    person_name = forms.CharField(label=gettext_lazy("Person"), max_length=100)
    person_id_number = forms.CharField(label=gettext_lazy("Person's ID number"), max_length=40, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Collaboration.Kind.choices)
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=1900, max_value=2100)


class AvailabilityForm(forms.Form):
    starts_on = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The window ends on or after its first day."))
        return data


class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name"), required=False)
    discipline = forms.CharField(label=gettext_lazy("Discipline code"), required=False)
    organisation = forms.CharField(label=gettext_lazy("Organisation"), required=False)


# ---- Helpers -----------------------------------------------------------------------------------


def _disciplines_prefetch() -> Prefetch:
    return Prefetch("disciplines", queryset=ExpertDiscipline.objects.order_by("-is_primary", "code"))


def _detail_context(request: HttpRequest, expert: Expert, **forms_given) -> dict:
    return {
        "expert": expert,
        "disciplines": list(expert.disciplines.order_by("-is_primary", "code")),
        "conflicts": list(expert.declared_conflicts.select_related("organisation").order_by("id")),
        "collaborations": list(expert.collaborations.order_by("-year", "id")),
        "availability": list(expert.availability.order_by("starts_on", "id")),
        "credit_records": selectors.expert_credit_records(request.user, expert),
        "may_edit": policies.may_edit_library(request.user),
        "conflict_form": forms_given.get("conflict_form") or ConflictForm(),
        "collaboration_form": forms_given.get("collaboration_form") or CollaborationForm(),
        "availability_form": forms_given.get("availability_form") or AvailabilityForm(),
    }


def _writable_expert(request: HttpRequest, pk: int) -> Expert:
    expert = selectors.expert_get_for_user(request.user, pk)
    if not policies.may_edit_library(request.user):
        raise Http404
    return expert


# ---- Pages -------------------------------------------------------------------------------------


@require_GET
@declare_access(READERS)  # scoped through experts_for_user: other roles see nothing
def expert_list(request: HttpRequest) -> HttpResponse:
    """The library: search by name, discipline code (a prefix) and organisation."""
    search = SearchForm(request.GET or None)
    experts = selectors.experts_for_user(request.user).prefetch_related(_disciplines_prefetch())
    if search.is_valid():
        name = search.cleaned_data["q"].strip()
        discipline = library.normalise_discipline_code(search.cleaned_data["discipline"].strip())
        unit = search.cleaned_data["organisation"].strip()
        if name:
            experts = experts.filter(name__icontains=name)
        if discipline:
            experts = experts.filter(
                pk__in=ExpertDiscipline.objects.filter(code__startswith=discipline).values("expert_id")
            )
        if unit:
            experts = experts.filter(
                Q(organisation__name__icontains=unit)
                | Q(organisation__credit_code=unit.upper())
                | Q(organisation_name__icontains=unit)
            )
    page = Paginator(experts.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/expert_list.html",
        {"page": page, "search": search, "may_edit": policies.may_edit_library(request.user)},
    )


@require_GET
@declare_access(READERS)
def expert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    expert = selectors.expert_get_for_user(request.user, pk)
    return render(request, "reviews/expert_detail.html", _detail_context(request, expert))


@require_http_methods(["GET", "POST"])
@declare_access(WRITERS)
def expert_new(request: HttpRequest) -> HttpResponse:
    if not policies.may_edit_library(request.user):
        raise Http404
    form = ExpertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals(request, form=form) as outcome:
            expert = library.expert_save(
                actor=request.user, disciplines=form.cleaned_data["disciplines"], **form.service_fields()
            )
        if not outcome.refused:
            messages.success(request, _("%(name)s is in the expert library.") % {"name": expert.name})
            return redirect("reviews:expert_detail", pk=expert.pk)
    return render(request, "reviews/expert_form.html", {"form": form, "expert": None})


@require_http_methods(["GET", "POST"])
@declare_access(WRITERS)
def expert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    expert = _writable_expert(request, pk)
    form = ExpertForm(request.POST or None, initial=ExpertForm.initial_for(expert))
    if request.method == "POST" and form.is_valid():
        with refusals(request, form=form) as outcome:
            library.expert_save(
                actor=request.user,
                expert=expert,
                disciplines=form.cleaned_data["disciplines"],
                **form.service_fields(),
            )
        if not outcome.refused:
            messages.success(request, _("The expert is saved."))
            return redirect("reviews:expert_detail", pk=expert.pk)
    return render(request, "reviews/expert_form.html", {"form": form, "expert": expert})


@require_http_methods(["GET", "POST"])
@declare_access(WRITERS)
def expert_import(request: HttpRequest) -> HttpResponse:
    """Upload an Excel or CSV file of experts: all rows or none, with the row errors shown."""
    if not policies.may_edit_library(request.user):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        with refusals(request, form=form) as outcome:
            result = library.expert_import(actor=request.user, uploaded_file=form.cleaned_data["file"])
        if outcome.refused:
            result = None
        elif not result.is_refused:
            messages.success(
                request,
                _("The file is imported: %(created)d experts added, %(updated)d updated.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("reviews:expert_list")
        else:
            messages.error(
                request,
                _("Nothing was imported: %(count)d errors. Correct the file and upload it again.")
                % {"count": result.error_count},
            )
    return render(request, "reviews/expert_import.html", {"form": form, "result": result})


@require_POST
@declare_access(WRITERS)
def expert_disciplines(request: HttpRequest, pk: int) -> HttpResponse:
    expert = _writable_expert(request, pk)
    form = DisciplinesForm(request.POST)
    if form.is_valid():
        codes = library.split_discipline_codes(form.cleaned_data["codes"])
        with refusals(request) as outcome:
            library.expert_disciplines_set(
                actor=request.user, expert=expert, codes=codes, primary=form.cleaned_data["primary"]
            )
        if not outcome.refused:
            messages.success(request, _("The disciplines are saved."))
    else:
        flash_form_errors(request, form)
    return redirect("reviews:expert_detail", pk=expert.pk)


def _add(request: HttpRequest, pk: int, form_class, key: str, save) -> HttpResponse:
    expert = _writable_expert(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        with refusals(request, form=form) as outcome:
            save(expert, form.cleaned_data)
        if not outcome.refused:
            messages.success(request, _("Saved."))
            return redirect("reviews:expert_detail", pk=expert.pk)
    messages.error(request, _("Correct the marked fields."))
    return render(request, "reviews/expert_detail.html", _detail_context(request, expert, **{key: form}), status=400)


@require_POST
@declare_access(WRITERS)
def conflict_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add(
        request,
        pk,
        ConflictForm,
        "conflict_form",
        lambda expert, data: library.conflict_add(actor=request.user, expert=expert, **data),
    )


@require_POST
@declare_access(WRITERS)
def collaboration_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add(
        request,
        pk,
        CollaborationForm,
        "collaboration_form",
        lambda expert, data: library.collaboration_add(actor=request.user, expert=expert, **data),
    )


@require_POST
@declare_access(WRITERS)
def availability_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add(
        request,
        pk,
        AvailabilityForm,
        "availability_form",
        lambda expert, data: library.availability_add(actor=request.user, expert=expert, **data),
    )


def _remove(request, pk: int, rows: str, row_pk: int, remove, message: str) -> HttpResponse:
    """Remove one row of the expert's ``rows`` (conflicts, collaborations, availability)."""
    expert = _writable_expert(request, pk)
    row = getattr(expert, rows).filter(pk=row_pk).first()
    if row is None:
        raise Http404
    remove(row)
    messages.success(request, message)
    return redirect("reviews:expert_detail", pk=expert.pk)


@require_POST
@declare_access(WRITERS)
def conflict_remove(request: HttpRequest, pk: int, conflict_pk: int) -> HttpResponse:
    return _remove(
        request,
        pk,
        "declared_conflicts",
        conflict_pk,
        lambda row: library.conflict_remove(actor=request.user, conflict=row),
        _("The conflict is removed."),
    )


@require_POST
@declare_access(WRITERS)
def collaboration_remove(request: HttpRequest, pk: int, collaboration_pk: int) -> HttpResponse:
    return _remove(
        request,
        pk,
        "collaborations",
        collaboration_pk,
        lambda row: library.collaboration_remove(actor=request.user, collaboration=row),
        _("The collaboration is removed."),
    )


@require_POST
@declare_access(WRITERS)
def availability_remove(request: HttpRequest, pk: int, availability_pk: int) -> HttpResponse:
    return _remove(
        request,
        pk,
        "availability",
        availability_pk,
        lambda row: library.availability_remove(actor=request.user, availability=row),
        _("The availability window is removed."),
    )


urlpatterns = [
    path("reviews/experts/", expert_list, name="expert_list"),
    path("reviews/experts/new/", expert_new, name="expert_new"),
    path("reviews/experts/import/", expert_import, name="expert_import"),
    path("reviews/experts/<int:pk>/", expert_detail, name="expert_detail"),
    path("reviews/experts/<int:pk>/edit/", expert_edit, name="expert_edit"),
    path("reviews/experts/<int:pk>/disciplines/", expert_disciplines, name="expert_disciplines"),
    path("reviews/experts/<int:pk>/conflicts/", conflict_add, name="expert_conflict_add"),
    path(
        "reviews/experts/<int:pk>/conflicts/<int:conflict_pk>/remove/", conflict_remove, name="expert_conflict_remove"
    ),
    path("reviews/experts/<int:pk>/collaborations/", collaboration_add, name="expert_collaboration_add"),
    path(
        "reviews/experts/<int:pk>/collaborations/<int:collaboration_pk>/remove/",
        collaboration_remove,
        name="expert_collaboration_remove",
    ),
    path("reviews/experts/<int:pk>/availability/", availability_add, name="expert_availability_add"),
    path(
        "reviews/experts/<int:pk>/availability/<int:availability_pk>/remove/",
        availability_remove,
        name="expert_availability_remove",
    ),
]
