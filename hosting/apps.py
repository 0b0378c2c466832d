from django.apps import AppConfig


class HostingConfig(AppConfig):
    """The hosting-tree layer: the Plans database and what every app needs of the hosting tree."""

    name = "hosting"
    verbose_name = "Plans database"
