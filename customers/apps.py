from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """Customer records (the Plans database) and the procedures that provision the tree."""

    name = "customers"
    verbose_name = "Plans database"

    def ready(self) -> None:
        from customers import jobs, procedures, search  # noqa: F401 - registers procedures, job, search
