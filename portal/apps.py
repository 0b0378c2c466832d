from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The shared app: the user model, the audit record, the engine's registry."""

    name = "portal"
    verbose_name = "Portal"
