"""What expert review contributes to project establishment (``projects.extensions``)."""

from __future__ import annotations

from projects import extensions
from reviews.services import scoring


def register() -> None:
    extensions.review_opinions.register(scoring.opinions_for_applicant)
