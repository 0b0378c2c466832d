"""Any exception a door meets, as the portal error its caller is told about.

A door answers every failure in its own shape (MPS ``errorContext``, SOAP fault, REST JSON, the
pages' error page), never with a bare framework page. Refusals are already :class:`PortalError`\\ s;
everything else that escapes a door (the database lost while a batch commits, a bug) comes through
:func:`portal_error`: a lost or refused database is ``DatabaseUnavailable`` (503), a duplicate the
database refused is ``Conflict`` (409), a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is
``InvalidRequest`` (400, like each door's own size limit), anything else ``InternalError`` (500,
its cause logged and not shown).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent

from portal.engine import InternalError
from portal.errors import InvalidRequest, PortalError, database_error

log = logging.getLogger(__name__)


def portal_error(exc: BaseException, *, where: str = "the request") -> PortalError:
    """The portal error ``exc`` stands for; anything unexpected is logged with its traceback."""
    if isinstance(exc, PortalError):
        return exc
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        log.warning("%s: %s", where, exc)
        return InvalidRequest(
            f"The request is larger than the portal accepts ({limit} MB, or too many fields)."
        )
    err = database_error(exc)
    if err is not None:
        log.warning("%s: %s (%r)", where, err.name, exc)
        return err
    log.error("%s failed unexpectedly", where, exc_info=(type(exc), exc, exc.__traceback__))
    return InternalError("The request failed unexpectedly; the error was logged.")
