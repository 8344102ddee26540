"""Every existing company's first person becomes its manager (a company registered before managers
existed must not be left without anyone to invite its colleagues)."""

from django.db import migrations


def first_members_manage(apps, schema_editor):
    Membership = apps.get_model("accounts", "Membership")
    first = {}
    for pk, organisation_id in (
        Membership.objects.filter(organisation__kind="company")
        .order_by("pk")
        .values_list("pk", "organisation_id")
    ):
        first.setdefault(organisation_id, pk)
    Membership.objects.filter(pk__in=first.values()).update(is_manager=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_people_managers")]

    operations = [migrations.RunPython(first_members_manage, migrations.RunPython.noop)]
