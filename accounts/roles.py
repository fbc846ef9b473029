"""The nine roles of the portal (design §1). Each is a Django group named by its code."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant / project leader")
    UNIT_ADMIN = "unit_admin", _("Unit research administrator")
    RECOMMENDER = "recommender", _("Recommending department")
    AGENCY = "agency", _("Professional management agency")
    MINISTRY = "ministry", _("Ministry of Science and Technology")
    EXPERT = "expert", _("Expert")
    AUDITOR = "auditor", _("Financial auditor")
    SECRECY_OFFICER = "secrecy_officer", _("Responsible classifier")
    ADMIN = "admin", _("System administrator")


# Roles whose members work in the Django admin site.
STAFF_ROLES = frozenset({Role.ADMIN.value})
