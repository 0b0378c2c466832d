"""What the fault tests need: control of the session's slapd (kill, freeze, restart), short
directory timeouts, and the e-mail service's plans (for subscriptions)."""

from __future__ import annotations

import os
import signal
import time
from types import SimpleNamespace

import pytest

from tests.email_service.conftest import email_plans  # noqa: F401 - the plans a subscription needs


@pytest.fixture
def slapd_control(slapd, directory_flavor):
    """Kill (SIGKILL), freeze (SIGSTOP) and thaw or restart the session's slapd; whatever a test
    did, slapd runs again afterwards, with the gateways' connections renewed."""
    from django.conf import settings

    from portal.directory import reset_gateways

    if directory_flavor != "openldap":
        pytest.skip("the fault tests stop and restart the session's slapd (OpenLDAP runs only)")
    server = slapd.server
    saved = {key: settings.DIRECTORY.get(key) for key in ("TIMEOUT", "OPERATION_TIMEOUT")}
    # a frozen server fails the call in half a second
    settings.DIRECTORY["TIMEOUT"] = settings.DIRECTORY["OPERATION_TIMEOUT"] = 0.5
    reset_gateways()
    state = SimpleNamespace(frozen=False)

    def kill() -> None:
        server._proc.kill()
        server._proc.wait()

    def freeze() -> None:
        os.kill(server._proc.pid, signal.SIGSTOP)
        state.frozen = True

    def thaw() -> None:
        if state.frozen:
            os.kill(server._proc.pid, signal.SIGCONT)
            state.frozen = False
            time.sleep(0.3)  # let it finish what it had received

    def restart() -> None:
        thaw()
        if server._proc is not None and server._proc.poll() is not None:
            server._stopped()
        if server._proc is None:
            server.resume()
        reset_gateways()

    control = SimpleNamespace(kill=kill, freeze=freeze, thaw=thaw, restart=restart)
    try:
        yield control
    finally:
        restart()
        settings.DIRECTORY.update(saved)
        reset_gateways()
        slapd.dirty = True


class WriteCounter:
    """Calls ``action`` right after the ``after``-th directory write the server accepted."""

    def __init__(self, after: int, action) -> None:
        self.after = after
        self.action = action
        self.count = 0

    def __call__(self, **kwargs) -> None:
        self.count += 1
        if self.count == self.after:
            self.action()

    def __enter__(self):
        from portal.directory import directory_written

        directory_written.connect(self, dispatch_uid="fault-write-counter", weak=False)
        return self

    def __exit__(self, *args) -> bool:
        from portal.directory import directory_written

        directory_written.disconnect(dispatch_uid="fault-write-counter")
        return False
