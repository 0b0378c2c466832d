"""A private Samba Active Directory domain controller for the demo and the test harness.

``SambaDC`` provisions (the first time only) and starts Debian's ``samba`` as an AD DC of the realm
``FABRIKAM.COM`` under a run folder of its own: ``var/samba/<name>`` for ``make run``, a temporary
folder for the tests. Samba's LDAP listens on the fixed ports 389 and 636, so each DC gets its own
loopback address (``127.0.0.11``, ``127.0.0.12``, ...) with ``bind interfaces only``; nothing
listens beyond loopback. The portal talks LDAPS to it, trusting a certificate authority made here
for the purpose (the certificate names the DC's host name and its address).

A second DC (``AD02``) joins the domain of the first and replicates with it. Samba finds its
replication partner by DNS name (``<NTDS GUID>._msdcs.fabrikam.com``); the DCs run in a private
mount namespace whose ``/etc/hosts`` (a file of the run folder) names both, so that nothing of the
machine's own name service changes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import ldap
from ldap.controls import LDAPControl

from portal.directory.flavor import ActiveDirectoryFlavor
from portal.directory.mail import ACTIVE_DIRECTORY

REALM = "FABRIKAM.COM"
DOMAIN = "FABRIKAM"
DNS_DOMAIN = "fabrikam.com"
SUFFIX = "DC=fabrikam,DC=com"
ADMIN_DN = f"CN=Administrator,CN=Users,{SUFFIX}"
ADMIN_PASSWORD = "Passw0rd!"
#: the logon name of the domain's built-in Administrator (the account the portal binds as): the
#: demo's own ``administrator`` is a user of the hosting tree, and logon names are unique in AD
ADMIN_LOGON = "ad-admin"
HOSTING_ROOT = f"OU=Hosting,{SUFFIX}"

#: AD's own services a DC needs here: LDAP for the portal; RPC (DRS), the KDC, the replication
#: service and the consistency checker for a second DC.
SERVICES_ALONE = "ldap"
#: AD's Tree Delete control: an object and everything below it in one operation
TREE_DELETE_OID = "1.2.840.113556.1.4.805"
SERVICES_REPLICATING = "ldap, cldap, rpc, kdc, drepl, kcc"

SAMBA = shutil.which("samba", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") or "/usr/sbin/samba"
SAMBA_TOOL = shutil.which("samba-tool") or "/usr/bin/samba-tool"


def samba_installed() -> bool:
    """Whether Debian's AD DC (``samba`` with its provisioning data) is installed."""
    return os.path.exists(SAMBA) and os.path.isdir("/usr/share/samba/setup/ad-schema")


#: the address blocks this process holds (open files with a lock), kept until it ends
_HELD_ADDRESSES: list = []


def free_loopback_address(start: int = 60, count: int = 2) -> list[str]:
    """``count`` loopback addresses on which ports 389 and 636 are free (127.0.N.1, 127.0.N.2...).

    A block ``127.0.N.*`` is taken only with an exclusive lock on ``/tmp/portal-samba-127.0.N.lock``,
    held until this process ends: two test runs starting at the same time (provisioning takes a
    while before Samba listens) never pick the same addresses."""
    import fcntl

    for third in range(start, 250):
        addresses = [f"127.0.{third}.{i + 1}" for i in range(count)]
        lock = open(os.path.join(tempfile.gettempdir(), f"portal-samba-127.0.{third}.lock"), "a")  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        if all(_port_free(address, port) for address in addresses for port in (389, 636, 88, 135)):
            _HELD_ADDRESSES.append(lock)
            return addresses
        lock.close()
    raise RuntimeError("no free loopback address for a domain controller")


def _port_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


class SambaError(RuntimeError):
    """Provisioning, joining or starting a DC failed; the text holds Samba's own words."""


