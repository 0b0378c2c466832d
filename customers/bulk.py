"""Bulk import of users from a CSV or LDIF file, through the same procedures as every door.

:func:`users_import` reads the file as a stream (memory stays flat as the file grows) and runs
each row as an engine batch of its own: a bad row is reported with its line number and reason and
does not stop the good rows, and a row whose user already exists as the row describes it is
reported as ``exists``, so that running the same file twice creates nothing twice.

CSV columns (a header line first), named as the procedures' arguments:
``container,userPrincipalName,newPassword,mail,customerTypeName``, and optionally
``sAMAccountName``, ``givenName``, ``sn``, ``displayName``. LDIF: one record per user,
``dn: CN=<name>,<container>`` with ``userPrincipalName``, ``userPassword`` (clear text), and
optionally ``uid`` (the sAMAccountName), ``mail``, ``givenName``, ``sn``, ``displayName`` and
``customerTypeName``. A user's name (CN) is its userPrincipalName, as
``Managed Active Directory::CreateUser`` makes it.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hosting.models import CustomerRecord
from portal.directory import (
    LdifRecord,
    dn_child,
    dn_key,
    dn_parent,
    dn_rdn_value,
    domain_controller_default,
    get_gateway,
    ldif_records,
    path_to_dn,
)
from portal.engine import BatchSeries, Caller
from portal.errors import Conflict, InvalidArgument, PortalError

REQUIRED_COLUMNS = ("container", "userPrincipalName", "newPassword")
OPTIONAL_COLUMNS = ("mail", "customerTypeName", "sAMAccountName", "givenName", "sn", "displayName")
PROCEDURES = {
    "": "Managed Active Directory::CreateUser",
    "businessuser": "Hosted Exchange::CreateBusinessUser",
    "consumeruser": "Hosted Exchange::CreateConsumerUser",
}
PROCEDURE_TYPES = {"businessuser": "BusinessUser", "consumeruser": "ConsumerUser"}
CREATED, EXISTS, FAILED = "created", "exists", "failed"
RESULT_COLUMNS = ("line", "organization", "name", "userPrincipalName", "status", "message")
_KNOWN_ORGANIZATIONS = 256  # organizations whose entries an import keeps at hand

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class ImportRow:
    """The outcome of one row: where it was, whom it named, ``created``/``exists``/``failed``."""

    line: int
    organization: str
    name: str
    userPrincipalName: str  # noqa: N815 - the column's name
    status: str
    message: str = ""


class ImportResult:
    """Counts of an import and its per-row outcomes, kept in a temporary file rather than in
    memory (:meth:`rows` reads them back, :meth:`csv_chunks` gives them as CSV)."""

    def __init__(self) -> None:
        self.created = 0
        self.exists = 0
        self.failed = 0
        self._file: IO[str] = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file)
        self._writer.writerow(RESULT_COLUMNS)

    @property
    def total(self) -> int:
        """Rows seen."""
        return self.created + self.exists + self.failed

    def add(self, row: ImportRow) -> None:
        """Record one row's outcome."""
        if row.status == CREATED:
            self.created += 1
        elif row.status == EXISTS:
            self.exists += 1
        else:
            self.failed += 1
        self._writer.writerow(
            [row.line, row.organization, row.name, row.userPrincipalName, row.status, row.message]
        )

    def rows(self, *, status: str | None = None, limit: int | None = None) -> Iterator[ImportRow]:
        """The rows' outcomes in file order (only those of ``status`` when given)."""
        self._file.flush()
        self._file.seek(0)
        reader = csv.reader(self._file)
        next(reader)
        shown = 0
        for line, organization, name, upn, row_status, message in reader:
            if status is not None and row_status != status:
                continue
            if limit is not None and shown >= limit:
                break
            shown += 1
            yield ImportRow(int(line), organization, name, upn, row_status, message)
        self._file.seek(0, os.SEEK_END)

    def csv_chunks(self, size: int = 64 * 1024) -> Iterator[str]:
        """The outcomes as CSV text (header first), in chunks."""
        self._file.flush()
        self._file.seek(0)
        while chunk := self._file.read(size):
            yield chunk
        self._file.seek(0, os.SEEK_END)

    def close(self) -> None:
        """Remove the temporary file."""
        self._file.close()

    def __repr__(self) -> str:
        return f"<ImportResult created={self.created} exists={self.exists} failed={self.failed}>"


@dataclass(frozen=True)
class _Row:
    line: int
    data: dict[str, str]
    error: str = ""


# --- reading ------------------------------------------------------------------------------------
def _text(source) -> tuple[IO[str], bool]:
    """A text stream of ``source`` (a path, or a text or binary file), and whether to close it."""
    if isinstance(source, str | Path):
        return open(source, encoding="utf-8-sig", newline=""), True
    if isinstance(source, io.TextIOBase):
        return source, False
    return io.TextIOWrapper(source, encoding="utf-8-sig", newline=""), False


