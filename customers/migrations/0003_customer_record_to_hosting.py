"""The Plans database now belongs to the hosting-tree layer (``hosting.CustomerRecord``, same
table): the customers app forgets the model's state, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_initial"),
        ("hosting", "0001_initial"),
        ("email_service", "0002_customer_record_in_hosting"),
        ("billing", "0003_customer_record_in_hosting"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CustomerRecord")],
            database_operations=[],
        ),
    ]
