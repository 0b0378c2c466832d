"""Engine hooks: what other apps do when a procedure announces an event.

A procedure announces an event (``users.deleted``) with :func:`hook_run`; every procedure an app
registered for that event (in its ``AppConfig.ready``) runs as a nested call of the announcing
one, as the portal's service identity: audited as part of the call, undone with it when any step
fails. Hook procedures are private (only the engine runs them), so no door reaches them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.engine.core import CallContext

_hooks: dict[str, list[str]] = {}

#: events the engine knows, with the data each carries
EVENTS = {
    "users.deleted": "users/user: the GUIDs of users whose directory entries were deleted",
}


def hook_register(event: str, full_name: str) -> None:
    """Run procedure ``full_name`` (a private one) whenever ``event`` is announced."""
    if event not in EVENTS:
        raise ValueError(f"unknown engine event {event!r}")
    names = _hooks.setdefault(event, [])
    if full_name not in names:
        names.append(full_name)


def hook_procedures(event: str) -> list[str]:
    """The procedures registered for ``event``, in the order they were registered."""
    return list(_hooks.get(event, ()))


def hook_run(ctx: CallContext, event: str, data: Mapping) -> None:
    """Announce ``event`` from the running call ``ctx``: each registered procedure runs nested."""
    from portal.engine.core import Impersonate

    for full_name in hook_procedures(event):
        ctx.call(full_name, data, impersonate=Impersonate.SERVICE)
