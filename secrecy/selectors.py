"""Need-to-know (S6 — SECRETS-LAW §16): the one filter every app's selectors put on their
querysets. An object under a classification in force exists only for the people on its list
(named users, directly or named by a listed organisation, and the administrators of a listed
organisation who name them), its responsible classifier, the head and secrecy officers of the
deciding authority and of its superiors (two levels up); for everyone else it is absent from lists,
counts, searches and pages (404). Superusers are not filtered (the system administrator's
Django admin); every other role is.

The filter is one correlated ``NOT EXISTS`` per path, answered from the partial index
``classification_in_force`` (content type, object id) and the grant index by user, so its cost
does not grow with the number of classified objects a user is not on.

Then the reads the secrecy pages and the API share: decisions, the filing register (S5),
need-to-know entries (S6), secrecy reviews (S9) and leak reports (S10). What a user may not see
answers 404."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Exists, Model, OuterRef, Prefetch, Q, QuerySet, Value
from django.http import Http404

from secrecy import policies, rules
from secrecy.models import Authority, Classification, Dispute, Filing, KnowledgeGrant, LeakReport, SecrecyReview

IN_FORCE = (Classification.State.PROVISIONAL, Classification.State.ACTIVE)


def _bypasses(user) -> bool:
    return bool(getattr(user, "is_superuser", False))


def knows_q(user) -> Q:
    """On a ``Classification`` queryset: the decisions ``user`` may know of.

    Written with uncorrelated ``IN (subquery)`` terms (the user's grants, the authorities the
    user acts for) so that PostgreSQL computes each once per query as a hashed set instead of
    probing it per classified row."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    office = Q(head_id=user.pk)
    if policies.is_secrecy_officer(user):
        office |= Q(organisation_id=user.organisation_id)
    own = Authority.objects.filter(office).values("pk")
    # The deciding authority and its superiors, who may change or declassify it (S4 — SECRECY
    # §20–§22), two levels up.
    acting_for = Authority.objects.filter(
        Q(pk__in=own) | Q(superior_id__in=own) | Q(superior__superior_id__in=own)
    ).values("pk")
    granted = KnowledgeGrant.objects.filter(user_id=user.pk, revoked_at__isnull=True, is_pending=False).values(
        "classification_id"
    )
    knows = Q(classifier_id=user.pk) | Q(authority_id__in=acting_for) | Q(pk__in=granted)
    if policies.names_for_organisation(user):
        # A listed organisation names its people (SECRETS-LAW §16(2)): its administrators and
        # secrecy officers know of the decision.
        listed = KnowledgeGrant.objects.filter(
            organisation_id=user.organisation_id, revoked_at__isnull=True, is_pending=False
        ).values("classification_id")
        knows |= Q(pk__in=listed)
    return knows


def hidden_from(user, model: type[Model]) -> QuerySet[Classification]:
    """Classifications in force on objects of ``model`` that ``user`` may not know of."""
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    return Classification.objects.filter(content_type_id=content_type.pk, state__in=IN_FORCE).exclude(knows_q(user))


def _model_at(model: type[Model], path: str) -> type[Model]:
    for name in [part for part in path.split("__") if part]:
        model = model._meta.get_field(name).related_model
    return model


def need_to_know(queryset: QuerySet, user, *, via: Iterable[str] = ("",)) -> QuerySet:
    """``queryset`` without the objects ``user`` may not know of. ``via`` names the paths whose
    classification also hides a row ("" the row itself; e.g. ``("", "proposal", "proposal__call")``
    for a subject). Nullable paths hide nothing when empty."""
    if _bypasses(user):
        return queryset
    for path in via:
        column = f"{path}__pk" if path else "pk"
        model = _model_at(queryset.model, path)
        hidden = hidden_from(user, model).filter(object_id=OuterRef(column))
        queryset = queryset.exclude(Exists(hidden))
    return queryset


def is_hidden(user, obj: Model | None) -> bool:
    """One object: true when a classification in force hides it from ``user``."""
    if obj is None or obj.pk is None or _bypasses(user):
        return False
    return hidden_from(user, type(obj)).filter(object_id=obj.pk).exists()


def require_known(user, *objects: Model | None) -> None:
    """404 when any of ``objects`` is hidden from ``user`` (S6)."""
    if any(is_hidden(user, obj) for obj in objects):
        raise Http404


def classification_of(obj: Model | None) -> Classification | None:
    """The classification in force on ``obj`` (with its open disputes), if any."""
    if obj is None or obj.pk is None:
        return None
    content_type = ContentType.objects.get_for_model(type(obj), for_concrete_model=False)
    return (
        Classification.objects.filter(content_type_id=content_type.pk, object_id=obj.pk, state__in=IN_FORCE)
        .prefetch_related("disputes")
        .first()
    )


def mark_of(*objects: Model | None) -> str:
    """S8 — the mark to print on a carrier of ``objects`` (the highest of their classifications
    in force, e.g. a task book of a classified project); empty for ordinary objects."""
    found = [classification for classification in map(classification_of, objects) if classification is not None]
    if not found:
        return ""
    return max(found, key=lambda classification: rules.rank(classification.handled_level)).mark


def classifications_for_user(user) -> QuerySet[Classification]:
    """The classification records a user may read: those they may know of; the ministry reads
    the filing register but not the lists (it sees decisions through ``filings_for_user``)."""
    records = Classification.objects.select_related("authority__organisation", "classifier", "content_type")
    if _bypasses(user):
        return records
    return records.filter(knows_q(user))


def classification_get_for_user(user, pk: int) -> Classification:
    classification = classifications_for_user(user).filter(pk=pk).first()
    if classification is None:
        raise Http404
    return classification


