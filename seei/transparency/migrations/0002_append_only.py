"""The log's tables refuse UPDATE and DELETE, whoever asks (the site's own role included): a leaf or a
head once written stays. TRUNCATE is left to the tables' owner (the tests empty the database with it);
what protects the log from its owner is that its heads are published and signed, each naming the last."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION transparency_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the transparency log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""
TRIGGER = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION transparency_append_only();
"""
TABLES = ("transparency_logleaf", "transparency_treehead")


class Migration(migrations.Migration):
    dependencies = [("transparency", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS transparency_append_only();"),
        *(
            migrations.RunSQL(
                TRIGGER.format(table=table), f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
            )
            for table in TABLES
        ),
    ]
