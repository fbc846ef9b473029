"""What expert review contributes to project establishment (``projects.extensions``)."""

from __future__ import annotations


def register() -> None:
    from projects import extensions
    from reviews.services import scoring

    extensions.review_opinions.register(scoring.opinions_for_applicant)
