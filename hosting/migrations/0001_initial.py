"""The Plans database moves from the customers app to the hosting-tree layer: the model's state
moves, its table (``customers_customerrecord``) and rows stay where they are."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("customers", "0002_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CustomerRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("guid", models.UUIDField(unique=True)),
                        (
                            "customer_type",
                            models.CharField(
                                choices=[
                                    ("BusinessUser", "Business User"),
                                    ("ConsumerUser", "Consumer User"),
                                    ("BusinessOrganization", "Business Organization"),
                                    ("ResellerOrganization", "Reseller Organization"),
                                ],
                                max_length=32,
                            ),
                        ),
                        ("dn", models.CharField(max_length=1024, verbose_name="distinguished name")),
                        ("dn_key", models.CharField(db_index=True, editable=False, max_length=1024)),
                        ("name", models.CharField(max_length=256)),
                        (
                            "organization_guid",
                            models.UUIDField(
                                blank=True,
                                help_text="GUID of the organization that holds the object.",
                                null=True,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"ordering": ["dn_key"], "db_table": "customers_customerrecord"},
                ),
            ],
            database_operations=[],
        ),
    ]
