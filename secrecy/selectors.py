"""Need-to-know (S6 — SECRETS-LAW §16): the one filter every app's selectors put on their
querysets. An object under a classification in force exists only for the people on its list
(named users, directly or named by a listed organisation, and the administrators of a listed
organisation who name them), its responsible classifier, the head and secrecy officers of the
deciding authority and of its superiors (two levels up); for everyone else it is absent from lists,
counts, searches and pages (404). Superusers are not filtered (the system administrator's
Django admin); every other role is.

The filter is one correlated ``NOT EXISTS`` per path, answered from the partial index
``classification_in_force`` (content type, object id) and the grant index by user, so its cost
does not grow with the number of classified objects a user is not on."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.roles import Role
from secrecy.models import Authority, Classification, KnowledgeGrant

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
    if user.organisation_id and user.has_role(Role.SECRECY_OFFICER.value):
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
    if user.organisation_id and (user.has_role(Role.UNIT_ADMIN.value) or user.has_role(Role.SECRECY_OFFICER.value)):
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
    from secrecy import rules

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