class SambaDC:
    """One Samba AD DC on its own loopback address, with its data under ``rundir``."""

    def __init__(
        self,
        name: str,
        rundir: str | os.PathLike,
        address: str,
        *,
        services: str = SERVICES_ALONE,
        hosts_file: str | os.PathLike | None = None,
        krb5_conf: str | os.PathLike | None = None,
    ) -> None:
        self.name = name.upper()
        self.rundir = Path(rundir).resolve()
        self.address = address
        self.services = services
        self.hosts_file = Path(hosts_file) if hosts_file else None
        #: Kerberos of the DCs' replication: the realm's KDCs by address, no DNS lookups
        self.krb5_conf = Path(krb5_conf) if krb5_conf else None
        self.host = f"{self.name.lower()}.{DNS_DOMAIN}"
        self.ldap_uri = f"ldaps://{address}"
        #: how many times this DC has been started (a client that failed over to another DC while
        #: it was down stays there: see ``MailServers.restart``)
        self.starts = 0
        self._proc: subprocess.Popen | None = None

    # --- files -----------------------------------------------------------------------------------
    @property
    def conf(self) -> Path:
        return self.rundir / "etc" / "smb.conf"

    @property
    def ca_file(self) -> Path:
        """The certificate authority the portal trusts for this DC's LDAPS."""
        return self.rundir.parent / "ca" / "ca.pem"

    @property
    def provisioned(self) -> bool:
        return (self.rundir / "private" / "sam.ldb").exists()

    def _options(self) -> dict[str, str]:
        d = self.rundir
        tls = self.rundir / "tls"
        return {
            "netbios name": self.name,
            "realm": REALM,
            "workgroup": DOMAIN,
            "server role": "active directory domain controller",
            "interfaces": f"{self.address}/8",
            "bind interfaces only": "yes",
            "server services": self.services,
            "dcerpc endpoint servers": "epmapper, drsuapi, lsarpc, netlogon, samr",
            "private dir": str(d / "private"),
            "lock directory": str(d),
            "state directory": str(d / "state"),
            "cache directory": str(d / "cache"),
            "pid directory": str(d),
            "ncalrpc dir": str(d / "ncalrpc"),
            "binddns dir": str(d / "bind-dns"),
            "winbindd socket directory": str(d / "winbindd"),
            "ntp signd socket directory": str(d / "ntp_signd"),
            "log file": str(d / "log.samba"),
            "logging": "file",
            "log level": os.environ.get("SAMBA_LOG_LEVEL", "1"),
            "prefork children": "2",
            "tls enabled": "yes",
            "tls keyfile": str(tls / "key.pem"),
            "tls certfile": str(tls / "cert.pem"),
            "tls cafile": str(self.ca_file),
            "dsdb:schema update allowed": "no",
        }

    def _write_conf(self) -> None:
        self.conf.parent.mkdir(parents=True, exist_ok=True)
        lines = ["[global]"] + [f"\t{key} = {value}" for key, value in self._options().items()]
        self.conf.write_text("\n".join(lines) + "\n")

    def _option_args(self) -> list[str]:
        return [f"--option={key}={value}" for key, value in self._options().items()]

    def _certificate(self) -> None:
        """A CA (shared by the DCs of one run folder) and this DC's certificate, named for its host
        name and its address."""
        ca_dir = self.ca_file.parent
        ca_key = ca_dir / "ca.key"
        if not self.ca_file.exists():
            ca_dir.mkdir(parents=True, exist_ok=True)
            _openssl(
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                "-keyout", str(ca_key), "-out", str(self.ca_file),
                "-subj", "/O=Fabrikam/CN=Fabrikam test certificate authority",
            )  # fmt: skip
        tls = self.rundir / "tls"
        if (tls / "cert.pem").exists():
            return
        tls.mkdir(parents=True, exist_ok=True)
        ext = tls / "san.cnf"
        ext.write_text(f"subjectAltName=DNS:{self.host},DNS:{self.name.lower()},IP:{self.address}\n")
        _openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tls / "key.pem"),
            "-out", str(tls / "req.pem"), "-subj", f"/O=Fabrikam/CN={self.host}",
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", str(tls / "req.pem"), "-CA", str(self.ca_file),
            "-CAkey", str(ca_key), "-CAcreateserial", "-days", "3650",
            "-extfile", str(ext), "-out", str(tls / "cert.pem"),
        )  # fmt: skip
        os.chmod(tls / "key.pem", 0o600)

    # --- provisioning and joining ----------------------------------------------------------------
    def provision(self) -> bool:
        """Provision a new domain (first time only); returns whether it did."""
        if self.provisioned:
            return False
        self.rundir.mkdir(parents=True, exist_ok=True)
        self._certificate()
        _run(
            [
                SAMBA_TOOL, "domain", "provision", f"--targetdir={self.rundir}", f"--realm={REALM}",
                f"--domain={DOMAIN}", "--server-role=dc", "--dns-backend=NONE", f"--host-name={self.name}",
                f"--adminpass={ADMIN_PASSWORD}", *self._option_args(),
            ],
            "provision",
        )  # fmt: skip
        self._write_conf()
        # The portal's writes come in bursts right after a password is set: no minimum age, no
        # history (AD's complexity rule stays on).
        _run(
            [
                SAMBA_TOOL, "domain", "passwordsettings", "set",
                "-H", str(self.rundir / "private" / "sam.ldb"),
                f"--configfile={self.conf}", "--min-pwd-age=0", "--history-length=0",
            ],
            "password settings",
        )  # fmt: skip
        return True

    def join(self, first: SambaDC) -> bool:
        """Join the domain of ``first`` (running) as a further DC (first time only)."""
        if self.provisioned:
            return False
        self.rundir.mkdir(parents=True, exist_ok=True)
        self._certificate()
        _run(
            self._in_namespace(
                [
                    SAMBA_TOOL, "domain", "join", DNS_DOMAIN, "DC", f"--server={first.address}",
                    f"--targetdir={self.rundir}", f"-U{DOMAIN}\\{ADMIN_LOGON}%{ADMIN_PASSWORD}",
                    "--dns-backend=NONE", *self._option_args(),
                ]
            ),
            "join",
            env=self.env(),
        )  # fmt: skip
        self._write_conf()
        return True

    # --- running ------------------------------------------------------------------------------------
    def _in_namespace(self, argv: list[str]) -> list[str]:
        """``argv`` run in a private mount namespace whose /etc/hosts is the run folder's file."""
        if self.hosts_file is None:
            return argv
        if not self.hosts_file.exists():
            self.hosts_file.write_text("127.0.0.1 localhost\n")
        script = 'mount --bind "$0" /etc/hosts && exec "$@"'
        return [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            str(self.hosts_file),
            *argv,
        ]

    def env(self) -> dict[str, str]:
        """The environment of this DC's processes."""
        env = dict(os.environ)
        if self.krb5_conf is not None:
            env["KRB5_CONFIG"] = str(self.krb5_conf)
        return env

    def start(self, *, timeout: float = 60) -> None:
        """Start samba in the foreground of a child process and wait for LDAPS to answer."""
        if self._proc is not None and self._proc.poll() is None:
            return
        self._write_conf()
        log = open(self.rundir / "samba.out", "ab")  # noqa: SIM115 - kept open while samba runs
        self._proc = subprocess.Popen(
            self._in_namespace([SAMBA, "-s", str(self.conf), "--foreground", "--no-process-group"]),
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise SambaError(f"samba {self.name} stopped at start: see {self.rundir / 'log.samba'}")
            try:
                self.connect().unbind_s()
                self.starts += 1
                return
            except ldap.LDAPError:
                time.sleep(0.3)
        self.stop()
        raise SambaError(f"samba {self.name} did not answer LDAPS within {timeout:.0f} s")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """Stop samba and every process it started."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, 15)
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._proc.pid, 9)
                self._proc.wait()
        self._proc = None
        # the root process is gone; its workers (same process group) may still hold the port
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not _port_free(self.address, 636):
            time.sleep(0.1)

    def connect(self) -> ldap.ldapobject.LDAPObject:
        """A connection bound as the domain's Administrator (for loading and resetting data)."""
        conn = ldap.initialize(self.ldap_uri)
        conn.protocol_version = 3
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 10)
        conn.set_option(ldap.OPT_X_TLS_CACERTFILE, str(self.ca_file))
        conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
        conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        conn.simple_bind_s(ADMIN_DN, ADMIN_PASSWORD)
        return conn


