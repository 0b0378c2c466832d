from django.apps import AppConfig


class EmailServiceConfig(AppConfig):
    """The hosted e-mail service (Hosted Email 2007 namespace)."""

    name = "email_service"
    verbose_name = "Hosted e-mail service"

    def ready(self) -> None:
        from email_service import demo, panels, procedures, search  # noqa: F401 - registers them
        from portal.contributions import DemoLoader, demo_loader_register
        from portal.engine.hooks import hook_register

        panels.register()
        hook_register("users.deleted", "Hosted Email 2007::EndUserPlanAssignments_")
        demo_loader_register(DemoLoader("email service", demo.demo_load, order=20))
