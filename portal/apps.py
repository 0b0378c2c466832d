from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The shared app: the user model, the audit record, the engine's registry."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal import lockouts, panels, roles  # noqa: F401 - registers Portal::RoleGrant, ::RoleRevoke, ::LockoutClear
        from portal.api import schema  # noqa: F401 - registers the OpenAPI description of our auth

        panels.register()
