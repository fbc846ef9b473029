"""What tech reports contribute to project establishment (``projects.extensions``)."""

from __future__ import annotations

from projects import extensions
from reports import selectors, services


def register() -> None:
    extensions.project_established.register(services.plan_ensure)
    extensions.report_plan.register(selectors.plan_for)
