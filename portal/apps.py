from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The shared app: the user model, the audit record, the engine's registry."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from axes.models import AccessAttempt
        from django.db.models.signals import post_save

        from portal import lockouts, panels, roles  # noqa: F401 - registers Portal::RoleGrant, ::RoleRevoke, ::LockoutClear
        from portal.api import schema  # noqa: F401 - registers the OpenAPI description of our auth
        from portal.repair import register as repair_register
        from portal.throttle import failures_recorded

        panels.register()
        repair_register()  # the home page's panel of directory batches waiting for repair
        # a saved login failure makes every process ask the lockout again (portal/throttle.py)
        post_save.connect(failures_recorded, sender=AccessAttempt, dispatch_uid="portal-login-failures")
