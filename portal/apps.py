from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The shared app: the user model, the audit record, the engine's registry."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal import roles  # noqa: F401 - registers Portal::RoleGrant and ::RoleRevoke
        from portal.api import schema  # noqa: F401 - registers the OpenAPI description of our auth
        from portal.repair import register

        register()  # the home page's panel of directory batches waiting for repair
