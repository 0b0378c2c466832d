from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The shared app: the user model, the audit record, the engine's registry."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # checks: the portal's system checks; lockouts, roles: Portal::LockoutClear, ::RoleGrant, ::RoleRevoke
        from portal import checks, lockouts, panels, roles  # noqa: F401 - registered by importing
        from portal.api import schema  # noqa: F401 - registers the OpenAPI description of our auth
        from portal.repair import register as repair_register

        panels.register()
        repair_register()  # the home page's panel of directory batches waiting for repair
