"""The portal's own system checks (``manage.py check``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register("security")
def failure_log_kept(app_configs, **kwargs) -> list[Error]:
    """A remembered machine-door credential learns that a lockout began from django-axes' failure
    log (``portal/throttle.py``): without it a lockout would never reach one."""
    if getattr(settings, "AXES_ENABLE_ACCESS_FAILURE_LOG", False):
        return []
    return [
        Error(
            "AXES_ENABLE_ACCESS_FAILURE_LOG must be True: remembered credentials learn of lockouts "
            "from the failure log.",
            id="portal.E001",
        )
    ]
