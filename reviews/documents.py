"""Review documents: the summary of one item (each expert's scores, named for the agency and
numbered when identities are hidden), the ranking of a round per group, and the materials an
expert reads, watermarked with the expert's name on every page.

S8 (SECRETS-REGS §15): a document of a classified call, proposal or project carries the mark of
the highest classification in force on what it shows, on every page."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from core.pdf import render_pdf
from core.selectors import carrier_mark
from projects.selectors import known_subjects
from reviews.models import Assignment, ReviewItem, ReviewRound
from reviews.services import scoring


def item_rows(item: ReviewItem, *, show_names: bool) -> list[dict]:
    """One row per submitted expert: label, total, scores by criterion, recommendation."""
    review_round = item.review_round
    criteria = list(review_round.criteria.all())
    rows = []
    for number, (assignment, total) in enumerate(scoring.item_totals(review_round, [item])[item.pk], start=1):
        values = {score.criterion_id: score.value for score in assignment.scores.all()}
        rows.append(
            {
                "label": assignment.expert.name if show_names else _("Expert %(number)d") % {"number": number},
                "scores": [values.get(criterion.pk) for criterion in criteria],
                "total": total,
                "recommendation": assignment.get_recommendation_display(),
                "opinion": assignment.opinion,
            }
        )
    return rows


def item_summary_pdf(item: ReviewItem, *, show_names: bool) -> bytes:
    review_round = item.review_round
    mark = carrier_mark(review_round, item)
    return render_pdf(
        "reviews/pdf/item_summary.html",
        {
            "round": review_round,
            "item": item,
            "criteria": list(review_round.criteria.all()),
            "rows": item_rows(item, show_names=show_names),
        },
        title=_("Review summary"),
        header=review_round.title,
        classification_mark=mark,
    )


def ranking_by_group(review_round: ReviewRound, items=None) -> list[tuple[str, list[ReviewItem]]]:
    """The round's items (``items``: those the reader may know of, S6) per group, best first
    (unranked last)."""
    items = (review_round.items.all() if items is None else items).select_related("group", "proposal", "project")
    items = items.order_by("group_id", "rank", "id")
    groups: dict[str, list[ReviewItem]] = defaultdict(list)
    for item in items:
        groups[item.group.name if item.group else _("Without a group")].append(item)
    return [(name, sorted(rows, key=lambda i: (i.rank is None, i.rank or 0, i.pk))) for name, rows in groups.items()]


def round_ranking_pdf(review_round: ReviewRound, items=None) -> bytes:
    groups = ranking_by_group(review_round, items)
    return render_pdf(
        "reviews/pdf/round_ranking.html",
        {"round": review_round, "groups": groups},
        title=_("Review ranking"),
        header=review_round.title,
        classification_mark=carrier_mark(review_round, *(item for _name, rows in groups for item in rows)),
    )


def materials_pdf(assignment: Assignment) -> bytes:
    """The item's materials for the expert; the expert's name runs on every page (header and
    the mark line) so a leaked copy names its reader."""
    item = assignment.item
    review_round = item.review_round
    mark = _("Reviewer: %(name)s") % {"name": assignment.expert.name}
    subjects = []
    if item.proposal is not None:
        # S6: a subject classified on its own is left out unless the expert is on its list.
        subjects = list(
            known_subjects(
                item.proposal.subjects.select_related("unit"), assignment.expert.user, of_known_proposal=True
            )
        )
    classified = carrier_mark(review_round, item, *subjects)
    if classified:
        mark = f"{classified}  {mark}"
    return render_pdf(
        "reviews/pdf/materials.html",
        {
            "round": review_round,
            "item": item,
            "proposal": item.proposal,
            "subjects": subjects,
            "project": item.project,
            "hide_identities": review_round.hide_identities,
            "expert_name": assignment.expert.name,
        },
        title=_("Review materials"),
        header=f"{review_round.title} · {assignment.expert.name}",
        classification_mark=mark,
    )
