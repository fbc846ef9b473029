"""The secrecy app's answer to core's need-to-know hook (``core.visibility``), registered from
``SecrecyConfig.ready()``.

Each app's ``selectors`` module names, in ``NEED_TO_KNOW_VIA``, the paths whose classification
hides a row of each of its models (see ``projects.selectors``; core collects them in
``core.selectors.need_to_know_paths``). With them this module hides rows that point at any
object generically (obligations, audit events) and finds the classifications a page or a
document carries (S8 — SECRETS-REGS §15)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, Model, OuterRef, Q, QuerySet
from django.db.models.functions import Cast

from core.models import Obligation
from core.selectors import need_to_know_paths
from core.visibility import Visibility
from secrecy import rules
from secrecy.models import Classification, Dispute, KnowledgeGrant, SecrecyReview
from secrecy.selectors import IN_FORCE, hidden_from, knows_q, need_to_know


def _walk(model: type[Model], path: str) -> tuple[type[Model], bool]:
    """The model at the end of ``path`` and whether the path goes through a reverse relation
    (one row may reach several objects, or none)."""
    is_reverse = False
    for name in [part for part in path.split("__") if part]:
        field = model._meta.get_field(name)
        is_reverse = is_reverse or field.auto_created and not field.concrete
        model = field.related_model
    return model, is_reverse


def known(queryset: QuerySet, user, *, via: Iterable[str]) -> QuerySet:
    """``secrecy.selectors.need_to_know`` that also takes paths through reverse relations
    ("proposal__subjects": any hidden subject hides the row). Forward paths go to the filter
    as they are; a reverse path is checked in a subquery on the row's own table, so the outer
    query gains no join and no duplicate rows."""
    forward, reverse = [], []
    for path in via:
        (reverse if _walk(queryset.model, path)[1] else forward).append(path)
    queryset = need_to_know(queryset, user, via=forward)
    if not reverse or getattr(user, "is_superuser", False):
        return queryset
    for path in reverse:
        model, _is_reverse = _walk(queryset.model, path)
        hidden = hidden_from(user, model).filter(object_id=OuterRef(f"{path}__pk"))
        rows = queryset.model._base_manager.filter(pk=OuterRef("pk")).filter(Exists(hidden))
        queryset = queryset.exclude(Exists(rows))
    return queryset


# Up to this many hidden decisions are named by id in the generic filters (short SQL, quick to
# build); beyond it the filters go back to subqueries.
LITERAL_LIMIT = 1000


class _Hidden:
    """The classifications in force hidden from a user: by content type, the ids of the
    objects (or None beyond ``LITERAL_LIMIT``: then subqueries name them), and the decisions'
    own ids."""

    def __init__(self, user):
        self.user = user
        self.decisions = Classification.objects.filter(state__in=IN_FORCE).exclude(knows_q(user)).order_by()
        rows = list(self.decisions.values_list("pk", "content_type_id", "object_id")[: LITERAL_LIMIT + 1])
        self.is_literal = len(rows) <= LITERAL_LIMIT
        if self.is_literal:
            self.decision_ids = [pk for pk, _type, _object in rows]
            self.objects: dict[int, list[int]] = {}
            for _pk, content_type_id, object_id in rows:
                self.objects.setdefault(content_type_id, []).append(object_id)
        else:
            self.decision_ids = self.decisions.values("pk")
            types = self.decisions.values_list("content_type_id", flat=True).distinct()
            self.objects = {content_type_id: None for content_type_id in types}

    def __bool__(self) -> bool:
        return bool(self.objects)

    def of(self, model: type[Model]):
        """The hidden object ids of ``model`` (a list or a subquery), or None when none is."""
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        if content_type.pk not in self.objects:
            return None
        if self.is_literal:
            return self.objects[content_type.pk]
        return self.decisions.filter(content_type_id=content_type.pk).values("object_id")


def hidden_ids(model: type[Model], hidden: _Hidden, *, via: Iterable[str]) -> QuerySet | None:
    """The rows of ``model`` a classification along ``via`` hides, as text ids (generic object
    ids are text), found from the hidden decisions through the foreign-key indexes; None when
    no path can hide anything."""
    condition = None
    for path in via:
        ids = hidden.of(_walk(model, path)[0])
        if ids is not None:
            term = Q(**{f"{path}__pk__in" if path else "pk__in": ids})
            condition = term if condition is None else condition | term
    if condition is None:
        return None
    return model._base_manager.filter(condition).annotate(text_id=Cast("pk", CharField())).values("text_id")


def _hidden_target(hidden: _Hidden, content_type_field: str = "content_type") -> Q:
    """Rows (naming a target by content type and text object id) whose target is hidden, or is
    a decision record the user may not know of (its text is the secret's name: the decision,
    a need-to-know entry, an objection, a secrecy review)."""
    condition = Q(pk__in=[])
    for model, via in need_to_know_paths().items():
        ids = hidden_ids(model, hidden, via=via)
        if ids is not None:
            content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
            condition |= Q(**{f"{content_type_field}_id": content_type.pk, "object_id__in": ids})
    for model, column in (
        (Classification, "pk__in"),
        (KnowledgeGrant, "classification__in"),
        (Dispute, "classification__in"),
        (SecrecyReview, "classification__in"),
    ):
        content_type = ContentType.objects.get_for_model(model)
        ids = model.objects.filter(**{column: hidden.decision_ids}).annotate(text_id=Cast("pk", CharField()))
        condition |= Q(**{f"{content_type_field}_id": content_type.pk, "object_id__in": ids.values("text_id")})
    return condition


def known_targets(queryset: QuerySet, user, *, content_type_field: str = "content_type") -> QuerySet:
    """``queryset`` (of rows naming a target by content type and text object id: obligations,
    audit events) without the rows whose target is hidden from ``user`` (S6), or is a decision
    record the user may not know of. An audit event of an obligation is hidden with the
    obligation's target. One query first reads what is hidden from the user (usually nothing,
    or a few decisions), so that the filter names only the paths that can hide anything; the
    lookups go through the (content type, object id) indexes of those tables."""
    if getattr(user, "is_superuser", False):
        return queryset
    hidden = _Hidden(user)
    if not hidden:
        return queryset
    condition = _hidden_target(hidden, content_type_field)
    if queryset.model is not Obligation:
        obligations = Obligation.objects.filter(_hidden_target(hidden)).annotate(text_id=Cast("pk", CharField()))
        obligation_type = ContentType.objects.get_for_model(Obligation)
        condition |= Q(
            **{f"{content_type_field}_id": obligation_type.pk, "object_id__in": obligations.values("text_id")}
        )
    return queryset.exclude(condition)


def target_is_hidden(user, model: type[Model], object_id) -> bool:
    """True when the object of ``model`` with ``object_id`` is hidden from ``user`` (S6)."""
    via = need_to_know_paths().get(model)
    if via is None or getattr(user, "is_superuser", False) or not str(object_id).isdigit():
        return False
    rows = model._base_manager.filter(pk=int(object_id))
    return rows.exists() and not known(rows, user, via=via).exists()


def carrier_mark(*objects: Model | None) -> str:
    """S8 — the mark a page or document about ``objects`` carries: the highest classification in
    force on them and on what they belong to (the paths of ``NEED_TO_KNOW_VIA``: a task book
    carries its project's and subject's, a budget book every subject's). Empty when none is
    classified. One query, whatever the number of objects."""
    paths = need_to_know_paths()
    conditions = []
    for obj in objects:
        if obj is None or obj.pk is None:
            continue
        model = type(obj)
        for path in paths.get(model, ("",)):
            target, _is_reverse = _walk(model, path)
            content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
            ids = [obj.pk] if not path else model._base_manager.filter(pk=obj.pk).values(f"{path}__pk")
            conditions.append(Q(content_type_id=content_type.pk, object_id__in=ids))
    if not conditions:
        return ""
    found = list(
        Classification.objects.filter(functools.reduce(operator.or_, conditions), state__in=IN_FORCE)
        .distinct()
        .prefetch_related("disputes")
    )
    if not found:
        return ""
    return max(found, key=lambda classification: rules.rank(classification.handled_level)).mark


NEED_TO_KNOW = Visibility(
    known=known, known_targets=known_targets, target_is_hidden=target_is_hidden, carrier_mark=carrier_mark
)
