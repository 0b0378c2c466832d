"""The provisioning app has no models of its own to show; the Plans database is in ``hosting``."""
