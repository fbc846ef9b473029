"""The nine roles of the portal (design §1). Each is a Django group named by its code; a user's
codes are ``user.role_codes``. The accounts app manages the groups and re-exports ``Role``."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import QuerySet
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


def users_with_role(*, organisation_id: int | None, role: str) -> QuerySet:
    """The active users who hold ``role`` within the unit (e.g. the lead unit's administrators)."""
    users = get_user_model().objects
    if not role or organisation_id is None:
        return users.none()
    return users.filter(is_active=True, organisation_id=organisation_id, groups__name=role)
