"""Subscriptions and SMTP domains point at the Plans database in the hosting-tree layer (the same
table as before: only the model's state moves)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("email_service", "0001_initial"), ("hosting", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="subscription",
                    name="customer_record",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="email_subscription",
                        to="hosting.customerrecord",
                    ),
                ),
                migrations.AlterField(
                    model_name="smtpdomain",
                    name="customer_record",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="smtp_domains",
                        to="hosting.customerrecord",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