class SambaDomain:
    """One or two DCs of FABRIKAM.COM under one run folder (``AD01``, and ``AD02`` joined to it)."""

    def __init__(self, rundir: str | os.PathLike, addresses: list[str]) -> None:
        self.rundir = Path(rundir).resolve()
        count = len(addresses)
        services = SERVICES_REPLICATING if count > 1 else SERVICES_ALONE
        hosts = self.rundir / "hosts" if count > 1 else None
        krb5 = self.rundir / "krb5.conf" if count > 1 else None
        self.dcs = [
            SambaDC(
                f"AD{i + 1:02d}",
                self.rundir / f"ad{i + 1:02d}",
                address,
                services=services,
                hosts_file=hosts,
                krb5_conf=krb5,
            )
            for i, address in enumerate(addresses)
        ]
        self.hosts_file = hosts
        self.krb5_conf = krb5

    @property
    def first(self) -> SambaDC:
        return self.dcs[0]

    def _write_hosts(self, guids: dict[str, uuid.UUID]) -> None:
        lines = ["127.0.0.1 localhost"]
        for dc in self.dcs:
            names = [dc.host, dc.name.lower()]
            if dc.name in guids:
                names.append(f"{guids[dc.name]}._msdcs.{DNS_DOMAIN}")
            lines.append(f"{dc.address} {' '.join(names)}")
        lines.append(f"{self.first.address} {DNS_DOMAIN}")
        self.hosts_file.write_text("\n".join(lines) + "\n")

    def start(self) -> list[str]:
        """Provision or join what is missing, start every DC; returns what was done, in words."""
        done = []
        self.rundir.mkdir(parents=True, exist_ok=True)
        if self.hosts_file is not None:
            self._write_hosts({})
            kdcs = "\n".join(f"    kdc = {dc.address}" for dc in self.dcs)
            self.krb5_conf.write_text(
                f"[libdefaults]\n  default_realm = {REALM}\n"
                "  dns_lookup_kdc = false\n  dns_lookup_realm = false\n"
                f"[realms]\n  {REALM} = {{\n{kdcs}\n  }}\n"
                f"[domain_realm]\n  .{DNS_DOMAIN} = {REALM}\n  {DNS_DOMAIN} = {REALM}\n"
            )
        provisioned = self.first.provision()
        self.first.start()
        if provisioned:
            conn = self.first.connect()
            conn.modify_s(ADMIN_DN, [(ldap.MOD_REPLACE, "sAMAccountName", [ADMIN_LOGON.encode()])])
            conn.unbind_s()
            done.append(f"{self.first.name} provisioned")
        for dc in self.dcs[1:]:
            if dc.join(self.first):
                done.append(f"{dc.name} joined")
        if self.hosts_file is not None:
            self._write_hosts({dc.name: self.first_guid(dc) for dc in self.dcs})
            self.first.stop()
            self.first.start()
        for dc in self.dcs[1:]:
            dc.start()
        if len(self.dcs) > 1:
            # Each DC registers its replication names (SPNs) with the KDCs; one replication each
            # way makes them known on both sides, after which changes flow within seconds.
            for dc in self.dcs:
                _run(
                    dc._in_namespace(["/usr/sbin/samba_spnupdate", "-s", str(dc.conf)]),
                    "spnupdate",
                    env=dc.env(),
                )
            for dc in self.dcs[1:]:
                self.replicate(self.first, dc)
                self.replicate(dc, self.first)
        return done

    def first_guid(self, dc: SambaDC) -> uuid.UUID:
        return ntds_guid(self.first, dc.name)

    def stop(self) -> None:
        for dc in reversed(self.dcs):
            dc.stop()

    def replicate(self, source: SambaDC, destination: SambaDC) -> None:
        """Ask ``destination`` to pull the domain partition from ``source`` now."""
        _run(
            destination._in_namespace(
                [
                    SAMBA_TOOL, "drs", "replicate", destination.host, source.host, SUFFIX,
                    f"-U{DOMAIN}\\{ADMIN_LOGON}%{ADMIN_PASSWORD}",
                ]
            ),
            "replicate",
            env=destination.env(),
        )  # fmt: skip


