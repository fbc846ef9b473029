"""Forms of the report depository: the search of the public depository (pages and API share
it), the leader's report form, the agency's topical report and the small action forms."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import Organisation
from projects.models import Program, Subject
from reports import rules, selectors
from reports.models import TechReport
from reports.rules import TOPICAL, Access, DelayReason, Kind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LEVELS = [
    ("", "—"),
    ("secret", gettext_lazy("Secret (秘密)")),
    ("confidential", gettext_lazy("Confidential (机密)")),
    ("top_secret", gettext_lazy("Top secret (绝密)")),
]


# ---- Search (pages and API) ------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class CodeFilter(django_filters.ChoiceFilter):
    """A choice given by its code; documented as a plain string, since the same names (kind,
    state) are choice sets of other resources too."""


class ReportFilter(django_filters.FilterSet):
    """The depository's search: words in number, titles, abstracts, keywords and authors;
    programme, submission year, report type and unit."""

    q = django_filters.CharFilter(method="filter_words", label=gettext_lazy("Search"))
    program = django_filters.ModelChoiceFilter(
        field_name="project__program",
        queryset=lambda request: _programs(),
        label=gettext_lazy("Programme"),
        empty_label=gettext_lazy("All programmes"),
    )
    year = django_filters.NumberFilter(
        field_name="submitted_on", lookup_expr="year", label=gettext_lazy("Year of submission")
    )
    kind = CodeFilter(choices=Kind.choices, label=gettext_lazy("Report type"), empty_label=gettext_lazy("All types"))
    unit = django_filters.CharFilter(method="filter_unit", label=gettext_lazy("Unit"))

    class Meta:
        model = TechReport
        fields: list[str] = []

    def filter_words(self, queryset: QuerySet[TechReport], name: str, value: str) -> QuerySet[TechReport]:
        return selectors.search(queryset, value)

    def filter_unit(self, queryset: QuerySet[TechReport], name: str, value: str) -> QuerySet[TechReport]:
        value = value.strip()
        if not value:
            return queryset
        through = TechReport.units.through
        named = through.objects.filter(techreport_id=OuterRef("pk")).filter(
            Q(organisation__name__icontains=value) | Q(organisation__credit_code=value.upper())
        )
        return queryset.filter(
            Q(project__lead_unit__name__icontains=value)
            | Q(project__lead_unit__credit_code=value.upper())
            | Q(Exists(named))
        )


class ManagedReportFilter(ReportFilter):
    """The same search for the people who manage reports, with the project, state and access."""

    project = django_filters.NumberFilter(field_name="project_id", label=gettext_lazy("Project"))
    state = CodeFilter(choices=TechReport.State.choices, label=gettext_lazy("State"))
    access = CodeFilter(choices=Access.choices, label=gettext_lazy("Access"))


def _programs():
    return Program.objects.order_by("code")


# ---- The leader's report form ----------------------------------------------------------------------


def _organisation_of(text: str) -> Organisation | None:
    return Organisation.objects.filter(Q(name=text) | Q(credit_code=text.upper())).first()


def latest_release_dates(submitted_on: dt.date) -> list[tuple[str, dt.date]]:
    """T3 — REPORTS §12(1): per reason, the latest release date for a report submitted on
    ``submitted_on``."""
    return [(label, rules.latest_release(submitted_on, value)) for value, label in DelayReason.choices]


class ReportForm(forms.Form):
    """A report's metadata and full text as the leader types them. Only the shape is checked
    here: the rules (keywords, release terms, level) are checked by the service when the report
    is filed, so a half-written draft is always saved."""

    kind = forms.ChoiceField(label=gettext_lazy("Report type"), choices=Kind.choices)
    plan_item = forms.ModelChoiceField(
        label=gettext_lazy("For the required report"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("— none —"),
    )
    subject = forms.ModelChoiceField(
        label=gettext_lazy("Subject"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("The whole project"),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    title_en = forms.CharField(label=gettext_lazy("English title"), max_length=300, required=False)
    abstract = forms.CharField(label=gettext_lazy("Abstract"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    abstract_en = forms.CharField(
        label=gettext_lazy("English abstract"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    keywords = forms.CharField(
        label=gettext_lazy("Keywords"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy("3 to 8 (GB/T 7713.3-2014), separated by ；, ， or new lines."),
    )
    authors = forms.CharField(
        label=gettext_lazy("Authors"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy("In order, separated by ；, ， or new lines."),
    )
    units = forms.CharField(
        label=gettext_lazy("Units"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy("One per line: name or unified social credit code. Empty: the lead unit."),
    )
    compiled_on = forms.DateField(label=gettext_lazy("Compilation date"), widget=DATE, required=False)
    related_papers = forms.CharField(
        label=gettext_lazy("Related papers"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    related_patents = forms.CharField(
        label=gettext_lazy("Related patents"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    access = forms.ChoiceField(label=gettext_lazy("Access"), choices=Access.choices, initial=Access.PUBLIC)
    delay_reason = forms.ChoiceField(
        label=gettext_lazy("Reason for delay"), choices=[("", "—"), *DelayReason.choices], required=False
    )
    release_on = forms.DateField(label=gettext_lazy("Release date"), widget=DATE, required=False)
    secret_level = forms.ChoiceField(label=gettext_lazy("Level"), choices=LEVELS, required=False)
    secret_years = forms.IntegerField(
        label=gettext_lazy("Secrecy period (years)"), min_value=0, max_value=99, required=False
    )
    file = forms.FileField(
        label=gettext_lazy("Full text (PDF)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["plan_item"].queryset = project.report_plan.order_by("due_on", "id")
        self.fields["subject"].queryset = (
            Subject.objects.filter(proposal_id=project.proposal_id).order_by("number")
            if project.proposal_id
            else Subject.objects.none()
        )
        today = timezone.localdate()
        self.latest_dates = latest_release_dates(today)
        self.fields["release_on"].help_text = _(
            "Counted from the submission by the unit (REPORTS §12(1)); if submitted today, at the latest: %(dates)s."
        ) % {"dates": "; ".join(f"{label} → {day:%Y-%m-%d}" for label, day in self.latest_dates)}
        self.fields["secret_level"].help_text = _(
            "A classified report may only be secret (REPORTS §12(2)); the report or its project needs a "
            "classification decision before the agency confirms it."
        )

    def clean_secret_level(self) -> str:
        # T4 — checked here already: the table holds no level above secret, even in a draft.
        level = self.cleaned_data["secret_level"]
        error = rules.level_error(level)
        if error:
            raise forms.ValidationError(error)
        return level

    def clean_units(self) -> list[Organisation]:
        text = self.cleaned_data["units"]
        found, unknown = [], []
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            organisation = _organisation_of(line)
            if organisation is None:
                unknown.append(line)
            elif organisation not in found:
                found.append(organisation)
        if unknown:
            raise forms.ValidationError(
                _("No organisation of the portal has this name or credit code: %(names)s")
                % {"names": "、".join(unknown)}
            )
        return found

    def service_values(self) -> dict:
        """The keyword arguments of ``report_create`` / ``report_update``."""
        data = self.cleaned_data
        values = {
            name: data[name]
            for name in (
                "kind",
                "plan_item",
                "subject",
                "title",
                "title_en",
                "abstract",
                "abstract_en",
                "keywords",
                "authors",
                "related_papers",
                "related_patents",
                "access",
                "delay_reason",
                "release_on",
                "secret_level",
                "secret_years",
            )
        }
        values["compiled_on"] = data.get("compiled_on") or timezone.localdate()
        values["units"] = data["units"] or [self.project.lead_unit]
        if data.get("file"):
            values["file"] = data["file"]
        return values

    @staticmethod
    def initial_for(report: TechReport) -> dict:
        return {
            "kind": report.kind,
            "plan_item": report.plan_item_id,
            "subject": report.subject_id,
            "title": report.title,
            "title_en": report.title_en,
            "abstract": report.abstract,
            "abstract_en": report.abstract_en,
            "keywords": "；".join(report.keywords),
            "authors": "；".join(report.authors),
            "units": "\n".join(unit.name for unit in report.units.all()),
            "compiled_on": report.compiled_on,
            "related_papers": report.related_papers,
            "related_patents": report.related_patents,
            "access": report.access,
            "delay_reason": report.delay_reason,
            "release_on": report.release_on,
            "secret_level": report.secret_level,
            "secret_years": report.secret_years,
        }


# ---- The agency's topical report (T1 — REPORTS §10(3)) --------------------------------------------


class TopicalForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Report type"), choices=[(kind.value, kind.label) for kind in TOPICAL])
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300, required=False)
    due_on = forms.DateField(label=gettext_lazy("Due on"), widget=DATE)


# ---- Actions on a report ----------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("What must change"), widget=forms.Textarea(attrs={"rows": 2}))


class ConfirmForm(forms.Form):
    release_on = forms.DateField(label=gettext_lazy("Release date"), widget=DATE, required=False)


class PublicationForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Paper or patent publication"),
        max_length=300,
        help_text=gettext_lazy("Journal, volume and pages, or the publication number of the patent application."),
    )


class ExtensionForm(forms.Form):
    new_release_on = forms.DateField(label=gettext_lazy("New release date"), widget=DATE)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionDecisionForm(forms.Form):
    extension = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("refuse", gettext_lazy("Refuse"))], widget=forms.HiddenInput
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False)


class AccessDecisionForm(forms.Form):
    request = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=[("grant", gettext_lazy("Grant")), ("refuse", gettext_lazy("Refuse"))], widget=forms.HiddenInput
    )
    expires_on = forms.DateField(label=gettext_lazy("Valid until"), widget=DATE, required=False)


class AccessRequestForm(forms.Form):
    purpose = forms.CharField(
        label=gettext_lazy("What you need the full text for"), widget=forms.Textarea(attrs={"rows": 3})
    )
