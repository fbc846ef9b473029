"""Forms of the secrecy pages. They only check the shape of what was typed; the rules (S1–S10)
are the services' to apply, and their messages name the articles."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from secrecy.models import Classification, Filing, SecrecyReview
from secrecy.rules import Level, PatentKind, Stage
from secrecy.services import EARLY_GROUNDS
from secrecy.targets import resolve_target

BLANK = [("", "—")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user: User) -> str:
        unit = f" · {user.organisation.name}" if user.organisation_id else ""
        return f"{user.real_name or user.username} ({user.username}){unit}"


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user: User) -> str:
        return PersonChoiceField.label_from_instance(self, user)


def active_people():
    return User.objects.filter(is_active=True).select_related("organisation").order_by("organisation__name", "username")


# ---- Lists -----------------------------------------------------------------------------------------


class ClassificationFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=BLANK + Classification.State.choices, required=False)
    level = forms.ChoiceField(label=_("Level"), choices=BLANK + Level.choices, required=False)


class FilingFilterForm(forms.Form):
    event = forms.ChoiceField(label=_("Event"), choices=BLANK + Filing.Event.choices, required=False)
    pending = forms.ChoiceField(
        label=_("Filed"),
        choices=[("", "—"), ("1", _("Not filed yet")), ("0", _("Filed"))],
        required=False,
    )


# ---- Determination (S1–S3) -------------------------------------------------------------------------


class ClassificationForm(forms.Form):
    """A decision of SECRECY §18: name, level, period, key points, need-to-know, stage."""

    target = forms.CharField(
        label=_("Item classified"),
        max_length=120,
        help_text=_(
            "app_label.model:id of the item, e.g. projects.project:12, projects.call:3, projects.proposal:40 "
            "or projects.subject:7."
        ),
    )
    name = forms.CharField(label=_("Name of the secret"), max_length=300, required=False)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    period_years = forms.IntegerField(
        label=_("Period (years)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("At most 30 years for top secret, 20 for confidential, 10 for secret (SECRETS-LAW §15)."),
    )
    declassify_on = forms.DateField(label=_("Or a declassification date"), required=False, widget=DateInput())
    condition = forms.CharField(
        label=_("Or a declassification condition"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when no period can be set (SECRETS-REGS §13)."),
    )
    start_date = forms.DateField(label=_("Start date (date of issue)"), widget=DateInput())
    key_points = forms.CharField(
        label=_("Secrecy key points (保密要点)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    stage = forms.ChoiceField(label=_("Stage (SECRECY §17)"), choices=Stage.choices)
    users = PeopleChoiceField(
        label=_("Need-to-know: persons"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Need-to-know: organisations"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("A listed organisation names its own people (SECRETS-LAW §16)."),
    )
    confirmed_classifiable = forms.BooleanField(
        label=_("I confirm the item is none of what may not be classified (SECRECY §11)."), required=False
    )
    provisional = forms.BooleanField(
        label=_("Provisional level (先行拟定): to be reported within 10 days for a decision (SECRETS-REGS §19)"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = active_people()
        self.fields["start_date"].initial = timezone.localdate()

    def clean_target(self):
        text = self.cleaned_data["target"].strip()
        model_key, _separator, object_id = text.partition(":")
        target = resolve_target(model_key, object_id)
        if target is None:
            raise ValidationError(_("No item of the portal has this reference (app_label.model:id)."))
        self.target_object = target
        return text

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("target")
        data["users"] = list(data["users"])
        data["organisations"] = list(data["organisations"])
        return data


def initial_stage(target) -> str:
    """The stage a decision on ``target`` is usually made at (SECRECY §17)."""
    label = getattr(getattr(target, "_meta", None), "label_lower", "")
    if label == "projects.call":
        return Stage.CALL
    if label in ("projects.proposal", "projects.project", "projects.subject"):
        return Stage.ESTABLISHMENT
    return ""


# ---- Need-to-know (S6) ------------------------------------------------------------------------------


class GrantForm(forms.Form):
    user = PersonChoiceField(label=_("Person"), queryset=User.objects.none(), required=False)
    organisation = forms.ModelChoiceField(
        label=_("Or an organisation"), queryset=Organisation.objects.order_by("name"), required=False
    )
    reason = forms.CharField(label=_("Why they need to know"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = active_people()

    def clean(self):
        data = super().clean()
        if bool(data.get("user")) == bool(data.get("organisation")):
            raise ValidationError(_("Name one person or one organisation (SECRETS-LAW §16)."))
        return data


class NamePersonForm(forms.Form):
    user = PersonChoiceField(label=_("Person of the organisation"), queryset=User.objects.none())

    def __init__(self, *args, organisation_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = active_people().filter(organisation_id=organisation_id)


# ---- Changes, extension, declassification (S4) -------------------------------------------------------


class ChangeForm(forms.Form):
    level = forms.ChoiceField(label=_("New level"), choices=BLANK + Level.choices, required=False)
    period_years = forms.IntegerField(label=_("New period (years)"), min_value=0, max_value=100, required=False)
    declassify_on = forms.DateField(label=_("Or a declassification date"), required=False, widget=DateInput())
    condition = forms.CharField(
        label=_("Or a declassification condition"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(label=_("Reason (SECRECY §20)"), widget=forms.Textarea(attrs={"rows": 2}))

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {"reason": data["reason"], "level": data["level"] or None}
        if data["period_years"] is not None or data["declassify_on"] is not None or data["condition"].strip():
            fields.update(
                period_years=data["period_years"],
                declassify_on=data["declassify_on"],
                condition=data["condition"].strip(),
            )
        return fields


class ExtendForm(forms.Form):
    period_years = forms.IntegerField(
        label=_("New period (years from the start)"), min_value=0, max_value=100, required=False
    )
    declassify_on = forms.DateField(label=_("Or a new declassification date"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DeclassifyForm(forms.Form):
    ending = forms.ChoiceField(
        label=_("Ground (SECRECY §21)"),
        choices=[(ground.value, ground.label) for ground in EARLY_GROUNDS],
    )
    reason = forms.CharField(label=_("Explanation"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ConfirmProvisionalForm(forms.Form):
    level = forms.ChoiceField(label=_("Level decided"), choices=BLANK + Level.choices, required=False)


# ---- Objections (S7) and secrecy reviews (S9) --------------------------------------------------------


class DisputeForm(forms.Form):
    claimed_level = forms.ChoiceField(label=_("Level you claim"), choices=Level.choices)
    reason = forms.CharField(label=_("Grounds"), widget=forms.Textarea(attrs={"rows": 2}))


class DisputeDecideForm(forms.Form):
    level = forms.ChoiceField(label=_("Level decided"), choices=Level.choices)


class ReviewRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("What goes out"), choices=SecrecyReview.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    patent_kind = forms.ChoiceField(
        label=_("Patent kind (patent applications only)"), choices=BLANK + PatentKind.choices, required=False
    )
    description = forms.CharField(
        label=_("What will be disclosed"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReviewDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("refuse", _("Refuse"))], widget=forms.RadioSelect
    )
    conditions = forms.CharField(
        label=_("Conditions or reason for refusal"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


# ---- Leak reports (S10) ------------------------------------------------------------------------------


class LeakForm(forms.Form):
    description = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Where, when, what may have been disclosed and to whom. Do not copy the secret itself here."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation concerned"), queryset=Organisation.objects.order_by("name"), required=False
    )
    classification = forms.ModelChoiceField(
        label=_("Classified item concerned (if you know of it)"),
        queryset=Classification.objects.none(),
        required=False,
    )

    def __init__(self, *args, classifications=None, **kwargs):
        super().__init__(*args, **kwargs)
        if classifications is None:
            del self.fields["classification"]
        else:
            self.fields["classification"].queryset = classifications


class LeakActForm(forms.Form):
    measures = forms.CharField(label=_("Remedial measures taken"), widget=forms.Textarea(attrs={"rows": 3}))
