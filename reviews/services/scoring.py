"""Review rounds and scoring: create a round with its criteria, open it for scoring with a
deadline per expert (V4), draft and submit scores (V2), close it with aggregates, spreads,
disputes and ranks per group, record late experts (V4), publish the panel (V1 — KRD-MGMT §26)
and feed the first-round results to the shortlist (P3 — KRD-MGMT §28–§29)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.selectors import users_with_role
from core import audit
from core.deadlines import services as deadlines
from core.exceptions import RuleViolation, StateConflict
from core.locks import lock, lock_all
from core.notifications import notify
from projects import services
from reviews import policies, rules
from reviews.models import (
    Assignment,
    Criterion,
    ExpertCreditRecord,
    ReviewItem,
    ReviewRound,
    Score,
)
from reviews.services.assignment import lock_round

OBLIGATION_KIND = "review_scoring"

ROUND_SETTINGS = frozenset(
    {
        "method",
        "aggregation",
        "group_size",
        "min_experts",
        "deadline",
        "hide_identities",
        "collaboration_years",
        "max_rounds_per_year",
        "disagreement_points",
        "technical_experts",
        "management_experts",
        "industry_experts",
    }
)


def _require_agency(actor, review_round: ReviewRound) -> None:
    if not policies.may_manage_round(actor, review_round):
        raise PermissionDenied


def _require_state(review_round: ReviewRound, *states: str, message: str) -> None:
    if review_round.state not in states:
        raise StateConflict(message, code="round_state")


def criteria_facts(review_round: ReviewRound) -> list[rules.CriterionFacts]:
    return [
        rules.CriterionFacts(id=criterion.pk, weight=criterion.weight, scale_max=criterion.scale_max)
        for criterion in review_round.criteria.all()
    ]


# ---- Creating and opening ------------------------------------------------------------------------


FINISHED_STATES = ("closed", "published")


def _require_intl_stage(call, kind: str) -> None:
    """P12 — INTL §22: for an international call, technical review follows a finished
    strategic review, and budget review a finished technical review."""
    before = rules.intl_stage_before(kind)
    if call.special_project.program.code != "intl" or before is None:
        return
    if not ReviewRound.objects.filter(call=call, kind=before, state__in=FINISHED_STATES).exists():
        raise RuleViolation(
            "P12",
            _("INTL §22: %(kind)s follows a finished %(before)s of the same call.")
            % {"kind": ReviewRound.Kind(kind).label, "before": ReviewRound.Kind(before).label},
            code="intl_stage_order",
        )


@transaction.atomic
def round_create(
    *, actor, call=None, project=None, kind: str, title: str, criteria: list[dict], **settings
) -> ReviewRound:
    """The managing agency sets up a round for a call's applications or for a project, with
    its scoring form (criteria with weight and scale)."""
    if (call is None) == (project is None):
        raise ValueError("A round reviews either a call or a project.")
    unknown = set(settings) - ROUND_SETTINGS
    if unknown:
        raise ValueError(f"Unknown round settings: {sorted(unknown)}")
    if call is not None:
        special_project = call.special_project
        agency_id = special_project.managing_agency_id
        year = call.year
    else:
        special_project = project.special_project
        agency_id = project.managing_agency_id
        year = timezone.localdate().year
        if special_project is None:
            raise StateConflict(_("The project belongs to no special project."), code="no_special_project")
    if not policies.may_create_round(actor, agency_id=agency_id):
        raise PermissionDenied
    if kind not in ReviewRound.Kind.values:
        raise RuleViolation("V2", _("Choose the kind of review."), fields={"kind": [_("Unknown kind.")]})
    if not title.strip():
        raise RuleViolation("V2", _("Give the round a title."), fields={"title": [_("Required.")]})
    if not criteria:
        raise RuleViolation(
            "V2", _("A round needs at least one scoring criterion."), fields={"criteria": [_("Required.")]}
        )
    if call is not None:
        _require_intl_stage(call, kind)
    rows = []
    for order, row in enumerate(criteria, start=1):
        name = str(row.get("name", "")).strip()
        try:
            weight = Decimal(str(row.get("weight", 1)))
            scale_max = int(row.get("scale_max", 100))
        except (InvalidOperation, TypeError, ValueError) as error:
            raise RuleViolation(
                "V2", _("Criterion %(order)d: weight and highest score must be numbers.") % {"order": order}
            ) from error
        if not name or weight <= 0 or scale_max < 1:
            raise RuleViolation(
                "V2",
                _("Criterion %(order)d needs a name, a positive weight and a highest score of at least 1.")
                % {"order": order},
                fields={"criteria": [_("Invalid criterion.")]},
            )
        rows.append((name, weight, scale_max))
    review_round = ReviewRound.objects.create(
        title=title.strip(),
        kind=kind,
        call=call,
        project=project,
        special_project=special_project,
        managing_agency_id=agency_id,
        year=year,
        created_by=actor,
        **settings,
    )
    Criterion.objects.bulk_create(
        Criterion(review_round=review_round, order=order, name=name, weight=weight, scale_max=scale_max)
        for order, (name, weight, scale_max) in enumerate(rows, start=1)
    )
    audit.record(
        actor=actor,
        action="review_round.create",
        target=review_round,
        rule="V2",
        changes={
            "kind": [None, kind],
            "title": [None, review_round.title],
            "criteria": [None, [f"{name} ×{weight} /{scale_max}" for name, weight, scale_max in rows]],
        },
    )
    return review_round


def _expert_users(review_round: ReviewRound) -> dict[int, object]:
    """Experts with a portal user among the round's live assignments, by expert id."""
    assignments = (
        Assignment.objects.filter(item__review_round=review_round)
        .exclude(state=Assignment.State.WITHDRAWN)
        .select_related("expert__user")
    )
    return {a.expert_id: a.expert.user for a in assignments if a.expert.user_id is not None}


