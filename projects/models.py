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
