import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from core.identity import validate_discipline_code
from secrecy.rules import Level


class Program(models.Model):
    """A program (计划类别): 国家重点研发计划, 国家科技重大专项, 国家国际科技合作专项."""

    class Code(models.TextChoices):
        KEY_RD = "key_rd", _("National Key R&D Program")
        MAJOR = "major", _("National Science and Technology Major Project")
        INTL = "intl", _("International S&T Cooperation Program")

    code = models.CharField(_("code"), max_length=16, choices=Code.choices, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class SpecialProject(models.Model):
    """A special project (重点专项) of a program, run by a professional management agency."""

    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="special_projects"
    )
    name = models.CharField(_("name"), max_length=200)
    managing_agency = models.ForeignKey(
        Organisation,
        verbose_name=_("managing agency"),
        on_delete=models.PROTECT,
        related_name="managed_special_projects",
        limit_choices_to={"kind": Organisation.Kind.AGENCY},
    )

    class Meta:
        verbose_name = _("special project")
        verbose_name_plural = _("special projects")
        ordering = ["program_id", "name"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="unique_special_project_name")]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """An approved project (立项项目). Establishment (calls, proposals, approval) fills it in;
    the deadline engine hangs its annual report and final accounts on it."""

    class State(models.TextChoices):
        ACTIVE = "active", _("in progress")
        SUSPENDED = "suspended", _("suspended")
        COMPLETED = "completed", _("completed")
        TERMINATED = "terminated", _("terminated")

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="projects")
    special_project = models.ForeignKey(
        SpecialProject,
        verbose_name=_("special project"),
        on_delete=models.PROTECT,
        related_name="projects",
        null=True,
        blank=True,
    )
    number = models.CharField(_("project number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=300)
    lead_unit = models.ForeignKey(
        Organisation, verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="led_projects"
    )
    leader = models.ForeignKey(
        "accounts.User", verbose_name=_("project leader"), on_delete=models.PROTECT, related_name="led_projects"
    )
    managing_agency = models.ForeignKey(
        Organisation,
        verbose_name=_("managing agency"),
        on_delete=models.PROTECT,
        related_name="managed_projects",
        limit_choices_to={"kind": Organisation.Kind.AGENCY},
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    funds_received_on = models.DateField(
        _("central funds received on"),
        null=True,
        blank=True,
        help_text=_("The day the central funds were allocated (资金下达之日, KRD-FUNDS §37)."),
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.ACTIVE, db_index=True)
    proposal = models.OneToOneField(
        "Proposal",
        verbose_name=_("approved proposal"),
        on_delete=models.PROTECT,
        related_name="project",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gt=models.F("start_date")), name="project_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Call(models.Model):
    """A call guide (项目申报指南) of a special project (KRD-MGMT §19–§21)."""

    class Mode(models.TextChoices):
        ONE_ROUND = "one_round", _("one round (formal application only)")
        TWO_ROUND = "two_round", _("two rounds (pre-application, then formal)")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("open for applications")
        CLOSED = "closed", _("closed")

    special_project = models.ForeignKey(
        SpecialProject, verbose_name=_("special project"), on_delete=models.PROTECT, related_name="calls"
    )
    title = models.CharField(_("title"), max_length=300)
    year = models.PositiveSmallIntegerField(_("guide year"))
    summary = models.TextField(_("guide text"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("applications close at"))
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.TWO_ROUND)
    shortlist_factor = models.DecimalField(
        _("shortlist factor"),
        max_digits=3,
        decimal_places=1,
        default=3,
        help_text=_("First-round shortlist as a multiple of the planned number of projects, 3 to 4 (KRD-MGMT §28)."),
    )
    formal_window_days = models.PositiveSmallIntegerField(
        _("days to file the formal application"),
        default=30,
        help_text=_("After the shortlist invitation (two rounds)."),
    )
    budget_outline = models.DecimalField(
        _("budget outline (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    is_budget_published = models.BooleanField(_("publish the budget outline"), default=False)
    is_secret = models.BooleanField(
        _("secret call"),
        default=False,
        help_text=_("Not published: listed only to invited organisations (KRD-MGMT §21)."),
    )
    invited_organisations = models.ManyToManyField(
        Organisation, verbose_name=_("invited organisations"), related_name="invited_calls", blank=True
    )

    class DeadlineStep(models.TextChoices):
        APPLICANT = "applicant", _("the applicant's submission")
        UNIT = "unit", _("the unit's submission")

    deadline_step = models.CharField(
        _("the closing moment applies to"), max_length=16, choices=DeadlineStep.choices, default=DeadlineStep.UNIT
    )
    budget_review_above = models.DecimalField(
        _("budget review above (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "INTL §22: applications asking for more central funds than this also get a budget review (概算评议)."
        ),
    )
    funds_edition = models.CharField(
        _("funds policy edition"),
        max_length=32,
        blank=True,
        help_text=_(
            "The funds rules the call's projects keep; empty: the edition in force when the call is published."
        ),
    )
    is_fast_track = models.BooleanField(
        _("approve first, evaluate later"),
        default=False,
        help_text=_("先立项、后评估 for urgent international cooperation (INTL §10)."),
    )
    requires_recommendation = models.BooleanField(
        _("needs a recommending department"), default=False, help_text=_("Always for the international program.")
    )
    # Eligibility settings (P2, KRD-MGMT §23–§24), as data of the call.
    leader_max_age = models.PositiveSmallIntegerField(
        _("maximum age of leaders"),
        null=True,
        blank=True,
        help_text=_("Born on or after 1 January of (guide year − age)."),
    )
    unit_registered_before = models.DateField(_("units registered before"), null=True, blank=True)
    max_subjects = models.PositiveSmallIntegerField(_("maximum subjects per project"), null=True, blank=True)
    max_units_per_subject = models.PositiveSmallIntegerField(_("maximum units per subject"), null=True, blank=True)
    appeal_working_days = models.PositiveSmallIntegerField(
        _("working days to appeal"),
        default=10,
        help_text=_("After a failed formal review or review result (KRD-MGMT §36)."),
    )
    public_notice_working_days = models.PositiveSmallIntegerField(_("working days of public notice"), default=5)
    max_participations = models.PositiveSmallIntegerField(
        _("maximum applications and projects per person"),
        null=True,
        blank=True,
        help_text=_("A person may appear in at most this many applications and in-progress projects together (限项)."),
    )
    excluded_leader_programs = models.JSONField(
        _("programs whose in-progress project leaders may not lead or join"), default=list, blank=True
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("call guide")
        verbose_name_plural = _("call guides")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shortlist_factor__gte=3, shortlist_factor__lte=4),
                name="call_shortlist_factor_3_to_4",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def program(self) -> Program:
        return self.special_project.program

    @property
    def is_open(self) -> bool:
        return self.state == self.State.PUBLISHED and timezone.now() < self.closes_at


class CallDirection(models.Model):
    """A direction (指南方向) of a call, with its planned number of projects."""

    call = models.ForeignKey(Call, verbose_name=_("call guide"), on_delete=models.CASCADE, related_name="directions")
    code = models.CharField(_("number"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    planned_projects = models.PositiveSmallIntegerField(_("planned number of projects"), default=1)
    discipline_code = models.CharField(
        _("discipline code"),
        max_length=20,
        blank=True,
        validators=[validate_discipline_code],
        help_text=_("GB/T 13745; the review group of this direction draws experts of this discipline first."),
    )
    budget_outline = models.DecimalField(
        _("budget outline (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("guide direction")
        verbose_name_plural = _("guide directions")
        ordering = ["call_id", "code"]
        constraints = [models.UniqueConstraint(fields=["call", "code"], name="unique_direction_code_per_call")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Proposal(models.Model):
    """An application (申报书) to a call: pre-application or formal application."""

    class Stage(models.TextChoices):
        PRE = "pre", _("pre-application")
        FORMAL = "formal", _("formal application")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted to the unit")
        UNIT_SUBMITTED = "unit_submitted", _("awaiting recommendation")
        RECEIVED = "received", _("received by the agency")
        RETURNED = "returned", _("returned for changes")
        WITHDRAWN = "withdrawn", _("withdrawn")
        FORMAL_PASSED = "formal_passed", _("passed formal review")
        FORMAL_FAILED = "formal_failed", _("failed formal review")
        PROPOSED = "proposed", _("proposed for approval")
        IN_PUBLIC_NOTICE = "in_public_notice", _("in public notice")
        APPROVED = "approved", _("approved")
        NOT_APPROVED = "not_approved", _("not approved")
        SHORTLISTED = "shortlisted", _("shortlisted: invited to file the formal application")
        NOT_SHORTLISTED = "not_shortlisted", _("not shortlisted")

    call = models.ForeignKey(Call, verbose_name=_("call guide"), on_delete=models.PROTECT, related_name="proposals")
    direction = models.ForeignKey(
        CallDirection,
        verbose_name=_("direction"),
        on_delete=models.PROTECT,
        related_name="proposals",
        null=True,
        blank=True,
    )
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices, default=Stage.FORMAL)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True)
    applicant = models.ForeignKey(
        "accounts.User", verbose_name=_("filed by"), on_delete=models.PROTECT, related_name="proposals"
    )
    lead_unit = models.ForeignKey(
        Organisation, verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="led_proposals"
    )
    title = models.CharField(_("project title"), max_length=300, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    ip_analysis = models.TextField(_("IP analysis"), blank=True, help_text=_("Required for major projects (MAJOR-IP)."))
    foreign_partner = models.CharField(_("foreign partner"), max_length=300, blank=True)
    foreign_partner_country = models.CharField(_("partner's country or region"), max_length=100, blank=True)
    agreement_has_ip_clause = models.BooleanField(
        _("the cooperation agreement has an IP clause"), default=False, help_text=_("INTL §38.")
    )
    recommending_department = models.ForeignKey(
        Organisation,
        verbose_name=_("recommending department"),
        on_delete=models.PROTECT,
        related_name="recommended_proposals",
        null=True,
        blank=True,
        limit_choices_to={"kind": Organisation.Kind.RECOMMENDING_DEPARTMENT},
    )
    returned_reason = models.TextField(_("reason for return"), blank=True)
    library_entry = models.ForeignKey(
        "LibraryEntry",
        verbose_name=_("project library entry"),
        on_delete=models.PROTECT,
        related_name="proposals",
        null=True,
        blank=True,
    )
    pre_proposal = models.OneToOneField(
        "self",
        verbose_name=_("pre-application"),
        on_delete=models.PROTECT,
        related_name="formal_proposal",
        null=True,
        blank=True,
    )
    first_round_score = models.DecimalField(
        _("first-round score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    defense_score = models.DecimalField(
        _("defense-review score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    formal_due_at = models.DateTimeField(
        _("formal application due"), null=True, blank=True, help_text=_("Set on a shortlisted pre-application (P3).")
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["call", "state", "-updated_at"]),
            models.Index(fields=["lead_unit", "state"]),
            models.Index(fields=["-updated_at", "-id"]),
        ]

    def __str__(self) -> str:
        return self.title or _("Untitled proposal #%(id)s") % {"id": self.pk}


class ProposalUnit(models.Model):
    """The lead unit and each participant unit of a proposal."""

    class Role(models.TextChoices):
        LEAD = "lead", _("lead unit")
        PARTICIPANT = "participant", _("participant unit")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="units")
    organisation = models.ForeignKey(Organisation, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.PARTICIPANT)

    class Meta:
        verbose_name = _("proposal unit")
        verbose_name_plural = _("proposal units")
        constraints = [models.UniqueConstraint(fields=["proposal", "organisation"], name="unique_unit_per_proposal")]

    def __str__(self) -> str:
        return str(self.organisation)


class Person(models.Model):
    """A member of the proposal's team: leaders and key personnel, identified by their ID."""

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("resident identity card")
        PASSPORT = "passport", _("passport")
        HK_MACAO_TAIWAN = "hmt_permit", _("Hong Kong, Macao or Taiwan permit")
        FOREIGNER_PERMIT = "foreigner_permit", _("foreigner's permanent residence card")

    class Role(models.TextChoices):
        PROJECT_LEADER = "project_leader", _("project leader")
        SUBJECT_LEADER = "subject_leader", _("subject leader")
        KEY_PERSONNEL = "key_personnel", _("key personnel")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(_("name"), max_length=100)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number = models.CharField(_("ID number"), max_length=40)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    professional_title = models.CharField(_("professional title"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.KEY_PERSONNEL)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    subject = models.ForeignKey(
        "Subject", verbose_name=_("subject"), on_delete=models.SET_NULL, related_name="people", null=True, blank=True
    )
    months_per_year = models.PositiveSmallIntegerField(_("months per year on the project"), null=True, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        indexes = [models.Index(fields=["id_type", "id_number"])]

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    """A subject (课题) of the proposal, with its unit, leader and requested central funds."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="subjects")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300, blank=True)
    unit = models.ForeignKey(
        Organisation, verbose_name=_("subject unit"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    leader = models.ForeignKey(
        Person,
        verbose_name=_("subject leader"),
        on_delete=models.SET_NULL,
        related_name="led_subjects",
        null=True,
        blank=True,
    )
    participant_units = models.ManyToManyField(
        Organisation, verbose_name=_("participant units"), related_name="+", blank=True
    )
    requested_funds = models.DecimalField(
        _("requested central funds (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["proposal_id", "number"]
        constraints = [models.UniqueConstraint(fields=["proposal", "number"], name="unique_subject_number")]

    def __str__(self) -> str:
        return f"{_('Subject')} {self.number} {self.title}"


class Indicator(models.Model):
    """An assessment indicator (考核指标): indicator, target value, how it is measured."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="indicators")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="indicators", null=True, blank=True)
    name = models.CharField(_("indicator"), max_length=300)
    target_value = models.CharField(_("target value"), max_length=200)
    measurement = models.CharField(_("how it is measured"), max_length=300, blank=True)
    is_lower_better = models.BooleanField(_("lower is better"), default=False, help_text=_("e.g. cost, error rate"))

    class Meta:
        verbose_name = _("assessment indicator")
        verbose_name_plural = _("assessment indicators")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.target_value}"


class ScheduleItem(models.Model):
    """A stage of the proposal's schedule."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="schedule")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    work = models.TextField(_("work and results"))

    class Meta:
        verbose_name = _("schedule stage")
        verbose_name_plural = _("schedule")
        ordering = ["starts_on", "id"]

    def __str__(self) -> str:
        return f"{self.starts_on}–{self.ends_on}"


def attachment_path(instance, filename: str) -> str:
    # A random name under the proposal's folder; the original name is kept in the row.
    return f"proposals/{instance.proposal_id}/{uuid.uuid4().hex}.pdf"


class Attachment(models.Model):
    """A PDF attached to a proposal; stored under MEDIA_ROOT, served only after a permission check.
    Its classification level is declared at upload: anything above the portal's maximum is
    refused (S11 — SECRETS-LAW §24, the portal is not a classified information system)."""

    LEVEL_CHOICES = [("none", _("Not classified")), *Level.choices]

    class Kind(models.TextChoices):
        JOINT_AGREEMENT = "joint_agreement", _("joint application agreement")
        COOPERATION_AGREEMENT = "cooperation_agreement", _("international cooperation agreement")
        OTHER = "other", _("other")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    classification_level = models.CharField(
        _("classification level"),
        max_length=16,
        choices=LEVEL_CHOICES,
        default="none",
        help_text=_("Classified content may be stored only up to the portal's level (SECRETS-LAW §24)."),
    )
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Pledge(models.Model):
    """An integrity pledge (诚信承诺书) of the lead unit, a subject unit, the project leader or a
    subject leader, confirmed in the portal."""

    class Party(models.TextChoices):
        LEAD_UNIT = "lead_unit", _("lead unit")
        SUBJECT_UNIT = "subject_unit", _("subject unit")
        PROJECT_LEADER = "project_leader", _("project leader")
        SUBJECT_LEADER = "subject_leader", _("subject leader")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="pledges")
    party = models.CharField(_("party"), max_length=20, choices=Party.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="pledges", null=True, blank=True)
    confirmed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("integrity pledge")
        verbose_name_plural = _("integrity pledges")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "party", "organisation", "person"],
                name="unique_pledge_per_party",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_party_display()}: {self.person or self.organisation}"


class FormalReview(models.Model):
    """The agency's formal review (形式审查) of a received proposal (KRD-MGMT §27, §36; P4): a
    checklist pre-filled by the automatic checks plus manual items; the result and reasons go
    back to the applicant."""

    class Result(models.TextChoices):
        PASSED = "passed", _("passed")
        FAILED = "failed", _("failed")

    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="formal_review")
    checklist = models.JSONField(_("checklist"), default=list)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    appeal_until = models.DateTimeField(_("appeals accepted until"), null=True, blank=True)

    class Meta:
        verbose_name = _("formal review")
        verbose_name_plural = _("formal reviews")

    def __str__(self) -> str:
        return f"{self.proposal}: {self.get_result_display() or '—'}"


class Appeal(models.Model):
    """An applicant's appeal (申诉) of a failed formal review, and the agency's answer (P4,
    KRD-MGMT §36)."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("upheld: the decision is changed")
        REJECTED = "rejected", _("rejected: the decision stands")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="appeals")
    grounds = models.TextField(_("grounds"))
    filed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["filed_at", "id"]

    def __str__(self) -> str:
        return f"{self.proposal}: {self.get_outcome_display() or _('awaiting answer')}"


class PublicNotice(models.Model):
    """The public notice (公示) of a call's approved-for-notice projects (KRD-MGMT §33; P5):
    open to everyone, no login, secret projects excluded, for a number of working days."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="public_notices")
    title = models.CharField(_("title"), max_length=300)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    proposals = models.ManyToManyField(Proposal, related_name="public_notices")
    is_closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Objection(models.Model):
    """An objection raised during a public notice, and how the agency resolved it."""

    notice = models.ForeignKey(PublicNotice, on_delete=models.CASCADE, related_name="objections")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="objections")
    raised_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    text = models.TextField(_("objection"))
    resolution = models.TextField(_("resolution"), blank=True)
    is_sustained = models.BooleanField(_("sustained"), null=True)
    resolved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["raised_at", "id"]

    def __str__(self) -> str:
        return f"{self.proposal}: {self.text[:40]}"


class TaskBook(models.Model):
    """The task book (任务书) between the agency (party A) and the lead unit (party B) — or, for a
    subject, between the lead unit and the subject unit (P5 — KRD-MGMT §33)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("being drafted by the leader")
        UNDER_REVIEW = "under_review", _("under the agency's review")
        AGREED = "agreed", _("agreed, awaiting signatures")
        CONFIRMED = "confirmed", _("signed by both parties")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="task_books")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="task_books", null=True, blank=True)
    party_a = models.ForeignKey(Organisation, verbose_name=_("party A"), on_delete=models.PROTECT, related_name="+")
    party_b = models.ForeignKey(Organisation, verbose_name=_("party B"), on_delete=models.PROTECT, related_name="+")
    goals = models.TextField(_("goals"), blank=True)
    schedule = models.TextField(_("schedule"), blank=True)
    report_plan = models.TextField(_("report plan"), blank=True)
    ip_goals = models.TextField(_("IP goals"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    review_comment = models.TextField(_("agency's comment"), blank=True)
    confidentiality_agreement = models.TextField(
        _("confidentiality agreement"), blank=True, help_text=_("Required for secret projects (KRD-MGMT §33).")
    )
    signed_a_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    signed_a_at = models.DateTimeField(_("party A signed at"), null=True, blank=True)
    signed_b_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    signed_b_at = models.DateTimeField(_("party B signed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task book")
        verbose_name_plural = _("task books")
        ordering = ["project_id", "subject_id"]
        constraints = [
            models.UniqueConstraint(fields=["project"], condition=models.Q(subject=None), name="one_project_task_book"),
            models.UniqueConstraint(fields=["project", "subject"], name="one_task_book_per_subject"),
        ]

    def __str__(self) -> str:
        if self.subject_id:
            return f"{self.project.number} {self.subject}"
        return f"{self.project.number} {self.project.title}"


class TaskBookIndicator(models.Model):
    """An indicator of the task book, tied to the application's indicator it may not weaken."""

    task_book = models.ForeignKey(TaskBook, on_delete=models.CASCADE, related_name="indicators")
    applied = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    name = models.CharField(_("indicator"), max_length=300)
    target_value = models.CharField(_("target value"), max_length=200)
    measurement = models.CharField(_("how it is measured"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("task book indicator")
        verbose_name_plural = _("task book indicators")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.target_value}"


class LibraryEntry(models.Model):
    """An entry of the international program's project library (国合专项备选项目库): every INTL
    project comes from it (P12 — INTL §22)."""

    title = models.CharField(_("title"), max_length=300)
    lead_unit = models.ForeignKey(
        Organisation, verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="library_entries"
    )
    foreign_partner = models.CharField(_("foreign partner"), max_length=300)
    foreign_partner_country = models.CharField(_("partner's country or region"), max_length=100)
    summary = models.TextField(_("summary"), blank=True)
    recommending_department = models.ForeignKey(
        Organisation,
        verbose_name=_("recommending department"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    entered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project library entry")
        verbose_name_plural = _("project library")
        ordering = ["-entered_at", "-id"]

    def __str__(self) -> str:
        return self.title
