"""What a directory login (django-auth-ldap, ``portal/auth.py``) needs from the gateways: which
domain controllers to ask, and what a failed bind or search means.

A login asks the configured domain controllers that are not counted as unresponsive, in their
configured order. A login whose bind or search timed out (``OPT_TIMEOUT``, ``LDAP_OPERATION_TIMEOUT``)
marks the domain controller it asked as unresponsive for ``LDAP_DOWN_SECONDS``, like any operation of
the gateway: the logins after it fail at once with the documented 503 instead of each holding a
worker for the whole timeout. A directory that cannot be reached is a 503 too, never "wrong
password".
"""

from __future__ import annotations

import ldap
from django.conf import settings

from portal.directory.gateway import DirectoryGateway, get_gateway
from portal.errors import DirectoryError


def _gateways() -> list[DirectoryGateway]:
    return [get_gateway(name) for name in settings.DIRECTORY["DOMAIN_CONTROLLERS"]]


def login_server_uri(request=None) -> str:
    """``AUTH_LDAP_SERVER_URI``: the URIs of the domain controllers a login may ask now; a
    :class:`DirectoryError` when every one of them is counted as unresponsive."""
    live = [gateway for gateway in _gateways() if not gateway.unresponsive()]
    if not live:
        raise DirectoryError(
            "No domain controller is answering (the last ones asked timed out); logins are refused "
            "for a few seconds. Try again shortly."
        )
    return " ".join(gateway.uri for gateway in live)


def login_error(exception: Exception) -> DirectoryError | None:
    """The error a login's LDAP failure stands for, or None when it is not the directory's
    (refused credentials are not reported here). A timeout marks the domain controller the login
    asked (the first one answering) as unresponsive."""
    if isinstance(exception, ldap.TIMEOUT):
        live = [gateway for gateway in _gateways() if not gateway.unresponsive()]
        if live:
            live[0].mark_unresponsive()
        seconds = settings.DIRECTORY.get("OPERATION_TIMEOUT", settings.DIRECTORY["TIMEOUT"])
        return DirectoryError(
            f"The directory did not answer within {seconds:g} s; the credentials could not be "
            "checked. Try again shortly."
        )
    if isinstance(exception, ldap.SERVER_DOWN | ldap.CONNECT_ERROR):
        return DirectoryError("The directory cannot be reached; the credentials could not be checked.")
    return None
