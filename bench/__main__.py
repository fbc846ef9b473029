"""``python -m bench`` (``make bench``): benchmarks on PostgreSQL, reported as medians and ratios.

Uses DATABASE_URL (default: a ``portal_bench`` database on the local PostgreSQL), which it
creates and migrates. Not part of ``make test``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DEMO_PASSWORD", "demo-pass-2026")
# The e-mails the benchmarks cause stay in memory instead of filling the report.
os.environ.setdefault("EMAIL_URL", "memorymail://")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")

import warnings

import django

warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

django.setup()

from django.core.management import call_command


def median_seconds(function: Callable[[], object], *, repeat: int = 15, warmup: int = 2) -> float:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def report(name: str, seconds: float, note: str = "") -> None:
    print(f"{name:<58} median {seconds * 1000:9.3f} ms {note}")


def main() -> int:
    call_command("ensure_database", verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)

    from bench import benchmarks

    chosen = sys.argv[1:]  # e.g. `python -m bench submission_burst`; all when empty
    for benchmark in benchmarks.ALL:
        if not chosen or benchmark.__name__ in chosen:
            benchmark(median_seconds, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
