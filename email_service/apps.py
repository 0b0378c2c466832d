from django.apps import AppConfig


class EmailServiceConfig(AppConfig):
    """The hosted e-mail service (Hosted Email 2007 namespace)."""

    name = "email_service"
    verbose_name = "Hosted e-mail service"

    def ready(self) -> None:
        from email_service import procedures, receivers, search  # noqa: F401 - registers them
