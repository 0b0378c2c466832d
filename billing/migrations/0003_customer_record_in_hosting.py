"""Billing accounts point at the Plans database in the hosting-tree layer (the same table as
before: only the model's state moves)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_billing_admins_group"), ("hosting", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="billingaccount",
                    name="customer_record",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="hosting.customerrecord",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
