"""The statistics select lots by their auction date: index it.

Written as SQL because the column belongs to the tenders app; the index has no model-state
counterpart, so Django never tries to drop it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tenders", "0003_tender_exchange_rates")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS opendata_lot_opens_at ON tenders_lot (opens_at)",
            "DROP INDEX IF EXISTS opendata_lot_opens_at",
        )
    ]
