"""The REST door (DRF): procedures through the engine, and the shared exception handler."""

from portal.api.exceptions import exception_handler

__all__ = ["exception_handler"]
