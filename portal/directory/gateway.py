"""The directory gateway: the only code that talks LDAP (python-ldap).

One :class:`DirectoryGateway` per configured domain controller, each with its own pool of bound
connections (no bind per call). Reads return :class:`Entry` dataclasses; every ``ldap.LDAPError``
becomes a :class:`~portal.errors.DirectoryError` that keeps its cause. Writes go through a
:class:`DirectorySession`, which records the undo of each write in the caller's journal so that
the engine can put the directory back when a later step fails.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import ldap
import ldap.modlist
from django.conf import settings
from django.dispatch import Signal
from ldap.controls import LDAPControl, SimplePagedResultsControl
from ldap.controls.readentry import PostReadControl

from portal.directory.dn import dn_is_within, dn_key, dn_normalize
from portal.directory.flavor import flavor_of
from portal.errors import (
    AccessDenied,
    Conflict,
    DirectoryError,
    InvalidArgument,
    NotFound,
    PortalError,
    UnknownDomainController,
)

log = logging.getLogger(__name__)

# OpenLDAP's Relax Rules control (draft-zeilenga-ldap-relax): with manage access (the root DN),
# an add may set attributes that are otherwise NO-USER-MODIFICATION, such as entryUUID. The undo
# of a delete uses it so that an entry put back keeps its GUID.
RELAX_CONTROL_OID = "1.3.6.1.4.1.4203.666.5.12"
# Active Directory's Show Deleted control: searches and modifies reach the tombstones in
# CN=Deleted Objects, which the undo of a delete brings back (tombstone reanimation).
SHOW_DELETED_OID = "1.2.840.113556.1.4.417"

# The seed (MPS Import::EnableCustomerForPlans, "Prerequisites"): an organization or user is
# compliant with the hosting prescription when one of these procedures created or processed it.
ORGANIZATION_PRESCRIPTION = frozenset(
    {
        "Managed Active Directory::CreateOrganization",
        "HostedExchange::CreateBusinessOrganization",
        "Hosted Messaging and Collaboration::CreateOrganization",
        "MPS Import::ImportOrganization",
        "MPS Import::EnableOrganizationForHosting",
    }
)
USER_PRESCRIPTION = frozenset(
    {
        "Managed Active Directory::CreateUser",
        "HostedExchange::CreateBusinessUser",
        "HostedExchange::CreateConsumerUser",
        "Hosted Messaging and Collaboration::CreateUser",
        "MPS Import::ImportUser",
        "MPS Import::EnableUserForHosting",
    }
)
ORGANIZATION_TYPES = ("Hosting", "Reseller", "Customer", "Default")

#: how long a domain controller that did not answer is passed over by calls that name none (and,
#: when it let an operation time out, refused at once to calls that name it): the default of
#: ``DIRECTORY["DOWN_SECONDS"]``
DOWN_SECONDS = 5.0

#: Sent after every directory write that the server accepted (``operation``: add, modify, delete or
#: rename; ``dn``; sender: the gateway). Nothing in the portal changes state on it: it lets a
#: watcher (the test suite's guard) see every directory write, whoever made it.
directory_written = Signal()
_WRITES = frozenset({"add", "modify", "delete", "rename"})

_SCOPES = {"base": ldap.SCOPE_BASE, "onelevel": ldap.SCOPE_ONELEVEL, "subtree": ldap.SCOPE_SUBTREE}


def _uncertain(err: PortalError, uncertain: bool) -> PortalError:
    """Mark a write's error as leaving it unknown whether the server carried the write out (the
    connection dropped or timed out after the request was sent): its undo must stay journaled."""
    err.uncertain = uncertain
    return err


def _detail(exc: ldap.LDAPError) -> str:
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    return info.get("info") or info.get("desc") or type(exc).__name__


@dataclass(frozen=True)
class Entry:
    """A directory entry as the portal sees it; attribute names are lower-case keys."""

    dn: str
    guid: uuid.UUID | None
    object_classes: frozenset[str]
    attrs: dict[str, list[str]] = field(repr=False)
    #: attributes whose values are not text (photos, certificates), kept so that an entry put
    #: back after a delete is whole
    binary: dict[str, list[bytes]] = field(default_factory=dict, repr=False, compare=False)

    def all_attrs(self) -> dict[str, list]:
        """Every attribute read, text and binary, as an add takes them."""
        return {**self.attrs, **self.binary}

    def first(self, name: str) -> str | None:
        """The first value of an attribute, or None."""
        values = self.attrs.get(name.lower())
        return values[0] if values else None

    @property
    def kind(self) -> str:
        """``organization`` (an OU), ``user``, ``group`` or ``other``."""
        if "organizationalunit" in self.object_classes:
            return "organization"
        if (
            "hostinguser" in self.object_classes
            or "user" in self.object_classes
            or ("inetorgperson" in self.object_classes)
        ):
            return "user"
        if "hostinggroup" in self.object_classes or "group" in self.object_classes:
            return "group"
        return "other"

    @property
    def name(self) -> str:
        """The entry's own name (the value of its leaf RDN)."""
        return ldap.dn.str2dn(self.dn)[0][0][1]

    @property
    def organization_type(self) -> str:
        """Hosting, Reseller, Customer or Default, as the entry says (Default when unmarked)."""
        value = self.first("hostingOrganizationType") or "Default"
        for known in ORGANIZATION_TYPES:
            if known.lower() == value.lower():
                return known
        return "Default"

    @property
    def processed_by(self) -> list[str]:
        """The procedures recorded on the entry as having created or processed it."""
        return list(self.attrs.get("hostingprocessedby", []))

    @property
    def compliant(self) -> bool:
        """Whether the entry carries the hosting prescription's mark for its kind."""
        marks = {value.lower() for value in self.processed_by}
        allowed = ORGANIZATION_PRESCRIPTION if self.kind == "organization" else USER_PRESCRIPTION
        return any(name.lower() in marks for name in allowed)


