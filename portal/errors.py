"""The portal's errors: one base class, a stable code, the text and the HTTP status.

Every door converts a :class:`PortalError` in one place: the MPS ``errorContext`` writer, the DRF
exception handler and the SOAP fault writer. Where a seed gives an error text, the procedure raises
it to the letter; the code is an HRESULT-style number that the MPS door prints in hex.
"""

from __future__ import annotations


class PortalError(Exception):
    """A refusal or failure that a caller is told about.

    ``sources`` lists the procedures the error passed through, innermost first, as
    ``(namespace, procedure)`` pairs; the engine appends to it while the error unwinds.
    ``execute_seq_no`` is the number (from 1) of the MPS ``<execute>`` step it belongs to, if any.
    """

    code: int = 0x80004005
    status: int = 500
    name: str = "PortalError"

    def __init__(self, text: str, *, field: str | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.field = field
        self.sources: list[tuple[str, str]] = []
        self.execute_seq_no: int | None = None

    @property
    def hex_code(self) -> str:
        """The code as the MPS ``errorContext`` shows it, e.g. ``0x80070057``."""
        return f"0x{self.code:08X}"

    def __str__(self) -> str:
        return self.text


class InvalidRequest(PortalError):
    """The request itself is malformed (not XML, forbidden DTD, wrong shape)."""

    code = 0x8004100E
    status = 400
    name = "InvalidRequest"


class InvalidArgument(PortalError):
    """An argument is missing, repeated, unknown or of the wrong form."""

    code = 0x80070057
    status = 400
    name = "InvalidArgument"


class NotAuthenticated(PortalError):
    """No valid credentials came with the request."""

    code = 0x8007052E
    status = 401
    name = "NotAuthenticated"


class TooManyAttempts(PortalError):
    """Logging in is refused for a while after too many failures (``portal/throttle.py``)."""

    code = 0x80070775  # ERROR_ACCOUNT_LOCKED_OUT
    status = 429
    name = "TooManyAttempts"


class AccessDenied(PortalError):
    """The caller's role or scope does not cover what the call names."""

    code = 0x80070005
    status = 403
    name = "AccessDenied"


class NotFound(PortalError):
    """A named object (directory entry, procedure, record) does not exist."""

    code = 0x80072030
    status = 404
    name = "NotFound"


class Conflict(PortalError):
    """The call collides with what exists (duplicate name, object still in use)."""

    code = 0x80071392
    status = 409
    name = "Conflict"


class PrerequisiteFailed(PortalError):
    """The object exists but is not in the state the procedure requires."""

    code = 0x8007139F
    status = 422
    name = "PrerequisiteFailed"


class UnknownDomainController(PortalError):
    """``preferredDomainController`` names no configured domain controller."""

    code = 0x8007054B
    status = 400
    name = "UnknownDomainController"


class DirectoryError(PortalError):
    """The directory server failed or could not be reached; the cause is kept."""

    code = 0x8007203A
    status = 503
    name = "DirectoryError"


class DatabaseUnavailable(PortalError):
    """The database could not be reached or did not answer (connection lost, server down, the
    database busy past its timeout): nothing the call wanted is known to be done; try again."""

    code = 0x80070426  # ERROR_SERVICE_NOT_ACTIVE
    status = 503
    name = "DatabaseUnavailable"


#: SQLSTATEs of a transaction the database ended because another one collided with it
#: (serialization failure, deadlock): the call collided with a concurrent one
_COLLISIONS = {"40001", "40P01"}


def database_error(exc: BaseException) -> PortalError | None:
    """The portal error a database exception stands for, or None for anything else.

    A unique constraint that refused a row (``IntegrityError``: a concurrent call created the same
    object first) is a :class:`Conflict`; a transaction ended by a deadlock or a serialization
    failure is a :class:`Conflict` too; a lost or refused connection (``OperationalError``,
    ``InterfaceError``) is :class:`DatabaseUnavailable`."""
    from django.db import IntegrityError, InterfaceError, OperationalError

    if isinstance(exc, IntegrityError):
        return Conflict(
            "The call collides with an object a concurrent call has just created (the database "
            "refused a duplicate); nothing was changed."
        )
    if isinstance(exc, OperationalError | InterfaceError):
        cause = exc.__cause__
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if state in _COLLISIONS:
            return Conflict("The call collided with a concurrent call on the same objects; try it again.")
        return DatabaseUnavailable("The database could not be reached or did not answer; try again.")
    return None
