from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """Provisioning: the procedures and pages that create, import and delete organizations and users."""

    name = "customers"
    verbose_name = "Provisioning"

    def ready(self) -> None:
        from customers import demo, jobs, panels, procedures, search  # noqa: F401 - registers them
        from portal.contributions import DemoLoader, demo_loader_register

        panels.register()
        demo_loader_register(DemoLoader("customers", demo.demo_load, order=10))