def ntds_guid(dc: SambaDC, name: str) -> uuid.UUID:
    """The GUID of the NTDS Settings object of DC ``name``, read on ``dc``."""
    conn = dc.connect()
    try:
        found = conn.search_s(
            f"CN=NTDS Settings,CN={name},CN=Servers,CN=Default-First-Site-Name,"
            f"CN=Sites,CN=Configuration,{SUFFIX}",
            ldap.SCOPE_BASE,
            "(objectClass=*)",
            ["objectGUID"],
        )
    finally:
        conn.unbind_s()
    return uuid.UUID(bytes_le=found[0][1]["objectGUID"][0])


def load_demo(conn, records, *, password: str) -> int:
    """Add the demo tree (portal vocabulary, OpenLDAP's LDIF) in AD's form; entries already there
    and the domain's own root are skipped. Every demo user gets ``password``."""
    flavor = ActiveDirectoryFlavor()
    added = 0
    for dn, entry in groups_last(records):
        if dn.count(",") <= SUFFIX.count(","):
            continue
        attrs = {key: value for key, value in entry.items() if key.lower() != "userpassword"}
        if any(key.lower() == "userpassword" for key in entry):
            attrs["unicodePwd"] = [f'"{password}"'.encode("utf-16-le")]
        try:
            conn.add_s(dn, list(flavor.add_attrs(attrs).items()))
            added += 1
        except ldap.ALREADY_EXISTS:
            pass
    return added