def _decode(values: list[bytes]) -> list[str] | None:
    try:
        return [value.decode("utf-8") for value in values]
    except UnicodeDecodeError:
        return None  # binary attribute: not shown as text


def _encode(value: str | bytes | list) -> list[bytes]:
    items = value if isinstance(value, list | tuple) else [value]
    return [item if isinstance(item, bytes) else str(item).encode("utf-8") for item in items]


class DirectoryGateway:
    """LDAP v3 access to one domain controller through a pool of service-bound connections."""

    def __init__(
        self,
        name: str,
        uri: str,
        *,
        bind_dn: str,
        bind_password: str,
        suffix: str,
        hosting_root: str,
        flavor: str = "openldap",
        pool_size: int = 4,
        timeout: int = 10,
        operation_timeout: float | None = None,
        down_seconds: float = DOWN_SECONDS,
        tls_cacert: str | None = None,
    ) -> None:
        """``timeout``: seconds to open a connection; ``operation_timeout``: seconds one operation
        (bind, search, write) waits for the server's answer (``timeout`` when not given);
        ``down_seconds``: how long a server that did not answer counts as down."""
        self.name = name
        self.uri = uri
        self.suffix = suffix
        self.hosting_root = dn_normalize(hosting_root)
        #: the names, GUID, password and paging of the directory's kind (flavor.py)
        self.dialect = flavor_of(flavor)
        self.flavor = self.dialect.name
        self._bind_dn = bind_dn
        self._bind_password = bind_password
        self._timeout = timeout
        self.operation_timeout = operation_timeout if operation_timeout is not None else timeout
        self.down_seconds = down_seconds
        self._tls_cacert = tls_cacert
        #: idle bound connections, the last one given back first (at most ``pool_size``)
        self._pool: list[ldap.ldapobject.LDAPObject] = []
        self._pool_size = pool_size
        self._guid_attr = self.dialect.guid_attr
        self._read_attrs = ["*", self._guid_attr]
        if self.flavor == "ad":
            self._read_attrs.append("memberOf")  # kept so that a user put back rejoins its groups
        #: operations sent to the server, by kind (search, add, modify, delete, rename)
        self.calls: Counter[str] = Counter()
        #: until when (time.monotonic) this DC counts as down: calls that name no DC go elsewhere
        self.down_until = 0.0
        #: until when (time.monotonic) every call to this DC fails at once: it let an operation
        #: time out (a frozen or overloaded server), and waiting again would only hold a worker
        self.unresponsive_until = 0.0
        #: connections opened and bound (the pool keeps them for reuse)
        self.binds = 0
        self._lock = threading.Lock()

    # --- connections -------------------------------------------------------------------------
    def _connect(self) -> ldap.ldapobject.LDAPObject:
        conn = ldap.initialize(self.uri)
        conn.protocol_version = 3
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, self._timeout)
        # python-ldap's synchronous calls (simple_bind_s, search_ext_s, add_ext_s, ...) wait for
        # the answer at most this long, then raise ldap.TIMEOUT
        conn.set_option(ldap.OPT_TIMEOUT, self.operation_timeout)
        if self._tls_cacert:
            conn.set_option(ldap.OPT_X_TLS_CACERTFILE, self._tls_cacert)
            conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        conn.simple_bind_s(self._bind_dn, self._bind_password)
        with self._lock:
            self.binds += 1
        return conn

    def _take(self) -> ldap.ldapobject.LDAPObject:
        """An idle pooled connection, or a new one."""
        with self._lock:
            conn = self._pool.pop() if self._pool else None
        return conn if conn is not None else self._connect()

    def _give_back(self, conn: ldap.ldapobject.LDAPObject, *, healthy: bool) -> None:
        """Keep ``conn`` for the next operation, or close it (dropped, timed out, pool full)."""
        if healthy:
            with self._lock:
                kept = len(self._pool) < self._pool_size
                if kept:
                    self._pool.append(conn)
            if kept:
                return
        with contextlib.suppress(ldap.LDAPError):
            conn.unbind_s()

    def _run(
        self,
        operation: str,
        fn: Callable[[ldap.ldapobject.LDAPObject], object],
        what: str,
        *,
        counted: bool = True,
    ):
        """Run one LDAP operation; a dropped pooled connection is retried once on a fresh one."""
        if counted:
            with self._lock:
                self.calls[operation] += 1
        if self.unresponsive():
            raise DirectoryError(
                f"The domain controller {self.name} is not answering (an operation on it timed out "
                f"lately; calls to it are refused at once for {self.down_seconds:g} s after each "
                f"timeout); try again shortly ({what})."
            )
        # a write sent on a connection that then dropped or timed out may have happened
        maybe = False
        for attempt in (1, 2):
            sent = False
            try:
                conn = self._take()
                healthy = True  # also when the server answered with a refusal
                try:
                    sent = operation in _WRITES
                    answer = fn(conn)
                except (ldap.SERVER_DOWN, ldap.CONNECT_ERROR, ldap.TIMEOUT):
                    healthy = False
                    raise
                finally:
                    self._give_back(conn, healthy=healthy)
                if operation in _WRITES:
                    directory_written.send(sender=self, operation=operation, dn=what)
                return answer
            except ldap.TIMEOUT as exc:
                # The server may still carry the operation out: the caller's undo looks at what is
                # there. Meanwhile it counts as down, so later calls fail at once.
                self.mark_unresponsive()
                log.warning(
                    "%s: %s timed out after %ss (%s)", self.name, operation, self.operation_timeout, what
                )
                raise _uncertain(
                    DirectoryError(
                        f"The domain controller {self.name} did not answer within "
                        f"{self.operation_timeout:g} s ({operation} of {what})."
                    ),
                    maybe or sent,
                ) from exc
            except (ldap.SERVER_DOWN, ldap.CONNECT_ERROR) as exc:
                maybe = maybe or sent
                if attempt == 2:
                    self.down_until = time.monotonic() + self.down_seconds
                    raise _uncertain(
                        DirectoryError(f"The domain controller {self.name} cannot be reached ({what})."),
                        maybe,
                    ) from exc
            except ldap.NO_SUCH_OBJECT as exc:
                raise _uncertain(NotFound(f"The directory object {what} was not found."), maybe) from exc
            except ldap.ALREADY_EXISTS as exc:
                raise _uncertain(Conflict(f"The directory object {what} already exists."), maybe) from exc
            except ldap.NOT_ALLOWED_ON_NONLEAF as exc:
                raise _uncertain(
                    Conflict(f"The directory object {what} still holds other objects."), maybe
                ) from exc
            except ldap.CONSTRAINT_VIOLATION as exc:
                # Active Directory's own rules on values (password complexity, characters a logon
                # name may not hold): the request's fault, said with the directory's words
                info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
                detail = (info.get("info") or "").strip() or "constraint violation"
                raise _uncertain(InvalidArgument(f"The directory refused {what}: {detail}"), maybe) from exc
            except (ldap.INVALID_DN_SYNTAX, ldap.INVALID_SYNTAX, ldap.NAMING_VIOLATION) as exc:
                # what the caller gave cannot be carried by the directory: its fault, not the server's
                raise _uncertain(
                    InvalidArgument(f"The directory cannot hold {what} as given: {_detail(exc)}"),
                    maybe,
                ) from exc
            except ldap.TIMELIMIT_EXCEEDED as exc:
                # no answer in time: the server may still carry the write out
                raise _uncertain(
                    DirectoryError(f"The domain controller {self.name} did not answer in time ({what})."),
                    maybe or sent,
                ) from exc
            except ldap.LDAPError as exc:
                raise _uncertain(
                    DirectoryError(f"The directory refused {operation} of {what}: {_detail(exc)}"),
                    maybe,
                ) from exc
        raise AssertionError("unreachable")

    def unresponsive(self) -> bool:
        """Whether calls to this DC fail at once for now (it let an operation time out lately)."""
        return time.monotonic() < self.unresponsive_until

    def mark_unresponsive(self) -> None:
        """Count this DC as down for ``down_seconds``: an operation on it timed out (also one that
        the gateway did not send itself, such as a login's bind)."""
        self.unresponsive_until = self.down_until = time.monotonic() + self.down_seconds

    def answers(self) -> bool:
        """Whether the server answers: not while it counts as down, else asked (its root entry, a
        fraction of a millisecond; AD has no "who am I?"), which also drops dead pooled
        connections."""
        if time.monotonic() < self.down_until:
            return False
        try:
            self._run(
                "probe",
                lambda conn: conn.search_ext_s("", ldap.SCOPE_BASE, "(objectClass=*)", ["1.1"]),
                "a probe",
                counted=False,
            )
        except PortalError:
            return False
        return True

    def close(self) -> None:
        """Unbind every pooled connection."""
        with self._lock:
            idle, self._pool = self._pool, []
        for conn in idle:
            with contextlib.suppress(ldap.LDAPError):
                conn.unbind_s()

    # --- reads -------------------------------------------------------------------------------
    def _entry(self, dn: str, raw: dict[str, list[bytes]]) -> Entry:
        attrs: dict[str, list[str]] = {}
        binary: dict[str, list[bytes]] = {}
        guid = None
        for name, values in self.dialect.entry(raw).items():
            key = name.lower()
            if key == self._guid_attr.lower():
                guid = self.dialect.guid(values[0])
                continue
            decoded = _decode(values)
            if decoded is not None:
                attrs[key] = decoded
            else:
                binary[key] = list(values)
        classes = frozenset(value.lower() for value in attrs.get("objectclass", []))
        return Entry(dn=dn, guid=guid, object_classes=classes, attrs=attrs, binary=binary)

    def search(
        self, base: str, filterstr: str = "(objectClass=*)", *, scope: str = "subtree", limit: int = 0
    ) -> list[Entry]:
        """Entries below ``base`` matching ``filterstr`` (which the caller has escaped)."""
        filterstr = self.dialect.filter(filterstr)

        def run(conn):
            return self._search(conn, base, _SCOPES[scope], filterstr, self._read_attrs, limit)

        try:
            found = self._run("search", run, base)
        except NotFound:
            return []
        return [self._entry(dn, raw) for dn, raw in found if dn]

    def _search(self, conn, base, scope, filterstr, attrs, limit=0, controls=()):
        """One search, in pages of the flavor's size where the server limits an answer's size."""
        page = self.dialect.page_size
        if not page or (limit and limit <= page):
            return conn.search_ext_s(
                base, scope, filterstr, attrs, serverctrls=list(controls) or None, sizelimit=limit
            )
        paging = SimplePagedResultsControl(True, size=page, cookie=b"")
        found: list = []
        while True:
            msgid = conn.search_ext(
                base, scope, filterstr, attrs, serverctrls=[*controls, paging], sizelimit=limit
            )
            _, data, _, answered = conn.result3(msgid)
            found += [item for item in data if item[0]]
            cookie = next(
                (c.cookie for c in answered if c.controlType == SimplePagedResultsControl.controlType), b""
            )
            if not cookie or (limit and len(found) >= limit):
                return found[:limit] if limit else found
            paging.cookie = cookie

    def count(self, base: str, filterstr: str) -> int:
        """How many entries below ``base`` match ``filterstr`` (no attributes are fetched)."""
        filterstr = self.dialect.filter(filterstr)

        def run(conn):
            return self._search(conn, base, ldap.SCOPE_SUBTREE, filterstr, ["1.1"])

        try:
            return sum(1 for dn, _ in self._run("search", run, base) if dn)
        except NotFound:
            return 0

    def get(self, dn: str) -> Entry | None:
        """The entry at ``dn``, or None when there is none."""
        found = self.search(dn, scope="base")
        return found[0] if found else None

    def find_guid(self, guid: uuid.UUID) -> Entry | None:
        """The entry with this GUID anywhere under the suffix, or None."""
        found = self.search(self.suffix, self.dialect.guid_filter(guid), limit=2)
        return found[0] if found else None

    def exists(self, dn: str) -> bool:
        """Whether an entry exists at ``dn``."""
        return self.get(dn) is not None

    # --- writes: private to this package; callers write through a DirectorySession, which
    # records the undo of each write in the batch's journal -------------------------------------
    def _add(self, dn: str, attrs: dict[str, str | list], *, guid: uuid.UUID | None = None) -> Entry | None:
        """Add an entry; returns it, as written with the GUID the server gave it, when the server
        tells the GUID in the same answer (OpenLDAP's post-read control, RFC 4527), else None.

        With ``guid``, try to give the entry that GUID (to put a deleted entry back). Only
        OpenLDAP lets a client choose the GUID, and only with the Relax Rules control and manage
        access (the root DN); elsewhere the entry is added with a new GUID.
        """
        if guid is not None and self.flavor == "ad":
            restored = self._reanimate(dn, attrs, guid)
            if restored:
                return None
        modlist = list(self.dialect.add_attrs(attrs).items())
        controls = []
        if self.flavor == "openldap":
            # only the GUID: decoding the control is pure Python (pyasn1), the rest is known
            controls.append(PostReadControl(criticality=False, attrList=[self._guid_attr]))
        if guid is not None and self.flavor == "openldap":
            relaxed = [*controls, LDAPControl(RELAX_CONTROL_OID, True, None)]
            kept = [*modlist, (self._guid_attr, [str(guid).encode()])]
            try:
                return self._added(
                    dn,
                    modlist,
                    self._run("add", lambda conn: conn.add_ext_s(dn, kept, serverctrls=relaxed), dn),
                )
            except DirectoryError as exc:
                log.warning("%s: entry %s put back with a new GUID: %s", self.name, dn, exc.text)
        answer = self._run("add", lambda conn: conn.add_ext_s(dn, modlist, serverctrls=controls), dn)
        if self.flavor == "ad":
            # AD has no post-read control: the entry as stored is read back in the same call
            def read(conn):
                return conn.search_ext_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", self._read_attrs)

            found = [item for item in self._run("add", read, dn, counted=False) if item[0]]
            return self._entry(found[0][0], found[0][1]) if found else None
        return self._added(dn, modlist, answer)

    def _added(self, dn: str, modlist: list, answer) -> Entry | None:
        for control in (answer[3] if answer and len(answer) > 3 else None) or []:
            if isinstance(control, PostReadControl) and control.entry:
                raw = dict(modlist)
                raw.update(control.entry)
                return self._entry(dn, raw)
        return None

    def _reanimate(self, dn: str, attrs: dict, guid: uuid.UUID) -> bool:
        """Bring a deleted object back from AD's Deleted Objects to ``dn`` with its GUID (and SID),
        then put back the attributes AD stripped from the tombstone and the groups it was in.
        False when no tombstone has this GUID (then the caller re-creates the object)."""
        show = LDAPControl(SHOW_DELETED_OID, True, None)
        target = self.dialect.guid_filter(guid)

        def find(conn):
            return self._search(
                conn, self.suffix, ldap.SCOPE_SUBTREE, f"(&{target}(isDeleted=TRUE))", ["1.1"], 0, [show]
            )

        tombstones = [found for found, _ in self._run("search", find, dn) if found]
        if not tombstones:
            return False
        revive = [
            (ldap.MOD_DELETE, "isDeleted", None),
            (ldap.MOD_REPLACE, "distinguishedName", [dn.encode()]),
        ]
        self._run("modify", lambda conn: conn.modify_ext_s(tombstones[0], revive, serverctrls=[show]), dn)
        rdn_attr = ldap.dn.str2dn(dn)[0][0][0].lower()
        kept = self.dialect.add_attrs(attrs)
        skip = {
            "objectclass",
            rdn_attr,
            "samaccountname",
            "useraccountcontrol",
            "unicodepwd",
            "grouptype",
            "member",
        }
        changes = [
            (ldap.MOD_REPLACE, name, values) for name, values in kept.items() if name.lower() not in skip
        ]
        if changes:
            self._run("modify", lambda conn: conn.modify_s(dn, changes), dn)
        # Links are not kept in a tombstone: the object rejoins its groups, and a group gets back
        # those of its members that exist (a member put back later rejoins it itself).
        links = [(group, "member", dn) for group in attrs.get("memberof", []) or []]
        links += [(dn, "member", member) for member in attrs.get("member", []) or []]
        for target, attr, value in links:
            target = target.decode() if isinstance(target, bytes) else target
            value = value if isinstance(value, bytes) else value.encode()
            change = [(ldap.MOD_ADD, attr, [value])]
            with contextlib.suppress(PortalError):
                self._run("modify", lambda conn, t=target, c=change: conn.modify_s(t, c), target)
        log.info("%s: %s put back from Deleted Objects with its GUID %s", self.name, dn, guid)
        return True

    def _modify(self, dn: str, changes: dict[str, str | list | None]) -> None:
        """Replace the named attributes' values (None or [] removes the attribute)."""
        changes = self.dialect.modify_changes(changes)
        if not changes:
            return
        modlist = [
            (ldap.MOD_REPLACE, name, _encode(value) if value not in (None, []) else None)
            for name, value in changes.items()
        ]
        self._run("modify", lambda conn: conn.modify_s(dn, modlist), dn)

    def _delete(self, dn: str) -> None:
        """Delete one (leaf) entry."""
        self._run("delete", lambda conn: conn.delete_s(dn), dn)

    def _rename(self, dn: str, new_rdn: str, new_superior: str | None = None) -> None:
        """Rename or move an entry."""
        self._run("rename", lambda conn: conn.rename_s(dn, new_rdn, new_superior, delold=1), dn)

    # --- the hosting tree ----------------------------------------------------------------------
    def in_hosting_root(self, dn: str) -> bool:
        """Whether ``dn`` is the hosting root or lies below it."""
        return dn_is_within(dn, self.hosting_root)

    def require_in_hosting_root(self, dn: str, *, argument: str = "path") -> None:
        """Refuse, before LDAP is asked, a DN outside the hosting root."""
        if not self.in_hosting_root(dn):
            raise AccessDenied(
                f"<{argument}> {dn} lies outside the hosting tree {self.hosting_root}.",
                field=argument,
            )

    def same_dn(self, left: str, right: str) -> bool:
        """Whether two DNs name the same entry."""
        return dn_key(left) == dn_key(right)


