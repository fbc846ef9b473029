from django import forms
from django.utils.translation import gettext_lazy as _

from projects.models import Call, CallDirection, SpecialProject


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
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 6}),
            "unit_registered_before": forms.DateInput(attrs={"type": "date"}),
            "invited_organisations": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        projects = SpecialProject.objects.select_related("program")
        if user is not None and not user.is_superuser:
            projects = projects.filter(managing_agency_id=user.organisation_id)
        self.fields["special_project"].queryset = projects


class CallDirectionForm(forms.ModelForm):
    class Meta:
        model = CallDirection
        fields = ["code", "title", "planned_projects", "budget_outline"]