def groups_last(records):
    """The records with the groups moved to the end: AD takes a ``member`` only when the member
    exists (groups are leaves, so nothing below them moves)."""

    def is_group(entry) -> bool:
        classes = next((v for k, v in entry.items() if k.lower() == "objectclass"), [])
        return any(c.lower() in (b"hostinggroup", b"group", b"groupofnames") for c in classes)

    return [r for r in records if not is_group(r[1])] + [r for r in records if is_group(r[1])]


def _openssl(*args: str) -> None:
    _run(["openssl", *args], "openssl")


def _run(argv: list[str], what: str, *, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise SambaError(f"samba {what} failed ({done.returncode}):\n{tail}")


def temporary_rundir() -> str:
    """A new temporary folder for a DC of the tests (short: Samba's sockets live in it)."""
    return tempfile.mkdtemp(prefix="portal-samba-")


class PortalVocabularyConnection:
    """An administrator's python-ldap connection to an AD DC that takes and gives entries in the
    portal's vocabulary (as the OpenLDAP demo LDIF writes them): for loading the demo tree and for
    tests that arrange or inspect entries directly. Passwords go in as ``unicodePwd``: a clear
    ``userPassword`` as it is, an ``{SSHA}`` one as ``known_password`` when it is that password's
    hash (the demo LDIF's)."""

    def __init__(self, conn, *, known_password: str = ADMIN_PASSWORD) -> None:
        self.conn = conn
        self.flavor = ActiveDirectoryFlavor()
        self.known_password = known_password

    def _password(self, value: bytes) -> bytes:
        from portal.directory.passwords import password_ssha_matches

        text = value.decode()
        if text.upper().startswith("{SSHA}"):
            if not password_ssha_matches(self.known_password, text):
                raise ValueError("Active Directory takes clear passwords only")
            text = self.known_password
        return f'"{text}"'.encode("utf-16-le")

    def _attrs(self, pairs) -> dict:
        attrs = {}
        for name, values in pairs:
            values = [values] if isinstance(values, bytes | str) else list(values or [])
            if name.lower() == "userpassword":
                attrs["unicodePwd"] = [
                    self._password(v if isinstance(v, bytes) else v.encode()) for v in values
                ]
            else:
                attrs[name] = values
        return attrs

    def add_s(self, dn, modlist):
        if dn.replace(" ", "").lower() == SUFFIX.lower():
            raise ldap.ALREADY_EXISTS({"desc": "Already exists", "info": "the domain's own root"})
        return self.conn.add_s(dn, list(self.flavor.add_attrs(self._attrs(modlist)).items()))

    def modify_s(self, dn, modlist):
        changes = []
        for op, name, values in modlist:
            pairs = self._attrs([(name, values)]) if values is not None else {name: None}
            for target, vals in pairs.items():
                mapped = self.flavor.modify_changes({target: vals})
                changes += [(op, key, value) for key, value in mapped.items()]
        return self.conn.modify_s(dn, changes)

    def search_s(self, base, scope, filterstr="(objectClass=*)", attrlist=None):
        found = self.conn.search_s(
            base, scope, self.flavor.filter(filterstr), self.flavor.attr_list(attrlist)
        )
        asked = {name.lower() for name in attrlist or []}
        out = []
        for dn, raw in found:
            if not dn:
                continue
            entry = self.flavor.entry(raw)
            for name in [n for n, values in entry.items() if n.lower() not in asked and n != "objectGUID"]:
                try:
                    [value.decode("utf-8") for value in entry[name]]
                except UnicodeDecodeError:
                    del entry[name]  # AD's binary bookkeeping (objectSid, ...) unless asked for
            if "objectGUID" in entry:
                entry["entryUUID"] = [str(uuid.UUID(bytes_le=entry.pop("objectGUID")[0])).encode()]
            out.append((dn, entry))
        return out

    def __getattr__(self, name):
        return getattr(self.conn, name)


class DemoTreeKeeper:
    """Puts the demo tree back on an AD DC after a test, changing only what differs.

    Deleting and re-adding the whole tree costs AD a password set per user; instead the entries
    the tree did not have are deleted (leaves first), the missing ones added (parents first,
    groups last), and the kept ones (same DN and GUID) get back exactly the demo's values of every
    attribute the portal writes — the demo's names, the mail attributes, the flavor's marks and
    ``written`` (the properties the pages set): an attribute the demo entry lacks is removed — and
    their password, when ``pwdLastSet`` says it changed.
    """

    #: attributes compared on the kept entries, besides those the demo records name and ``written``
    ALSO = (
        "telephoneNumber", "otherMailbox", "jpegPhoto", "userAccountControl", "description",
        "displayName", "givenName", "sn", "userPrincipalName", "managedBy", "member",
        *ActiveDirectoryFlavor.RENAMED.values(),
        *(
            getattr(ACTIVE_DIRECTORY, field)
            for field in ("addresses", "primary", "alias", "quota_kib", "domains")
        ),
    )  # fmt: skip

    def __init__(
        self,
        connect,
        records,
        *,
        keep: frozenset[str],
        password: str,
        written: tuple[str, ...] = (),
    ):
        #: makes a new administrator's connection (the DC may have been restarted between resets)
        self.connect = connect
        self.conn: PortalVocabularyConnection = connect()
        conn = self.conn
        self.records = groups_last(records)
        self.keep = keep
        self.password = password
        self.flavor = ActiveDirectoryFlavor()
        self.wanted: dict[str, tuple[str, dict[str, list[bytes]]]] = {}
        names: set[str] = set()
        for dn, entry in self.records:
            if dn.replace(" ", "").lower() == SUFFIX.lower():
                continue
            attrs = conn._attrs(list(entry.items()))
            ad = self.flavor.add_attrs(attrs)
            self.wanted[dn.lower()] = (dn, ad)
            names |= {name for name in ad if name.lower() not in ("objectclass", "unicodepwd")}
        self.compared = sorted(
            {name.lower(): name for name in (*names, *self.ALSO, *written)}.values(), key=str.lower
        )
        self.compared = [name for name in self.compared if name.lower() != "objectguid"]
        self.state: dict[str, tuple[bytes, bytes]] = {}  # dn -> (objectGUID, pwdLastSet)

    def _current(self) -> dict[str, tuple[str, dict]]:
        raw = self.conn.conn
        found = []
        for dn, _ in raw.search_s(SUFFIX, ldap.SCOPE_ONELEVEL, "(objectClass=*)", ["1.1"]):
            if dn and dn.lower() not in self.keep:
                found += raw.search_s(
                    dn, ldap.SCOPE_SUBTREE, "(objectClass=*)", [*self.compared, "objectGUID", "pwdLastSet"]
                )
        return {dn.lower(): (dn, attrs) for dn, attrs in found if dn}

    def reset(self) -> None:
        try:
            self._reset()
        except ldap.SERVER_DOWN:
            self.conn = self.connect()
            self._reset()

    def _reset(self) -> None:
        raw = self.conn.conn
        current = self._current()
        stale = [
            (dn, attrs)
            for key, (dn, attrs) in current.items()
            if key not in self.wanted
            or (key in self.state and attrs.get("objectGUID", [b""])[0] != self.state[key][0])
        ]
        tree_delete = LDAPControl(TREE_DELETE_OID, True, None)
        for dn, _ in sorted(stale, key=lambda item: item[0].count(",")):
            key = dn.lower()
            if key not in current:
                continue  # went with a stale parent
            with contextlib.suppress(ldap.NO_SUCH_OBJECT):
                raw.delete_ext_s(dn, serverctrls=[tree_delete])
            for other in [k for k in current if k == key or k.endswith("," + key)]:
                del current[other]
        for key, (dn, ad) in self.wanted.items():
            if key not in current:
                raw.add_s(dn, list(ad.items()))
                continue
            have = {name.lower(): values for name, values in current[key][1].items()}
            rdn = dn.split("=", 1)[0].lower()
            changes = []
            for name in self.compared:
                lower = name.lower()
                if lower in (rdn, "samaccountname", "objectclass", "unicodepwd"):
                    continue
                want = next((values for n, values in ad.items() if n.lower() == lower), None)
                if sorted(have.get(lower) or []) != sorted(want or []):
                    changes.append((ldap.MOD_REPLACE, name, want))
            if (
                key in self.state
                and have.get("pwdlastset", [b""])[0] != self.state[key][1]
                and "unicodePwd" in ad
            ):
                changes.append((ldap.MOD_REPLACE, "unicodePwd", ad["unicodePwd"]))
            if changes:
                raw.modify_s(dn, changes)
        self.state = {
            key: (attrs.get("objectGUID", [b""])[0], attrs.get("pwdLastSet", [b""])[0])
            for key, (dn, attrs) in self._current().items()
        }