class UndoJournal:
    """Where a :class:`DirectorySession` records the undo of each write, as data (see
    :func:`undo_step`), before the write is sent: ``intend(steps)`` before, ``withdraw(steps)``
    when the server refused the write for certain (it did not happen), ``learned(step)`` when a
    step gained what the write answered (the GUID of an added entry)."""

    def intend(self, steps: list[dict]) -> None:  # pragma: no cover - protocol
        raise NotImplementedError

    def withdraw(self, steps: list[dict]) -> None:  # pragma: no cover - protocol
        raise NotImplementedError

    def learned(self, step: dict) -> None:
        """A step gained a detail (kept with the next durable write); nothing by default."""


class MemoryUndoJournal(UndoJournal):
    """Undo steps kept in memory only (a session outside the engine, such as a test's)."""

    def __init__(self) -> None:
        self.steps: list[dict] = []

    def intend(self, steps: list[dict]) -> None:
        self.steps.extend(steps)

    def withdraw(self, steps: list[dict]) -> None:
        gone = {id(step) for step in steps}
        self.steps = [step for step in self.steps if id(step) not in gone]

    def undo(self) -> list[str]:
        """Run every step, newest first; answers what each did."""
        done = [undo_step(get_gateway(step["dc"]), step) for step in reversed(self.steps)]
        self.steps.clear()
        return done


