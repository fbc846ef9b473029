"""The report API under ``/api/v1/``: each module lists its ``ROUTES`` (viewsets) and ``PATHS``."""

from reports.api import access, public, reports

MODULES: tuple = (reports, access, public)


def register(router) -> list:
    """Register the viewsets on ``router`` and return the plain paths."""
    paths = []
    for module in MODULES:
        for prefix, viewset, basename in module.ROUTES:
            router.register(prefix, viewset, basename=basename)
        paths += module.PATHS
    return paths
