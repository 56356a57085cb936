"""On PostgreSQL, the database itself refuses to change or delete a History event."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION crm_history_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'History events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER crm_history_event_append_only
    BEFORE UPDATE OR DELETE ON crm_history_event
    FOR EACH ROW EXECUTE FUNCTION crm_history_event_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS crm_history_event_append_only ON crm_history_event;
DROP FUNCTION IF EXISTS crm_history_event_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("crm_history", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
