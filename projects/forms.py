from django import forms
from django.core import validators
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from projects import extensions
from projects.models import (
    Attachment,
    Call,
    CallDirection,
    Indicator,
    Person,
    Proposal,
    ScheduleItem,
    SpecialProject,
    Subject,
    TaskBook,
)


class CallForm(forms.ModelForm):
    closes_at = forms.DateTimeField(
        label=_("Applications close at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("To the minute, Beijing time. At least 50 days after publication (KRD-MGMT §21)."),
    )

    class Meta:
        model = Call
        fields = [
            "special_project",
            "title",
            "year",
            "summary",
            "closes_at",
            "mode",
            "shortlist_factor",
            "formal_window_days",
            "budget_outline",
            "is_budget_published",
            "is_secret",
            "invited_organisations",
            "requires_recommendation",
            "leader_max_age",
            "unit_registered_before",
            "max_subjects",
            "max_units_per_subject",
            "max_participations",
            "funds_edition",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 6}),
            "unit_registered_before": forms.DateInput(attrs={"type": "date"}),
            "invited_organisations": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funds_edition"] = forms.ChoiceField(
            label=_("Funds policy edition"),
            required=False,
            choices=[("", _("the one in force at publication"))] + extensions.funds_edition_choices(),
        )
        projects = SpecialProject.objects.select_related("program")
        if user is not None and not user.is_superuser:
            projects = projects.filter(managing_agency_id=user.organisation_id)
        self.fields["special_project"].queryset = projects


class CallDirectionForm(forms.ModelForm):
    class Meta:
        model = CallDirection
        fields = ["code", "title", "discipline_code", "planned_projects", "budget_outline"]


class ProposalBasicForm(forms.ModelForm):
    """The basic-information section. Every field may be left empty in a draft: completeness
    is shown beside it and checked at submission, so nothing typed is lost."""

    class Meta:
        model = Proposal
        fields = [
            "direction",
            "title",
            "summary",
            "keywords",
            "start_date",
            "end_date",
            "recommending_department",
            "ip_analysis",
            "foreign_partner",
            "foreign_partner_country",
            "agreement_has_ip_clause",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 5}),
            "ip_analysis": forms.Textarea(attrs={"rows": 4}),
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        call = self.instance.call
        self.fields["direction"].queryset = call.directions.all()
        program = call.special_project.program.code
        if not call.requires_recommendation:
            del self.fields["recommending_department"]
        if program != "major":
            del self.fields["ip_analysis"]
        if program != "intl":
            for name in ("foreign_partner", "foreign_partner_country", "agreement_has_ip_clause"):
                del self.fields[name]
        for field in self.fields.values():
            field.required = False


class ParticipantUnitForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Participant unit"), queryset=Organisation.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            kind__in=[Organisation.Kind.UNIVERSITY, Organisation.Kind.RESEARCH_INSTITUTE, Organisation.Kind.ENTERPRISE]
        )


class SubjectForm(forms.ModelForm):
    class Meta:
        model = Subject
        fields = ["title", "unit", "leader", "requested_funds"]

    def __init__(self, *args, proposal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Organisation.objects.filter(
            kind__in=[Organisation.Kind.UNIVERSITY, Organisation.Kind.RESEARCH_INSTITUTE, Organisation.Kind.ENTERPRISE]
        )
        self.fields["leader"].queryset = proposal.people.all() if proposal else Person.objects.none()


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = [
            "name",
            "id_type",
            "id_number",
            "birth_date",
            "professional_title",
            "role",
            "organisation",
            "subject",
            "months_per_year",
        ]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, proposal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            pk__in=proposal.units.values("organisation") if proposal else []
        )
        self.fields["subject"].queryset = proposal.subjects.all() if proposal else Subject.objects.none()
        self.fields["months_per_year"].validators.append(validators.MaxValueValidator(12))


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = ["name", "target_value", "measurement"]


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = ScheduleItem
        fields = ["starts_on", "ends_on", "work"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "work": forms.TextInput(),
        }


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Attachment.Kind.choices)
    classification_level = forms.ChoiceField(
        label=_("Classification level"),
        choices=Attachment.LEVEL_CHOICES,
        initial="none",
        required=False,
        help_text=_("This portal is not a classified information system: classified files are refused (S11)."),
    )
    file = forms.FileField(label=_("PDF file"), help_text=_("PDF only, at most 20 MB."))

    def clean_classification_level(self) -> str:
        return self.cleaned_data.get("classification_level") or "none"


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class FormalReviewDecisionForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("1", _("passed")), ("0", _("failed"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons (seen by the applicant)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class AppealForm(forms.Form):
    grounds = forms.CharField(label=_("Grounds of the appeal"), widget=forms.Textarea(attrs={"rows": 4}))


class AnswerForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("Outcome"),
        choices=[("1", _("upheld: the decision is changed")), ("0", _("rejected: the decision stands"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))


class ObjectionForm(forms.Form):
    proposal = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    sustained = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("0", _("not sustained: the project stays")), ("1", _("sustained: the project is not approved"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}))


class TaskBookForm(forms.ModelForm):
    class Meta:
        model = TaskBook
        fields = ["goals", "schedule", "report_plan", "ip_goals", "confidentiality_agreement"]
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in fields}
