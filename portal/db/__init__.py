"""Database backends of the portal (``DATABASES["default"]["ENGINE"]``)."""