# --- undo steps: data, run by idempotent code that looks at the directory first --------------------
def _text_attrs(entry: Entry) -> dict:
    return {
        "attrs": entry.attrs,
        "binary": {k: [base64.b64encode(v).decode() for v in vs] for k, vs in entry.binary.items()},
    }


def step_label(step: dict) -> str:
    """What a step undoes, as the audit record's undo log says it."""
    words = {"delete": "delete", "restore": "restore", "readd": "re-add", "moveback": "move back"}
    return f"{words.get(step['op'], step['op'])} {step.get('from') or step['dn']}"


def _values_equal(current: list | None, old: list | None) -> bool:
    return sorted(current or []) == sorted(old or [])


def undo_step(gateway: DirectoryGateway, step: dict) -> str:
    """Undo one step where the directory still needs it, and only there; answers what was done
    (``undone: ...``) or why nothing was (``nothing to undo: ...``). Running it twice, or for a
    write that never happened, changes nothing:

    - ``delete`` (of an added entry): only if an entry is at ``dn`` (with ``guid``, when known);
    - ``restore`` (of modified values): only the attributes whose values differ from ``old``;
    - ``readd`` (of a deleted entry): only if nothing is at ``dn``;
    - ``moveback`` (of a rename): only if the entry is at its new place and not at its old one.
    """
    op, dn, label = step["op"], step["dn"], step_label(step)
    if op == "delete":
        entry = gateway.get(dn)
        if entry is None:
            return f"nothing to undo: {label} (absent)"
        if step.get("guid") and entry.guid is not None and str(entry.guid) != step["guid"]:
            return f"nothing to undo: {label} (another entry holds the name)"
        gateway._delete(dn)
        return f"undone: {label}"
    if op == "restore":
        entry = gateway.get(dn)
        if entry is None:
            return f"nothing to undo: {label} (the entry is gone)"
        changes = {}
        for name, old in step["old"].items():
            key = name.lower()
            current = entry.attrs.get(key)
            if current is None and key in entry.binary:
                continue  # binary values are never changed by a modify of the portal
            if not _values_equal(current, old):
                changes[name] = old
        if not changes:
            return f"nothing to undo: {label} (values as before)"
        gateway._modify(dn, changes)
        return f"undone: {label}"
    if op == "readd":
        if gateway.get(dn) is not None:
            return f"nothing to undo: {label} (present)"
        attrs: dict = dict(step["attrs"])
        for name, values in (step.get("binary") or {}).items():
            attrs[name] = [base64.b64decode(value) for value in values]
        guid = uuid.UUID(step["guid"]) if step.get("guid") else None
        gateway._add(dn, attrs, guid=guid)
        return f"undone: {label}"
    if op == "moveback":
        old_dn = step["from"]
        if gateway.get(dn) is None or gateway.get(old_dn) is not None:
            return f"nothing to undo: {label} (not at its new place)"
        gateway._rename(dn, step["old_rdn"], step["old_parent"])
        return f"undone: {label}"
    raise ValueError(f"unknown undo step {op!r}")