def _agency_users(review_round: ReviewRound):
    return list(users_with_role(organisation_id=review_round.managing_agency_id, role=Role.AGENCY.value))


@transaction.atomic
def round_open(*, actor, review_round: ReviewRound, now: dt.datetime | None = None) -> ReviewRound:
    """Experts assigned → open for scoring; each expert with a portal user gets an obligation
    due at the round's deadline, with reminders and escalation to the agency (V4)."""
    now = now or timezone.now()
    review_round = lock_round(review_round)
    _require_agency(actor, review_round)
    _require_state(
        review_round, ReviewRound.State.ASSIGNED, message=_("Only a round whose experts are assigned can be opened.")
    )
    if review_round.deadline is None or review_round.deadline <= now:
        raise RuleViolation(
            "V4",
            _("INTL §46, EVAL §22: set a scoring deadline in the future before opening the round."),
            fields={"deadline": [_("Required.")]},
        )
    if not review_round.items.filter(assignments__isnull=False).exists():
        raise StateConflict(_("No expert is assigned to the round yet."), code="no_assignments")
    review_round.state = ReviewRound.State.OPEN
    review_round.save(update_fields=["state"])
    link = reverse("reviews:my_assignments")
    users = _expert_users(review_round)
    for expert_id, user in sorted(users.items()):
        deadlines.obligation_ensure(
            target=review_round,
            kind=OBLIGATION_KIND,
            period=f"expert-{expert_id}",
            due_at=review_round.deadline,
            title=_("Scores for %(round)s") % {"round": review_round.title},
            responsible_users=[user],
            escalation_role=Role.AGENCY.value,
            escalation_organisation=review_round.managing_agency,
            managing_organisation=review_round.managing_agency,
            link=link,
            actor=actor,
            now=now,
        )
    notify(
        recipients=users.values(),
        title=_("Review open: %(round)s") % {"round": review_round.title},
        body=_("Declare that you have no conflict, then score by %(deadline)s.")
        % {"deadline": timezone.localtime(review_round.deadline).strftime("%Y-%m-%d %H:%M")},
        link=link,
    )
    audit.record(
        actor=actor, action="review_round.open", target=review_round, rule="V4", changes={"state": ["assigned", "open"]}
    )
    return review_round


@transaction.atomic
def round_reopen(*, actor, review_round: ReviewRound, deadline: dt.datetime, now: dt.datetime | None = None):
    """The agency gives the experts more time: a later deadline, the obligations move with it."""
    now = now or timezone.now()
    review_round = lock_round(review_round)
    _require_agency(actor, review_round)
    _require_state(review_round, ReviewRound.State.OPEN, message=_("Only an open round can be given more time."))
    if deadline <= now or (review_round.deadline and deadline <= review_round.deadline):
        raise RuleViolation("V4", _("The new deadline must be later than the current one and in the future."))
    before = review_round.deadline
    review_round.deadline = deadline
    review_round.save(update_fields=["deadline"])
    for obligation in deadlines.obligations_open(review_round, kinds=[OBLIGATION_KIND]):
        deadlines.obligation_move(obligation=obligation, due_at=deadline, reason=_("Scoring reopened"), actor=actor)
    audit.record(
        actor=actor,
        action="review_round.reopen",
        target=review_round,
        rule="V4",
        changes={"deadline": [before, deadline]},
    )
    return review_round


