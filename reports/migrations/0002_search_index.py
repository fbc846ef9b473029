"""Trigram index for the public search (T6/REPORTS §18): substring search over titles, abstracts,
keywords and authors works for Chinese without a word segmenter. PostgreSQL only; SQLite (the
no-services ``make run``) scans."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS report_search_trgm ON reports_techreport USING gin (search_text gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS report_search_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_depository")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
