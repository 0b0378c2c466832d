from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Billing: packages, services, invoices, card charges, and the EngageIP SOAP door."""

    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing import dunning, jobs, lifecycle, procedures, search  # noqa: F401 - registers them
