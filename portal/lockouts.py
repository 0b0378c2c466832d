"""Current login lockouts (django-axes, ``portal/throttle.py``) as staff see them, and
``Portal::LockoutClear``, which lifts one through the engine (DomainAdmins only, audited).

django-axes counts failed logins in ``AccessAttempt`` rows, one per account name, client address
and browser, each with the failures since it began and the time of the latest. An account (or an
address) is locked out while the failures of its rows within the last ``AXES_COOLOFF_TIME`` add
up to ``AXES_FAILURE_LIMIT``; :func:`lockout_list` reads them the same way. Clearing a lockout
deletes those rows (the account's, or the address's): its next login is counted from nothing.
The failures themselves stay in ``AccessFailureLog``, which is never written here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db.models import Max, Sum
from django.utils import timezone

from portal.engine import DOMAIN_ADMINS, Arg, CallContext, Security, procedure
from portal.errors import InvalidArgument

ACCOUNT = "account"
ADDRESS = "address"

#: the door a failed login came through, by the start of its path
DOORS = (
    ("/admin/", "admin"),
    ("/api/", "REST"),
    ("/mps/", "MPS"),
    ("/adminportal/", "SOAP"),
    ("/", "pages"),
)


@dataclass(frozen=True)
class Lockout:
    """One current lockout: of an account name (``kind`` :data:`ACCOUNT`) or of a client address
    (:data:`ADDRESS`), with the doors its failures came through, when it began (the failure that
    reached the limit), the latest failure, the failures counted, and when it ends by itself."""

    kind: str
    key: str
    doors: tuple[str, ...]
    since: dt.datetime
    latest: dt.datetime
    attempts: int
    until: dt.datetime

    @property
    def argument(self) -> str:
        """The argument of ``Portal::LockoutClear`` that names it."""
        return "username" if self.kind == ACCOUNT else "ipAddress"


def _door(path: str) -> str:
    return next(name for start, name in DOORS if path.startswith(start))


def _cool_off() -> dt.timedelta:
    hours = settings.AXES_COOLOFF_TIME
    return hours if isinstance(hours, dt.timedelta) else dt.timedelta(hours=hours)


def _run(field: str, key: str, latest: dt.datetime, window: dt.timedelta) -> tuple[dt.datetime, set[str]]:
    """When the lockout began and the doors of its failures: the failure log of ``key`` read back
    from the latest failure while no gap between two failures is as long as the cool-off; it
    began with the first of those failures recorded as locking out."""
    from axes.models import AccessFailureLog

    since, earlier, doors = None, latest, set()
    rows = (
        AccessFailureLog.objects.filter(**{field: key}, attempt_time__lte=latest)
        .order_by("-attempt_time")
        .values_list("attempt_time", "locked_out", "path_info")[:1000]
    )
    for moment, locked, path in rows:
        if earlier - moment >= window:
            break
        earlier = moment
        doors.add(_door(path))
        if locked:
            since = moment
    return since or latest, doors


def lockout_list() -> list[Lockout]:
    """Every account name and client address locked out now, the most recent first."""
    from axes.models import AccessAttempt

    window = _cool_off()
    limit = settings.AXES_FAILURE_LIMIT
    current = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - window)
    out: list[Lockout] = []
    for kind, field in ((ACCOUNT, "username"), (ADDRESS, "ip_address")):
        totals = (
            current.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(attempts=Sum("failures_since_start"), latest=Max("attempt_time"))
            .filter(attempts__gte=limit)
            .order_by(field)
        )
        for row in totals:
            key = row[field]
            since, doors = _run(field, key, row["latest"], window)
            out.append(
                Lockout(
                    kind=kind,
                    key=key,
                    doors=tuple(sorted(doors)),
                    since=since,
                    latest=row["latest"],
                    attempts=row["attempts"],
                    until=row["latest"] + window,
                )
            )
    return sorted(out, key=lambda lockout: lockout.latest, reverse=True)


# --- the procedure ----------------------------------------------------------------------------


def _address(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        validate_ipv46_address(value)
    except ValidationError:
        raise InvalidArgument(
            f"<ipAddress> {value!r} is not an IPv4 or IPv6 address.", field="ipAddress"
        ) from None
    return value


@procedure(
    "Portal::LockoutClear",
    args=(
        Arg("username", subject=True, max_length=255, description="The account name whose lockout ends."),
        Arg("ipAddress", max_length=45, description="The client address whose lockout ends."),
    ),
    one_of=((("username", "ipAddress"), "Name the lockout to clear: <username> or <ipAddress>."),),
    security=Security(roles=(DOMAIN_ADMINS,), description="DomainAdmins only."),
)
def lockout_clear(ctx: CallContext, *, username: str | None, ipAddress: str | None) -> dict:
    """End the login lockout of an account name or of a client address at once: the failed
    logins counted against it are forgotten (the failure log keeps them). Clearing what is not
    locked changes nothing (``cleared`` is 0); given both, only that account's failures from that
    address are forgotten. Answers the name or address and ``cleared``, the
    number of counting records removed."""
    from axes.models import AccessAttempt

    name = username.strip().lower() if username else None
    address = _address(ipAddress.strip() if ipAddress else None)
    attempts = AccessAttempt.objects.all()
    if name is not None:
        attempts = attempts.filter(username=name)
    if address is not None:
        attempts = attempts.filter(ip_address=address)
    _, removed = attempts.delete()
    cleared = removed.get(AccessAttempt._meta.label, 0)
    return {"username": name, "ipAddress": address, "cleared": cleared}
