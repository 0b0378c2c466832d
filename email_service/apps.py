from django.apps import AppConfig


class EmailServiceConfig(AppConfig):
    """The hosted e-mail service (Hosted Email 2007 namespace)."""

    name = "email_service"
    verbose_name = "Hosted e-mail service"

    def ready(self) -> None:
        from email_service import demo, panels, procedures, receivers, search  # noqa: F401 - registers them
        from portal.contributions import DemoLoader, demo_loader_register

        panels.register()
        demo_loader_register(DemoLoader("email service", demo.demo_load, order=20))
