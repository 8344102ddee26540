from django.db import migrations, models

import seei.tenders.models


class Migration(migrations.Migration):
    dependencies = [("tenders", "0002_nomenclature")]

    operations = [
        migrations.AddField(
            model_name="tender",
            name="exchange_rates",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='Value of one unit of the notice\'s currency in other currencies, e.g. {"USD": "0.1012"}.',
                validators=[seei.tenders.models.validate_exchange_rates],
                verbose_name="exchange rates",
            ),
        ),
    ]
