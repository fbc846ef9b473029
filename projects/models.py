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
