"""Who may do what with classification records: one function per question (design §2), each on
``core.policies``' one superuser rule. Services refuse with these, selectors scope with them and
views decide what to show with them.

Deciding is not a superuser's: only the deciding authority's head and its responsible
classifiers (定密责任人, SECRECY §14) — and those of its superiors (§20–§22) — decide, change or
declassify a secret, so the superuser rule admits the superuser to reading the register and
the audit trail, never to a decision."""

from __future__ import annotations

from accounts.roles import Role
from core.policies import has_role
from secrecy import rules
from secrecy.models import Authority, Classification, LeakReport

# Who reads every authority's filings: the ministry receives them (SECRECY §23) and the system
# administrator oversees the register.
REGISTER_READERS = (Role.MINISTRY.value, Role.ADMIN.value)

# A listed organisation names its own people (SECRETS-LAW §16(2)) through these roles.
NAMING_ROLES = (Role.UNIT_ADMIN.value, Role.SECRECY_OFFICER.value)

# Who reads the audit trail of a decision (O1 supervision).
AUDIT_READERS = (Role.ADMIN.value, Role.MINISTRY.value)


def _is_signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_secrecy_officer(user) -> bool:
    """``user`` is a responsible classifier (定密责任人) of their organisation."""
    return _is_signed_in(user) and bool(user.organisation_id) and user.has_role(Role.SECRECY_OFFICER.value)


def is_head_of(user, authority: Authority) -> bool:
    """``user`` heads ``authority`` (负责人): approves additions to its need-to-know lists (S6 —
    SECRETS-LAW §16)."""
    return _is_signed_in(user) and authority.head_id is not None and authority.head_id == user.pk


def is_officer_of(user, authority: Authority) -> bool:
    """The authority's head or one of its responsible classifiers (定密责任人, SECRECY §14)."""
    if not _is_signed_in(user):
        return False
    if authority.head_id == user.pk:
        return True
    return is_secrecy_officer(user) and user.organisation_id == authority.organisation_id


def deciding_authority_of(user, classification: Classification) -> Authority | None:
    """S4 — SECRECY §20–§22: the original authority or one of its superiors, whichever the user
    acts for (nearest first); None when the user acts for neither."""
    current, seen = classification.authority, set()
    while current is not None and current.pk not in seen:
        if is_officer_of(user, current):
            return current
        seen.add(current.pk)
        current = current.superior
    return None


def is_original_authority_or_superior(user, classification: Classification) -> bool:
    """S4 — the user acts for the authority that decided ``classification`` or for a superior."""
    return deciding_authority_of(user, classification) is not None


def may_classify_at(authority: Authority, level: str) -> bool:
    """S3 — SECRECY §12: ``authority``'s tier (or written authorisation) allows ``level``."""
    return rules.may_classify(authority.tier, level, authority.authorised_level)


def may_read_filing_register(user) -> bool:
    """S5 — the ministry and the system administrator read every authority's filings."""
    return has_role(user, *REGISTER_READERS)


def may_read_audit_trail(user) -> bool:
    """The administrators and the ministry read a decision's audit trail."""
    return has_role(user, *AUDIT_READERS)


def names_for_organisation(user) -> bool:
    """``user`` names the people of their organisation on the lists that name it (SECRETS-LAW
    §16(2)): its unit administrators and secrecy officers."""
    return _is_signed_in(user) and bool(user.organisation_id) and user.has_role(*NAMING_ROLES)


def may_name_people_of(user, *, organisation_id: int | None) -> bool:
    """``user`` names people of the listed organisation ``organisation_id``."""
    return names_for_organisation(user) and user.organisation_id == organisation_id


def may_act_on_leak(user, leak: LeakReport) -> bool:
    """S10 — SECRETS-REGS §34: the secrecy officers of the organisation concerned take the
    remedial measures and report the leak."""
    return (
        _is_signed_in(user)
        and user.has_role(Role.SECRECY_OFFICER.value)
        and user.organisation_id == leak.organisation_id
    )