def classifications_in_force_for_user(user) -> QuerySet[Classification]:
    """The decisions in force ``user`` may know of, by name (e.g. to say which one a leak concerns)."""
    return classifications_for_user(user).filter(state__in=IN_FORCE).order_by("name", "id")


def knows(user, classification_id: int | None) -> bool:
    """``user`` may know of the decision ``classification_id`` (S6)."""
    return classification_id is not None and classifications_for_user(user).filter(pk=classification_id).exists()


def known_classification_ids(user) -> QuerySet:
    return classifications_for_user(user).values("pk")


def with_known_classification(queryset: QuerySet, user) -> QuerySet:
    """``queryset`` (of rows with a ``classification``) annotated ``knows_classification``: the
    row's decision is one ``user`` may know of (S6)."""
    if _bypasses(user):
        return queryset.annotate(knows_classification=Value(True, output_field=BooleanField()))
    known = Classification.objects.filter(knows_q(user), pk=OuterRef("classification_id"))
    return queryset.annotate(knows_classification=Exists(known))


# ---- Decisions --------------------------------------------------------------------------------------


def open_disputes() -> Prefetch:
    """The open objections a mark is handled at (S7), prefetched for ``handled_level``."""
    return Prefetch("disputes", queryset=Dispute.objects.filter(state=Dispute.State.OPEN))


def classification_list_for_user(user) -> QuerySet[Classification]:
    """The decisions ``user`` may know of, ready for a list: marks and targets without a query per row."""
    return classifications_for_user(user).prefetch_related(open_disputes(), "target")


def classification_get_for_decider(user, pk: int) -> Classification:
    """A decision the user may know of, or one they may decide on for a superior authority (S4 —
    SECRECY §20–§22; S7 — SECRETS-REGS §19: a provisional level is reported to the superior);
    404 otherwise."""
    try:
        return classification_get_for_user(user, pk)
    except Http404:
        classification = (
            Classification.objects.select_related("authority__organisation", "classifier", "content_type")
            .filter(pk=pk)
            .first()
        )
        if classification is None or not policies.is_original_authority_or_superior(user, classification):
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


def annual_filings_of(classification: Classification) -> list[Filing]:
    """The annual summaries of the authority that list this decision (SECRECY §23(1))."""
    annual = Filing.objects.filter(authority_id=classification.authority_id, event=Filing.Event.ANNUAL)
    return [
        filing
        for filing in annual.select_related("filed_by").order_by("year")
        if any(entry.get("classification") == classification.pk for entry in filing.summary.get("entries", []))
    ]


# ---- Need-to-know entries and secrecy reviews -----------------------------------------------------


def grants_for_user(user) -> QuerySet[KnowledgeGrant]:
    """The entries of the lists of the decisions ``user`` may know of (S6); for the unit
    administrators and secrecy officers of a listed organisation, also its entries and the
    people it named."""
    visible = Q(classification__in=known_classification_ids(user))
    if policies.names_for_organisation(user):
        visible |= Q(organisation_id=user.organisation_id, is_pending=False) | Q(
            via__organisation_id=user.organisation_id
        )
    return KnowledgeGrant.objects.filter(visible).select_related("user", "organisation", "granted_by", "approved_by")


def organisation_grants_for_user(user) -> QuerySet[KnowledgeGrant]:
    """The approved entries in force that name the user's organisation, for its unit
    administrators and secrecy officers to name its people."""
    if not policies.names_for_organisation(user):
        return KnowledgeGrant.objects.none()
    return KnowledgeGrant.objects.filter(
        organisation_id=user.organisation_id,
        is_pending=False,
        revoked_at__isnull=True,
        classification__state__in=IN_FORCE,
    ).select_related("classification__authority__organisation", "organisation", "granted_by")


def organisation_grants_with_people(user) -> list[KnowledgeGrant]:
    """``organisation_grants_for_user``, newest first, each with the people named through it
    (``named_people``) and its decision's open objections."""
    named = KnowledgeGrant.objects.filter(revoked_at__isnull=True).select_related("user").order_by("granted_at", "id")
    return list(
        organisation_grants_for_user(user)
        .prefetch_related(
            Prefetch("named", queryset=named, to_attr="named_people"),
            Prefetch("classification__disputes", queryset=open_disputes().queryset),
        )
        .order_by("-granted_at", "-id")
    )


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
    if policies.may_read_filing_register(user):
        return filings
    own = Q(authority__head_id=user.pk)
    if policies.is_secrecy_officer(user):
        own |= Q(authority__organisation_id=user.organisation_id)
    return filings.filter(own)


def filing_get_for_user(user, pk: int) -> Filing:
    filing = filings_for_user(user).filter(pk=pk).first()
    if filing is None:
        raise Http404
    return filing


def known_classification_ids_among(user, ids: set[int]) -> set[int]:
    """Which of the decisions ``ids`` ``user`` may know of (one query; none for no ids)."""
    if not ids:
        return set()
    return set(classifications_for_user(user).filter(pk__in=ids).values_list("pk", flat=True))


# ---- Leak reports (S10) ---------------------------------------------------------------------------


def leaks_for_user(user) -> QuerySet[LeakReport]:
    """The reporter sees their own reports; the secrecy officers of the organisation concerned
    see its reports."""
    leaks = LeakReport.objects.select_related("organisation", "reported_by", "acted_by", "classification")
    if not getattr(user, "is_authenticated", False):
        return leaks.none()
    visible = Q(reported_by_id=user.pk)
    if policies.is_secrecy_officer(user):
        visible |= Q(organisation_id=user.organisation_id)
    return leaks.filter(visible)


def leak_get_for_user(user, pk: int) -> LeakReport:
    leak = leaks_for_user(user).filter(pk=pk).first()
    if leak is None:
        raise Http404
    return leak
