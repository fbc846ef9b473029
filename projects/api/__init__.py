"""The establishment API under ``/api/v1/``: each module lists its ``ROUTES`` (viewsets) and
``PATHS``. Refusals of the services become the error format in ``core.api.exception_handler``
(RuleViolation 400 with its rule, StateConflict 409, ValidationError 400, forbidden 404)."""

from projects.api import approval, calls, formal_review, notice, proposals, task_books

MODULES = (calls, proposals, formal_review, notice, approval, task_books)


def register(router) -> list:
    """Register the viewsets on ``router`` and return the plain paths."""
    paths = []
    for module in MODULES:
        for prefix, viewset, basename in module.ROUTES:
            router.register(prefix, viewset, basename=basename)
        paths += module.PATHS
    return paths