# ---- Scoring -------------------------------------------------------------------------------------


def _lock_assignment(assignment: Assignment) -> Assignment:
    return lock(Assignment, assignment.pk, related=("item__review_round", "expert"))


def _check_scoring(actor, assignment: Assignment, now: dt.datetime) -> ReviewRound:
    if not policies.is_assigned_expert(actor, assignment):
        raise PermissionDenied
    review_round = assignment.item.review_round
    if assignment.state == Assignment.State.ASSIGNED:
        raise RuleViolation(
            "V1",
            _("KRD-MGMT §26: declare that you have no conflict of interest before the materials open for scoring."),
            code="declaration_required",
        )
    if assignment.state != Assignment.State.DECLARED:
        raise StateConflict(_("These scores are already submitted or withdrawn."), code="assignment_state")
    if review_round.state != ReviewRound.State.OPEN:
        raise StateConflict(_("The round is not open for scoring."), code="round_not_open")
    if review_round.deadline is not None and now > review_round.deadline:
        raise RuleViolation(
            "V4",
            _("INTL §46, EVAL §22: the scoring deadline has passed; ask the agency to reopen the round."),
            code="deadline_passed",
        )
    return review_round


def _parse_value(criterion: Criterion, raw) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as error:
        raise RuleViolation(
            "V2",
            _("%(criterion)s: the score must be a number.") % {"criterion": criterion.name},
            fields={f"criterion_{criterion.pk}": [_("Not a number.")]},
        ) from error
    if not value.is_finite() or value < 0 or value > criterion.scale_max:
        raise RuleViolation(
            "V2",
            _("%(criterion)s: the score must be between 0 and %(max)d.")
            % {"criterion": criterion.name, "max": criterion.scale_max},
            fields={f"criterion_{criterion.pk}": [_("Out of scale.")]},
            code="score_out_of_scale",
        )
    return value.quantize(rules.TWO)


@transaction.atomic
def score_save(
    *, actor, assignment: Assignment, scores: dict, recommendation: str = "", opinion: str = "", now=None
) -> Assignment:
    """The expert's draft: scores of any criteria (blank ones are left as they are),
    recommendation and opinion. Nothing is saved when one score is out of scale (V2)."""
    now = now or timezone.now()
    assignment = _lock_assignment(assignment)
    review_round = _check_scoring(actor, assignment, now)
    criteria = {criterion.pk: criterion for criterion in review_round.criteria.all()}
    values = {}
    for key, raw in scores.items():
        criterion = criteria.get(int(key))
        if criterion is None:
            raise RuleViolation("V2", _("A score names a criterion of another round."))
        if raw is None or str(raw).strip() == "":
            continue
        values[criterion.pk] = _parse_value(criterion, raw)
    if recommendation and recommendation not in Assignment.Recommendation.values:
        raise RuleViolation("V2", _("Choose a recommendation."), fields={"recommendation": [_("Unknown choice.")]})
    existing = {score.criterion_id: score for score in assignment.scores.all()}
    changes = {}
    for criterion_id, value in values.items():
        score = existing.get(criterion_id)
        if score is None:
            Score.objects.create(assignment=assignment, criterion_id=criterion_id, value=value)
            changes[f"criterion_{criterion_id}"] = [None, value]
        elif score.value != value:
            changes[f"criterion_{criterion_id}"] = [score.value, value]
            score.value = value
            score.save(update_fields=["value"])
    fields = []
    if recommendation and recommendation != assignment.recommendation:
        changes["recommendation"] = [assignment.recommendation, recommendation]
        assignment.recommendation = recommendation
        fields.append("recommendation")
    if opinion is not None and opinion.strip() != assignment.opinion:
        changes["opinion"] = [assignment.opinion, opinion.strip()]
        assignment.opinion = opinion.strip()
        fields.append("opinion")
    if fields:
        assignment.save(update_fields=fields)
    if changes:
        audit.record(actor=actor, action="assignment.score", target=assignment, rule="V2", changes=changes)
    return assignment


