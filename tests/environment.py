"""Loaded by pytest before Django's settings (``-p tests.environment`` in pyproject.toml).

The suite runs against the real services: PostgreSQL and Redis on this machine unless
DATABASE_URL / CELERY_BROKER_URL say otherwise. HTTPS redirection is off because the test
client and the live server speak plain HTTP; everything else keeps production defaults.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DEMO_PASSWORD", "demo-pass-2026")
