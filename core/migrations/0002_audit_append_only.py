"""O1: the database itself refuses UPDATE and DELETE on audit events."""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (O1, KRD-MGMT §71)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();
CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();
"""
POSTGRESQL_BACKWARD = """
DROP TRIGGER IF EXISTS core_auditevent_no_update ON core_auditevent;
DROP TRIGGER IF EXISTS core_auditevent_no_delete ON core_auditevent;
DROP FUNCTION IF EXISTS core_auditevent_append_only();
"""
SQLITE_FORWARD = [
    "CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only (O1)'); END;",
    "CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only (O1)'); END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