@transaction.atomic
def assignment_submit(*, actor, assignment: Assignment, now=None) -> Assignment:
    """The expert submits: every criterion scored and a recommendation given (V2), before the
    deadline (V4)."""
    now = now or timezone.now()
    assignment = _lock_assignment(assignment)
    review_round = _check_scoring(actor, assignment, now)
    scored = set(assignment.scores.values_list("criterion_id", flat=True))
    missing = [criterion for criterion in review_round.criteria.all() if criterion.pk not in scored]
    fields = {f"criterion_{criterion.pk}": [_("Required.")] for criterion in missing}
    if not assignment.recommendation:
        fields["recommendation"] = [_("Required.")]
    if fields:
        names = ", ".join(criterion.name for criterion in missing)
        message = (
            _("Score every criterion before submitting (missing: %(names)s).") % {"names": names}
            if missing
            else _("Give a recommendation before submitting.")
        )
        raise RuleViolation("V2", message, fields=fields, code="scores_incomplete")
    assignment.state = Assignment.State.SUBMITTED
    assignment.submitted_at = now
    assignment.save(update_fields=["state", "submitted_at"])
    audit.record(
        actor=actor,
        action="assignment.submit",
        target=assignment,
        rule="V2",
        changes={"state": ["declared", "submitted"]},
    )
    pending = (
        Assignment.objects.filter(item__review_round=review_round, expert_id=assignment.expert_id)
        .exclude(state__in=[Assignment.State.SUBMITTED, Assignment.State.WITHDRAWN])
        .exists()
    )
    if not pending:
        obligation = (
            deadlines.obligations_open(review_round, kinds=[OBLIGATION_KIND])
            .filter(period=f"expert-{assignment.expert_id}")
            .first()
        )
        if obligation is not None:
            deadlines.obligation_complete(obligation=obligation, actor=actor, now=now)
    return assignment


# ---- Closing, publishing, the shortlist ----------------------------------------------------------


def item_totals(review_round: ReviewRound, items) -> dict[int, list[tuple[Assignment, Decimal]]]:
    """Each item's submitted assignments with the expert's total on 100 (weighted by the
    criteria unless the round takes the plain mean)."""
    criteria = criteria_facts(review_round)
    weighted = review_round.aggregation != ReviewRound.Aggregation.MEAN
    result: dict[int, list[tuple[Assignment, Decimal]]] = {item.pk: [] for item in items}
    assignments = (
        Assignment.objects.filter(item__in=items, state=Assignment.State.SUBMITTED)
        .select_related("expert")
        .prefetch_related("scores")
        .order_by("item_id", "id")
    )
    for assignment in assignments:
        values = {score.criterion_id: score.value for score in assignment.scores.all()}
        result[assignment.item_id].append((assignment, rules.expert_total(values, criteria, weighted=weighted)))
    return result


@transaction.atomic
def round_close(*, actor, review_round: ReviewRound, now: dt.datetime | None = None) -> ReviewRound:
    """Close scoring: each item's aggregate with the round's method, spread, disputed flag
    (spread above the round's points), rank and ties within its group; a ``late`` credit record
    for every assignment not submitted by the deadline (V4); first-round and defense results go
    to the proposals (P3)."""
    now = now or timezone.now()
    review_round = lock_round(review_round)
    _require_agency(actor, review_round)
    _require_state(review_round, ReviewRound.State.OPEN, message=_("Only an open round can be closed."))
    items = lock_all(ReviewItem.objects.filter(review_round=review_round))
    totals = item_totals(review_round, items)
    by_group: dict[int | None, dict[int, Decimal | None]] = defaultdict(dict)
    for item in items:
        values = [total for _assignment, total in totals[item.pk]]
        item.aggregate = rules.aggregate(values, method=review_round.aggregation)
        item.spread = rules.spread(values)
        item.is_disputed = item.spread is not None and item.spread > review_round.disagreement_points
        by_group[item.group_id][item.pk] = item.aggregate
    ranks = {}
    for scores in by_group.values():
        ranks.update(rules.rank(scores))
    for item in items:
        item.rank, item.is_tied = ranks.get(item.pk, (None, False))
    ReviewItem.objects.bulk_update(items, ["aggregate", "spread", "is_disputed", "rank", "is_tied"])

    late = []
    if review_round.deadline is not None and now > review_round.deadline:
        late = list(
            Assignment.objects.filter(item__review_round=review_round)
            .exclude(state=Assignment.State.WITHDRAWN)
            .exclude(state=Assignment.State.SUBMITTED, submitted_at__lte=review_round.deadline)
            .select_related("expert", "item")
            .order_by("pk")
        )
        ExpertCreditRecord.objects.bulk_create(
            ExpertCreditRecord(
                expert=assignment.expert,
                kind=ExpertCreditRecord.Kind.LATE,
                review_round=review_round,
                note=_("Assignment %(id)d (%(item)s) not submitted by the deadline.")
                % {"id": assignment.pk, "item": assignment.item},
            )
            for assignment in late
        )
    for obligation in deadlines.obligations_open(review_round, kinds=[OBLIGATION_KIND]):
        deadlines.obligation_waive(obligation=obligation, reason=_("The round is closed."), actor=actor, now=now)

    review_round.state = ReviewRound.State.CLOSED
    review_round.save(update_fields=["state"])
    audit.record(
        actor=actor,
        action="review_round.close",
        target=review_round,
        rule="V4",
        changes={"state": ["open", "closed"], "late_assignments": [None, [a.pk for a in late]]},
    )
    _feed_proposals(actor, review_round, items)
    return review_round


