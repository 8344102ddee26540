"""Payments are an account book: in the database itself, a payment row is never updated nor deleted
(whoever sends it: the ORM, raw SQL, the admin), and a reversing entry must cancel exactly one
payment, in full (its amount is the payment's, negated; a reversal is never reversed). A correction
is a reversal followed by the right payment. TRUNCATE (the tests' flush) is no row change."""

from django.db import migrations

APPEND_ONLY = """
CREATE FUNCTION awards_payment_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    original RECORD;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'payments are never changed: % of a payment is refused (record a reversal)', TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.reverses_id IS NOT NULL THEN
        SELECT award_id, amount, reverses_id INTO original FROM awards_payment WHERE id = NEW.reverses_id;
        IF original.reverses_id IS NOT NULL OR original.award_id <> NEW.award_id
                OR original.amount <> -NEW.amount THEN
            RAISE EXCEPTION 'a reversal cancels one payment of the same award, in full'
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER awards_payment_append_only
    BEFORE INSERT OR UPDATE OR DELETE ON awards_payment
    FOR EACH ROW EXECUTE FUNCTION awards_payment_append_only();
"""

REMOVE = """
DROP TRIGGER IF EXISTS awards_payment_append_only ON awards_payment;
DROP FUNCTION IF EXISTS awards_payment_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("awards", "0002_commitment_and_reversals")]

    operations = [migrations.RunSQL(APPEND_ONLY, REMOVE)]
