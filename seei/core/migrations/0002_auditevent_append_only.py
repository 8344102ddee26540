"""The audit log is append-only in the database itself: an UPDATE or a DELETE of an entry is refused,
whoever sends it (the ORM, raw SQL, the admin). Inserting stays possible; TRUNCATE (the tests' flush,
a database owner's act) is not a row change and is not caught here."""

from django.db import migrations

APPEND_ONLY = """
CREATE FUNCTION core_auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % of an entry is refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();
"""

REMOVE = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS core_auditevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunSQL(APPEND_ONLY, REMOVE)]
