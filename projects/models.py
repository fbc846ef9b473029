from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


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
        help_text=_("First-round shortlist as a multiple of the planned number of projects, 3 to 4 (KRD-MGMT §27)."),
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
        from django.utils import timezone

        return self.state == self.State.PUBLISHED and timezone.now() < self.closes_at


class CallDirection(models.Model):
    """A direction (指南方向) of a call, with its planned number of projects."""

    call = models.ForeignKey(Call, verbose_name=_("call guide"), on_delete=models.CASCADE, related_name="directions")
    code = models.CharField(_("number"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    planned_projects = models.PositiveSmallIntegerField(_("planned number of projects"), default=1)
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