def _certain(err: BaseException) -> bool:
    """Whether a failed write certainly did not happen: the server answered it with a refusal
    (errors of the gateway say so; anything else may have followed a write that happened)."""
    return isinstance(err, PortalError) and getattr(err, "uncertain", None) is False


class DirectorySession:
    """A gateway bound to one batch: every write records its undo in the batch's journal before
    the write is sent (a write that times out counts as done), and entries read once are not read
    again until something is written."""

    def __init__(self, gateway: DirectoryGateway, journal: UndoJournal, cache: dict | None = None) -> None:
        self.gateway = gateway
        self._journal = journal
        self._cache = cache if cache is not None else {}

    def __getattr__(self, name: str):
        # other reads and helpers come straight from the gateway (its private writes do not)
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.gateway, name)

    def _key(self, dn: str) -> tuple[str, str]:
        return (self.gateway.name.lower(), dn_key(dn))

    def get(self, dn: str) -> Entry | None:
        """The entry at ``dn`` (read once per batch until it is written), or None."""
        key = self._key(dn)
        if key not in self._cache:
            self._cache[key] = self.gateway.get(dn)
        return self._cache[key]

    def remember(self, entry: Entry) -> None:
        """Put an entry read elsewhere (for example once for a whole import) into the cache."""
        self._cache[self._key(entry.dn)] = entry

    def _forget(self, dn: str) -> None:
        # A write changes the entry written, not its parent or siblings: only that entry is
        # read again. A move changes the DNs of a whole subtree, so it forgets everything.
        self._cache.pop(self._key(dn), None)

    @contextlib.contextmanager
    def _intent(self, steps: list[dict]) -> Iterator[None]:
        """Journal ``steps`` before the write; withdraw them when the server refused the write for
        certain (an error that leaves it unknown keeps them: the undo checks what is there)."""
        self._journal.intend(steps)
        try:
            yield
        except BaseException as exc:
            if _certain(exc):
                self._journal.withdraw(steps)
            raise

    def _step(self, op: str, dn: str, **data) -> dict:
        return {"op": op, "dc": self.gateway.name, "dn": dn, **data}

    def add(self, dn: str, attrs: dict[str, str | list]) -> None:
        """Add an entry; undone by deleting it. The entry as stored is kept for the next read
        when the server answers with it."""
        self._forget(dn)
        step = self._step("delete", dn)
        with self._intent([step]):
            added = self.gateway._add(dn, attrs)
        if added is not None:
            if added.guid is not None:
                step["guid"] = str(added.guid)
                self._journal.learned(step)
            self.remember(added)

    def modify(self, dn: str, changes: dict[str, str | list | None]) -> None:
        """Replace attribute values; undone by putting the old values back."""
        before = self.gateway.get(dn)
        if before is None:
            raise NotFound(f"The directory object {dn} was not found.")
        old = {name: before.attrs.get(name.lower()) for name in changes}
        self._forget(dn)
        with self._intent([self._step("restore", dn, old=old)]):
            self.gateway._modify(dn, changes)

    def _readd(self, entry: Entry) -> dict:
        return self._step(
            "readd", entry.dn, guid=str(entry.guid) if entry.guid else None, **_text_attrs(entry)
        )

    def delete(self, dn: str) -> None:
        """Delete a leaf entry; undone by adding it back with its attributes (and, where the
        directory allows it, its GUID: see ``DirectoryGateway._add``)."""
        before = self.gateway.get(dn)
        if before is None:
            raise NotFound(f"The directory object {dn} was not found.")
        self._forget(dn)
        with self._intent([self._readd(before)]):
            self.gateway._delete(dn)

    def delete_subtree(self, dn: str) -> list[Entry]:
        """Delete ``dn`` and everything below it, leaves first. The undo of every delete is
        journaled at once before the first (re-adding only what is missing, parents first).
        Returns the entries deleted."""
        found = self.gateway.search(dn, scope="subtree")
        if not found:
            raise NotFound(f"The directory object {dn} was not found.")
        found.sort(key=lambda entry: len(ldap.dn.str2dn(entry.dn)), reverse=True)
        steps = [self._readd(entry) for entry in found]
        self._journal.intend(steps)
        for index, entry in enumerate(found):
            self._forget(entry.dn)
            try:
                self.gateway._delete(entry.dn)
            except BaseException as exc:
                # the deletes not sent yet did not happen; the failed one only if certain
                self._journal.withdraw(steps[index + 1 if not _certain(exc) else index :])
                raise
        return found

    def rename(self, dn: str, new_rdn: str, new_superior: str | None = None) -> None:
        """Rename or move an entry (with what lies below it); undone by moving it back."""
        old_rdn = ldap.dn.dn2str(ldap.dn.str2dn(dn)[:1])
        old_parent = ldap.dn.dn2str(ldap.dn.str2dn(dn)[1:])
        self._cache.clear()
        new_dn = f"{new_rdn},{new_superior or old_parent}"
        step = self._step("moveback", new_dn, old_rdn=old_rdn, old_parent=old_parent, **{"from": dn})
        with self._intent([step]):
            self.gateway._rename(dn, new_rdn, new_superior)


