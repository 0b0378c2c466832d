from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Billing: packages, services, invoices, card charges, and the EngageIP SOAP door."""

    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing import demo, jobs, panels, procedures, search  # noqa: F401 - registers them
        from portal.contributions import DemoLoader, demo_loader_register

        panels.register()
        demo_loader_register(DemoLoader("billing", demo.demo_load, order=30))