def _is_ldif(stream: IO[str], name: str) -> bool:
    if name.lower().endswith(".ldif"):
        return True
    if name.lower().endswith(".csv") or not stream.seekable():
        return False
    position = stream.tell()
    head = stream.readline()
    while head and (head.strip() == "" or head.startswith("#")):
        head = stream.readline()
    stream.seek(position)
    return head.lower().startswith(("dn:", "version:"))


def _count(stream: IO[str], ldif: bool) -> int | None:
    """Rows in a seekable file (one pass, nothing kept), for the progress bar."""
    if not stream.seekable():
        return None
    position = stream.tell()
    if ldif:
        total = sum(1 for line in stream if line[:3].lower() == "dn:")
    else:
        total = max(0, sum(1 for line in stream if line.strip()) - 1)
    stream.seek(position)
    return total


def _csv_header_check(header: list[str]) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        raise InvalidArgument(
            "The CSV file's first line must name the columns "
            + ",".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS[:2])
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + "."
        )


def import_file_check(upload: IO[bytes], name: str) -> None:
    """Refuse at once a file that cannot be imported at all (a CSV whose first line does not name
    the columns); the file is left at its start. Rows are checked one by one by the import."""
    upload.seek(0)
    first = upload.readline().decode("utf-8-sig", errors="replace")
    upload.seek(0)
    if name.lower().endswith(".ldif") or first.lower().startswith(("dn:", "version:", "#")):
        return
    _csv_header_check(next(csv.reader([first]), []))


def _csv_rows(stream: IO[str]) -> Iterator[_Row]:
    reader = csv.DictReader(stream)
    _csv_header_check(reader.fieldnames or [])
    for record in reader:
        if None in record:
            yield _Row(reader.line_num, {}, "The line has more values than the header has columns.")
            continue
        yield _Row(reader.line_num, {key: (value or "").strip() for key, value in record.items()})


_LDIF_ATTRIBUTES = {
    "userprincipalname": "userPrincipalName",
    "mail": "mail",
    "givenname": "givenName",
    "sn": "sn",
    "uid": "sAMAccountName",
    "displayname": "displayName",
    "customertypename": "customerTypeName",
}


def _ldif_row(record: LdifRecord) -> _Row:
    if record.first("changetype") not in (None, "add"):
        return _Row(record.line, {}, "Only records that add users can be imported.")
    try:
        name = dn_rdn_value(record.dn)
        organization = dn_parent(record.dn)
    except Exception:
        return _Row(record.line, {}, f"{record.dn!r} is not a distinguished name.")
    if not record.dn.lower().startswith("cn="):
        return _Row(record.line, {"userPrincipalName": name}, "A user's DN must start with CN=<name>.")
    data = {"container": organization, "newPassword": record.first("userPassword") or ""}
    for key, values in record.attrs.items():
        target = _LDIF_ATTRIBUTES.get(key.lower())
        if target and values:
            data[target] = values[0].strip()
    if data["newPassword"].startswith("{") and "}" in data["newPassword"]:
        return _Row(record.line, data, "userPassword must be the clear-text password, not a hash.")
    return _Row(record.line, data)


def _ldif_rows(stream: IO[str]) -> Iterator[_Row]:
    for record in ldif_records(stream):
        if isinstance(record, InvalidArgument):
            line = int(record.text.split(":")[0].removeprefix("line ") or 0)
            yield _Row(line, {}, record.text)
        else:
            yield _ldif_row(record)


def _mapping_rows(rows: Iterable[Mapping[str, str]]) -> Iterator[_Row]:
    for number, record in enumerate(rows, start=1):
        yield _Row(number, {str(key): str(value or "").strip() for key, value in record.items()})


# --- running --------------------------------------------------------------------------------------
class _Organizations:
    """The directory entries of each organization named in the file, read once per import (not
    once per row) and handed to each row's batch; a bounded number is kept."""

    def __init__(self, dc: str) -> None:
        self.dc = dc
        self._known: dict[str, tuple] = {}

    def entries(self, dn: str) -> dict[str, tuple]:
        key = dn_key(dn)
        if key not in self._known:
            if len(self._known) >= _KNOWN_ORGANIZATIONS:
                self._known.pop(next(iter(self._known)))
            gateway = get_gateway(self.dc)
            found = []
            for entry_dn in (dn, dn_parent(dn)):
                entry = gateway.get(entry_dn)
                if entry is not None:
                    found.append(entry)
            self._known[key] = tuple(found)
        return {self.dc: self._known[key]}


