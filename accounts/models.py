from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_credit_code


class Organisation(models.Model):
    """A unit (单位): applicant units, agencies, ministries, accounting firms… (KRD-MGMT §23)."""

    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("University")
        RESEARCH_INSTITUTE = "research_institute", _("Research institute")
        ENTERPRISE = "enterprise", _("Enterprise")
        AGENCY = "agency", _("Professional management agency")
        MINISTRY = "ministry", _("Ministry")
        RECOMMENDING_DEPARTMENT = "recommending_department", _("Recommending department")
        ACCOUNTING_FIRM = "accounting_firm", _("Accounting firm")

    name = models.CharField(_("name"), max_length=200, unique=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
        help_text=_("18 characters, GB 32100-2015."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    is_registered_in_mainland = models.BooleanField(_("registered in mainland China"), default=True)
    is_independent_legal_entity = models.BooleanField(_("independent legal entity"), default=True)
    registration_date = models.DateField(_("registration date"), null=True, blank=True)
    supervising_department = models.CharField(_("supervising department"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person using the portal. Role-level rights come from groups named by role code."""

    real_name = models.CharField(_("real name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    is_real_name_verified = models.BooleanField(_("real name verified"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.real_name or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        """The role codes of this user (names of their groups)."""
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes & set(codes))


class CreditRecord(models.Model):
    """A research-credit record (科研信用记录) of a unit or a person (O2 — INTL §45–47,
    KRD-FUNDS §55). A serious dishonesty record blocks applications while it is in force."""

    class Severity(models.TextChoices):
        SERIOUS = "serious", _("serious dishonesty")
        GENERAL = "general", _("general dishonesty")
        GOOD = "good", _("good conduct")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="credit_records",
        null=True,
        blank=True,
    )
    person_id_number = models.CharField(_("person's ID number"), max_length=40, blank=True, db_index=True)
    person_name = models.CharField(_("person's name"), max_length=100, blank=True)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    description = models.TextField(_("description"))
    recorded_on = models.DateField(_("recorded on"))
    in_force_until = models.DateField(_("in force until"), null=True, blank=True)

    class Meta:
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        ordering = ["-recorded_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(organisation=None, person_id_number=""), name="credit_record_names_a_unit_or_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation or self.person_name}: {self.get_severity_display()}"
