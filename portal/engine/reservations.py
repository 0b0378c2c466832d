"""Names reserved for the rest of a batch, so that "is it free?" followed by "create it" holds
under concurrency.

A procedure that creates something whose name must be unique (a logon name, a userPrincipalName,
an SMTP domain, an organization, a subscription) calls :func:`reserve` with the kind and the name
*before* it checks that the name is free, and only then checks and writes. A reservation is a lock
held by the batch's database transaction: a concurrent batch reserving the same name waits until
this one has committed (its directory writes made) or rolled back (its directory writes undone), and
then runs its own check, which sees what the first one did. The commit or the rollback releases it;
nothing is stored, so nothing is ever left reserved by a process that died.

- PostgreSQL: a transaction-level advisory lock on the two hashes of the kind and the name
  (``pg_advisory_xact_lock``); two different names that hash alike merely wait for each other.
- SQLite: a batch's transaction begins ``IMMEDIATE`` (``config/settings.py``) and holds the
  database's one write lock until it ends; the portal's backend sends that ``BEGIN`` with the
  transaction's first statement (``portal/db/sqlite3``), so a reservation sends one (``SELECT 1``)
  if none has gone yet: from then on the batch holds the lock, and batches that reserve run one
  after the other.
"""

from __future__ import annotations

import contextlib

from django.db import connections, router

from portal.engine.core import batch_current

#: what may be reserved (the keys are compared in lower case)
KINDS = frozenset({"logon", "organization", "smtp-domain", "subscription", "customer-record", "mail-address"})

_SQLITE_LOCKING = ("IMMEDIATE", "EXCLUSIVE")


def reserve(kind: str, *keys: str) -> None:
    """Reserve ``keys`` of ``kind`` (in any letter case) for the rest of the running batch.

    Call it before the check that the name is free; the batch's commit or rollback releases it.
    Keys are taken in sorted order, so two batches reserving the same set never wait on each other
    in a circle."""
    if kind not in KINDS:
        raise ValueError(f"unknown reservation kind {kind!r}")
    if batch_current() is None:
        raise RuntimeError("a reservation is held by a batch's transaction: reserve() runs inside one")
    from portal.models import AuditRecord

    connection = connections[router.db_for_write(AuditRecord)]
    wanted = sorted({str(key).strip().lower() for key in keys if key})
    if not wanted:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for key in wanted:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))", [kind, key])
    elif connection.vendor == "sqlite":
        mode = (connection.settings_dict.get("OPTIONS") or {}).get("transaction_mode") or ""
        if mode.upper() not in _SQLITE_LOCKING:
            raise RuntimeError(
                "SQLite batches must begin IMMEDIATE (OPTIONS transaction_mode) for reservations to hold"
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")  # sends the transaction's BEGIN IMMEDIATE if still due
    else:  # pragma: no cover - the portal runs on SQLite and PostgreSQL only
        raise RuntimeError(f"no reservation lock for the {connection.vendor} database")


@contextlib.contextmanager
def latest_committed():
    """Reads of the rows other batches have committed, without the lock a reservation takes: for
    the check "is it already there, exactly as asked?" that lets a repeated call write nothing.

    On SQLite the reads go out before the batch's ``BEGIN IMMEDIATE`` while that is still due
    (``portal/db/sqlite3``: no write lock taken, so a batch that then writes nothing ends without
    one); once the batch holds the lock they are its own reads. On PostgreSQL they are plain reads
    of the batch's transaction (no row lock). A procedure that finds something to change reserves
    and reads again under the lock before it writes."""
    from portal.models import AuditRecord

    connection = connections[router.db_for_write(AuditRecord)]
    unlocked = getattr(connection, "reads_before_begin", None)
    with unlocked() if unlocked is not None else contextlib.nullcontext():
        yield
