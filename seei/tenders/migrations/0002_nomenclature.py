from django.db import migrations

from seei.tenders.nomenclature import seed


class Migration(migrations.Migration):
    dependencies = [("tenders", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