def _exists_as_described(
    series: BatchSeries, dc: str, data: dict[str, str], organization: str, customer_type: str
) -> str | None:
    """When the row's user already exists as the row describes it (a rerun of the file), what
    to report; None when it does not. A user whose Plans database record is missing (a rerun
    after an interrupted import) gets it now, through the engine."""
    entry = get_gateway(dc).get(dn_child("CN", data["userPrincipalName"], organization))
    if entry is None or entry.kind != "user":
        return None
    same = (entry.first("userPrincipalName") or "").lower() == data["userPrincipalName"].lower()
    if data.get("sAMAccountName"):
        same = same and (entry.first("uid") or "").lower() == data["sAMAccountName"].lower()
    if data.get("mail"):
        same = same and (entry.first("mail") or "").lower() == data["mail"].lower()
    if not same:
        return None
    if not customer_type:
        return "The user already exists as described."
    record = CustomerRecord.objects.filter(guid=entry.guid).first()
    if record is not None:
        return (
            "The user already exists as described."
            if record.customer_type.lower() == customer_type.lower()
            else None
        )
    series.run(
        "MPS Import::EnableCustomerForPlans",
        {
            "path": entry.dn,
            "preferredDomainController": dc,
            "customerTypeName": PROCEDURE_TYPES[customer_type.lower()],
        },
    )
    return "The user already exists as described; its Plans database record was added."


def _run_row(row: _Row, series: BatchSeries, dc: str, organizations: _Organizations) -> tuple[str, str, str]:
    """(status, message, organization DN) of one row."""
    data = row.data
    organization = data.get("container", "")
    if row.error:
        return FAILED, row.error, organization
    missing = [name for name in REQUIRED_COLUMNS if not data.get(name)]
    if missing:
        return FAILED, "Missing " + ", ".join(missing) + ".", organization
    customer_type = data.get("customerTypeName", "")
    procedure = PROCEDURES.get(customer_type.lower())
    if procedure is None:
        return (
            FAILED,
            f"customerTypeName must be BusinessUser, ConsumerUser or empty, not {customer_type!r}.",
            organization,
        )
    try:
        organization = path_to_dn(organization, argument="container")
        call = {
            key: value for key, value in data.items() if value and key not in ("customerTypeName", "mail")
        }
        call["container"] = organization
        call["preferredDomainController"] = dc
        if data.get("mail"):
            call["properties"] = {"property": {"@name": "mail", "value": data["mail"]}}
        if customer_type.lower() == "businessuser":
            call["isAdmin"] = "false"
        series.run(procedure, call, known_entries=organizations.entries(organization))
    except Conflict as err:
        try:
            exists = _exists_as_described(series, dc, data, organization, customer_type)
        except PortalError as repair:
            return FAILED, f"{err.text} ({repair.text})", organization
        if exists:
            return EXISTS, exists, organization
        return FAILED, err.text, organization
    except PortalError as err:
        return FAILED, err.text, organization
    return CREATED, "", organization


def users_import(
    rows_or_file,
    *,
    caller: Caller,
    progress: Progress | None = None,
    preferred_domain_controller: str | None = None,
    door: str = "command",
    name: str = "",
    on_row: Callable[[ImportRow], None] | None = None,
    skip_lines: Container[int] = (),
) -> ImportResult:
    """Create the users of a CSV or LDIF file (a path or an open file) or of an iterable of
    mappings with the CSV's column names, each row as its own engine batch of one
    :class:`~portal.engine.BatchSeries`, for ``caller`` (never inside an outer transaction).

    ``progress(done, total)`` is called after each row (``total`` is None when the file cannot be
    counted ahead). A file whose header is wrong is refused as a whole (:class:`InvalidArgument`);
    any other fault is reported on its row. ``on_row(row)`` is called with each row's outcome as
    soon as its batch ended (a job records it then); rows whose line is in ``skip_lines`` are
    passed over (a resumed job's rows already done).
    """
    dc = preferred_domain_controller or domain_controller_default()
    get_gateway(dc)  # an unknown domain controller is refused before any row
    organizations = _Organizations(dc)
    result = ImportResult()
    stream, close = None, False
    try:
        if isinstance(rows_or_file, str | Path | io.IOBase) or hasattr(rows_or_file, "read"):
            stream, close = _text(rows_or_file)
            file_name = name or str(getattr(rows_or_file, "name", rows_or_file))
            ldif = _is_ldif(stream, file_name)
            total = _count(stream, ldif)
            rows = _ldif_rows(stream) if ldif else _csv_rows(stream)
        else:
            total = len(rows_or_file) if hasattr(rows_or_file, "__len__") else None
            rows = _mapping_rows(rows_or_file)
        with BatchSeries(caller, door) as series:
            for done, row in enumerate(rows, start=1):
                if row.line in skip_lines:
                    if progress is not None:
                        progress(done, total)
                    continue
                status, message, organization = _run_row(row, series, dc, organizations)
                outcome = ImportRow(
                    line=row.line,
                    organization=organization,
                    name=row.data.get("sAMAccountName")
                    or row.data.get("userPrincipalName", "").split("@")[0],
                    userPrincipalName=row.data.get("userPrincipalName", ""),
                    status=status,
                    message=message,
                )
                result.add(outcome)
                if on_row is not None:
                    on_row(outcome)
                if progress is not None:
                    progress(done, total)
    except BaseException:
        result.close()
        raise
    finally:
        if close and stream is not None:
            stream.close()
    return result
