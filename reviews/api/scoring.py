"""Review API: scoring."""

ROUTES: list = []  # (prefix, viewset, basename) registered under /api/v1/
PATHS: list = []  # extra url patterns under /api/v1/
