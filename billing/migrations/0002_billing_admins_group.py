"""The Django group ``BillingAdmins``: members have billing rights (DomainAdmins have them too)."""

from django.db import migrations


def group_create(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="BillingAdmins")


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(group_create, migrations.RunPython.noop)]