_gateways: dict[str, DirectoryGateway] = {}
_gateways_lock = threading.Lock()


def domain_controllers() -> dict[str, str]:
    """Configured domain controllers: lower-case name to LDAP URI."""
    return {
        name.strip().lower(): uri.strip() for name, uri in settings.DIRECTORY["DOMAIN_CONTROLLERS"].items()
    }


def get_gateway(name: str) -> DirectoryGateway:
    """The gateway for a ``preferredDomainController`` name (letter case ignored).

    An unknown name is an :class:`UnknownDomainController` error, never a silent fallback.
    """
    key = (name or "").strip().lower()
    known = domain_controllers()
    if key not in known:
        listed = ", ".join(settings.DIRECTORY["DOMAIN_CONTROLLERS"]) or "none"
        raise UnknownDomainController(
            f"The domain controller '{name}' is not configured (configured: {listed}).",
            field="preferredDomainController",
        )
    with _gateways_lock:
        gateway = _gateways.get(key)
        if gateway is None or gateway.uri != known[key]:
            conf = settings.DIRECTORY
            gateway = _gateways[key] = DirectoryGateway(
                name,
                known[key],
                bind_dn=conf["BIND_DN"],
                bind_password=conf["BIND_PASSWORD"],
                suffix=conf["SUFFIX"],
                hosting_root=conf["HOSTING_ROOT"],
                flavor=conf["FLAVOR"],
                pool_size=conf["POOL_SIZE"],
                timeout=conf["TIMEOUT"],
                operation_timeout=conf.get("OPERATION_TIMEOUT"),
                down_seconds=conf.get("DOWN_SECONDS", DOWN_SECONDS),
                tls_cacert=conf.get("TLS_CACERT"),
            )
        return gateway


def domain_controller_default() -> str:
    """The name of the domain controller used where a caller names none (pages, commands, the
    demo loader): the first configured one that answers, else the first (whose error then says
    why). With one domain controller configured, nothing is asked."""
    names = list(settings.DIRECTORY["DOMAIN_CONTROLLERS"])
    if len(names) > 1:
        for name in names:
            if get_gateway(name).answers():
                return name
    return names[0]


def default_gateway() -> DirectoryGateway:
    """The gateway for calls and reads that name none (such as page lists): that of
    :func:`domain_controller_default`."""
    return get_gateway(domain_controller_default())


def reset_gateways() -> None:
    """Forget every gateway (after the directory settings change)."""
    with _gateways_lock:
        for gateway in _gateways.values():
            gateway.close()
        _gateways.clear()
