from django.apps import AppConfig


class JournalConfig(AppConfig):
    """The engine's durable journal of directory intent (``portal/engine/journal.py``): its own
    tables, on its own database connection (the ``journal`` alias)."""

    name = "portal.engine"
    label = "journal"
    verbose_name = "Directory journal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from portal.engine import recovery  # noqa: F401 - registers Portal::DirectoryRecover