def _feed_proposals(actor, review_round: ReviewRound, items: list[ReviewItem]) -> None:
    if review_round.call_id is None:
        return
    setter = {
        ReviewRound.Kind.FIRST_ROUND: services.first_round_score_set,
        ReviewRound.Kind.DEFENSE: services.defense_score_set,
    }.get(review_round.kind)
    if setter is None:
        return
    for item in items:
        if item.proposal_id is not None and item.aggregate is not None:
            setter(actor=actor, proposal=item.proposal, score=item.aggregate)


@transaction.atomic
def round_publish(*, actor, review_round: ReviewRound) -> ReviewRound:
    """Results published: the round's experts become a public list (KRD-MGMT §26 按照相关规定向
    社会公布) and each applicant sees the anonymised opinions on their proposal (P4)."""
    review_round = lock_round(review_round)
    _require_agency(actor, review_round)
    _require_state(review_round, ReviewRound.State.CLOSED, message=_("Only a closed round can be published."))
    review_round.state = ReviewRound.State.PUBLISHED
    review_round.save(update_fields=["state"])
    applicants = [
        item.proposal.applicant
        for item in review_round.items.select_related("proposal__applicant").filter(proposal__isnull=False)
    ]
    notify(
        recipients=applicants,
        title=_("Review results published: %(round)s") % {"round": review_round.title},
        body=_("The experts' opinions on your application are available, without their names."),
    )
    audit.record(
        actor=actor,
        action="review_round.publish",
        target=review_round,
        rule="V1",
        changes={"state": ["closed", "published"]},
    )
    return review_round


def round_shortlist(*, actor, review_round: ReviewRound, now: dt.datetime | None = None):
    """P3 — after a closed first round of a two-round call, keep factor × planned per
    direction (projects.services.shortlist_make)."""
    if not policies.may_manage_round(actor, review_round):
        raise PermissionDenied
    if review_round.kind != ReviewRound.Kind.FIRST_ROUND or review_round.call_id is None:
        raise StateConflict(_("Only a first-round review of a call leads to a shortlist."), code="not_first_round")
    if review_round.state not in (ReviewRound.State.CLOSED, ReviewRound.State.PUBLISHED):
        raise StateConflict(_("Close the round before making the shortlist."), code="round_state")
    outcomes = services.shortlist_make(actor=actor, call=review_round.call, now=now)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="review_round.shortlist",
            target=review_round,
            rule="P3",
            changes={"shortlisted": [None, [pk for outcome in outcomes for pk in outcome.shortlisted]]},
        )
    return outcomes


def opinions_for_applicant(proposal) -> list[dict]:
    """The submitted opinions on a proposal in published rounds, without the experts' names."""
    assignments = (
        Assignment.objects.filter(
            item__proposal=proposal,
            item__review_round__state=ReviewRound.State.PUBLISHED,
            state=Assignment.State.SUBMITTED,
        )
        .select_related("item__review_round")
        .order_by("item__review_round_id", "id")
    )
    result = []
    number: dict[int, int] = defaultdict(int)
    for assignment in assignments:
        review_round = assignment.item.review_round
        number[review_round.pk] += 1
        result.append(
            {
                "round": review_round,
                "label": _("Expert %(number)d") % {"number": number[review_round.pk]},
                "recommendation": assignment.get_recommendation_display(),
                "opinion": assignment.opinion,
                "aggregate": assignment.item.aggregate,
                "rank": assignment.item.rank,
            }
        )
    return result
