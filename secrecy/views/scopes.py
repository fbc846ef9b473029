"""Scoped reads the secrecy pages and the API share, next to the need-to-know selectors of
``secrecy.selectors``: the filing register (S5), need-to-know entries (S6), secrecy reviews
(S9) and leak reports (S10). What a user may not see answers 404."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from accounts.roles import Role
from secrecy import selectors, services
from secrecy.models import Authority, Classification, Dispute, Filing, KnowledgeGrant, LeakReport, SecrecyReview

# Who reads every authority's filings: the ministry receives them (SECRECY §23) and the system
# administrator oversees the register.
REGISTER_READERS = (Role.MINISTRY.value, Role.ADMIN.value)


# ---- Classifications ------------------------------------------------------------------------------


def open_disputes() -> Prefetch:
    """The open objections a mark is handled at (S7), prefetched for ``handled_level``."""
    return Prefetch("disputes", queryset=Dispute.objects.filter(state=Dispute.State.OPEN))


def classification_list_for_user(user) -> QuerySet[Classification]:
    """The decisions ``user`` may know of, ready for a list: marks and targets without a query per row."""
    return selectors.classifications_for_user(user).prefetch_related(open_disputes(), "target")


def classification_get_for_decider(user, pk: int) -> Classification:
    """A decision the user may know of, or one they may decide on for a superior authority (S4 —
    SECRECY §20–§22; S7 — SECRETS-REGS §19: a provisional level is reported to the superior);
    404 otherwise."""
    try:
        return selectors.classification_get_for_user(user, pk)
    except Http404:
        classification = (
            Classification.objects.select_related("authority__organisation", "classifier", "content_type")
            .filter(pk=pk)
            .first()
        )
        if classification is None or services.deciding_authority_of(user, classification) is None:
            raise
        return classification


def authority_for(user) -> Authority | None:
    """The classification authority a user acts for when deciding: their organisation's, or the
    one they head."""
    if not getattr(user, "is_authenticated", False):
        return None
    authority = None
    if user.organisation_id:
        authority = (
            Authority.objects.select_related("organisation").filter(organisation_id=user.organisation_id).first()
        )
    if authority is None:
        authority = Authority.objects.select_related("organisation").filter(head_id=user.pk).first()
    return authority


# ---- Targets ---------------------------------------------------------------------------------------

# Pages of the objects classified so far (reports and IP items come later with their apps).
TARGET_PAGES = {
    "projects.call": lambda target: reverse("projects:call_detail", args=[target.pk]),
    "projects.proposal": lambda target: reverse("projects:proposal_detail", args=[target.pk]),
    "projects.project": lambda target: reverse("projects:project_detail", args=[target.pk]),
    "projects.subject": lambda target: reverse("projects:proposal_detail", args=[target.proposal_id]),
}


def target_key(content_type: ContentType) -> str:
    return f"{content_type.app_label}.{content_type.model}"


def target_url(classification: Classification) -> str:
    """The page of the classified object, when it has one."""
    target = classification.target
    if target is None:
        return ""
    page = TARGET_PAGES.get(target_key(classification.content_type))
    try:
        if page is not None:
            return page(target)
        absolute = getattr(target, "get_absolute_url", None)
        return absolute() if callable(absolute) else ""
    except NoReverseMatch:
        return ""


# ---- Need-to-know entries and secrecy reviews -----------------------------------------------------


def known_classification_ids(user) -> QuerySet:
    return selectors.classifications_for_user(user).values("pk")


# A listed organisation names its own people (SECRETS-LAW §16(2)) through these roles.
NAMING_ROLES = (Role.UNIT_ADMIN.value, Role.SECRECY_OFFICER.value)


def names_for_organisation(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.organisation_id and user.has_role(*NAMING_ROLES))


def grants_for_user(user) -> QuerySet[KnowledgeGrant]:
    """The entries of the lists of the decisions ``user`` may know of (S6); for the unit
    administrators and secrecy officers of a listed organisation, also its entries and the
    people it named."""
    visible = Q(classification__in=known_classification_ids(user))
    if names_for_organisation(user):
        visible |= Q(organisation_id=user.organisation_id, is_pending=False) | Q(
            via__organisation_id=user.organisation_id
        )
    return KnowledgeGrant.objects.filter(visible).select_related("user", "organisation", "granted_by", "approved_by")


def organisation_grants_for_user(user) -> QuerySet[KnowledgeGrant]:
    """The approved entries in force that name the user's organisation, for its unit
    administrators and secrecy officers to name its people."""
    if not names_for_organisation(user):
        return KnowledgeGrant.objects.none()
    return KnowledgeGrant.objects.filter(
        organisation_id=user.organisation_id,
        is_pending=False,
        revoked_at__isnull=True,
        classification__state__in=selectors.IN_FORCE,
    ).select_related("classification__authority__organisation", "organisation", "granted_by")


def organisation_grant_get_for_user(user, pk: int) -> KnowledgeGrant:
    grant = organisation_grants_for_user(user).filter(pk=pk).first()
    if grant is None:
        raise Http404
    return grant


def reviews_for_user(user) -> QuerySet[SecrecyReview]:
    """The secrecy reviews of the decisions ``user`` may know of (S9)."""
    return SecrecyReview.objects.filter(classification__in=known_classification_ids(user)).select_related(
        "classification", "requested_by", "reviewer"
    )


# ---- Filings (S5) ---------------------------------------------------------------------------------


def filings_for_user(user) -> QuerySet[Filing]:
    """The filing register: an authority's secrecy officers and head see its filings; the
    ministry and the system administrator read all of them."""
    filings = Filing.objects.select_related("authority__organisation", "classification", "filed_by")
    if not getattr(user, "is_authenticated", False):
        return filings.none()
    if user.is_superuser or user.has_role(*REGISTER_READERS):
        return filings
    own = Q(authority__head_id=user.pk)
    if user.organisation_id and user.has_role(Role.SECRECY_OFFICER.value):
        own |= Q(authority__organisation_id=user.organisation_id)
    return filings.filter(own)


def filing_get_for_user(user, pk: int) -> Filing:
    filing = filings_for_user(user).filter(pk=pk).first()
    if filing is None:
        raise Http404
    return filing


# ---- Leak reports (S10) ---------------------------------------------------------------------------


def leaks_for_user(user) -> QuerySet[LeakReport]:
    """The reporter sees their own reports; the secrecy officers of the organisation concerned
    see its reports."""
    leaks = LeakReport.objects.select_related("organisation", "reported_by", "acted_by", "classification")
    if not getattr(user, "is_authenticated", False):
        return leaks.none()
    visible = Q(reported_by_id=user.pk)
    if user.organisation_id and user.has_role(Role.SECRECY_OFFICER.value):
        visible |= Q(organisation_id=user.organisation_id)
    return leaks.filter(visible)


def leak_get_for_user(user, pk: int) -> LeakReport:
    leak = leaks_for_user(user).filter(pk=pk).first()
    if leak is None:
        raise Http404
    return leak


def may_act_on_leak(user, leak: LeakReport) -> bool:
    return user.has_role(Role.SECRECY_OFFICER.value) and user.organisation_id == leak.organisation_id
