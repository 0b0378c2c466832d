"""A private Postfix and Dovecot for the demo (`make run`) and the test harness, read from the directory.

Both are Debian's packages (``postfix``, ``postfix-ldap``, ``dovecot-imapd``, ``dovecot-lmtpd``,
``dovecot-ldap``) run with configurations written here, under a run directory of their own
(``var-mail/openldap`` for the demo, a temporary folder for the tests), so that several pairs can run at once
next to each other and next to nothing system-wide:

- **Postfix** listens for SMTP on ``127.0.0.1:smtp_port`` only (no port 25, no submission, no SASL),
  with its own ``config_directory``, ``queue_directory`` and ``data_directory``. It accepts mail
  only for the SMTP domains of the directory's organizations and only for enabled addresses
  (unknown ones are refused at RCPT with 550), never relays, expands distribution lists from their
  ``member`` values, asks Dovecot's quota-status service before it accepts a recipient, and hands
  mail to Dovecot over LMTP on a UNIX socket.
- **Dovecot** serves IMAP on ``127.0.0.1:imap_port`` and LMTP on that socket. An IMAP log-in is a
  bind to the directory as the user (its ``userPrincipalName`` and directory password; no password
  is copied anywhere). Mail is kept in a Maildir per mailbox named by the entry's GUID (OpenLDAP's
  ``entryUUID``; AD's logon name, ``objectGUID`` being binary), so renames and address changes keep
  it; the quota comes from the entry and is enforced on delivery.

Both read either flavor of directory: the private slapd over ``ldap://``, or Active Directory over
``ldaps://`` trusting the certificate authority ``DirectoryAccess.ca_file`` (a copy readable by the
servers' own users goes into the run directory), with AD's classes in the filters.

Every lookup is a live LDAP search (the filters come from :mod:`portal.directory.mail`), so what the
portal writes takes effect for the next message, with no map to rebuild.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from portal.directory.mail import MailAttributes, mail_attributes

POSTFIX = "/usr/sbin/postfix"
DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
MAIL_USER = "mail"  # the system user that owns the mailboxes (Dovecot's mail_uid)
POSTFIX_USER = "postfix"


def free_port() -> int:
    """A TCP port on the loopback nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class DirectoryAccess:
    """How the mail servers reach the directory: URI (several, space-separated, are tried in
    order), a read account, where the tree starts, the flavor (``openldap`` or ``ad``) and, for
    ``ldaps://``, the certificate authority to trust."""

    uri: str
    bind_dn: str
    bind_password: str
    base: str
    flavor: str = "openldap"
    ca_file: str | os.PathLike | None = None


@dataclass(frozen=True)
class StaticMailbox:
    """A mailbox written into static maps instead of looked up in the directory (the benchmark's
    comparison: the same servers without the LDAP lookups)."""

    addresses: tuple[str, ...]
    user: str
    home_name: str
    quota_kib: int


def _wait_port(port: int, timeout: float, proc: subprocess.Popen | None, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    raise RuntimeError(f"{what} did not start on 127.0.0.1:{port}:\n{tail}")


class MailServers:
    """A private Postfix (SMTP) and Dovecot (IMAP, LMTP, quota) reading one directory.

    ``rundir`` holds configuration, queue, mail and logs; a persistent one (``make run``) keeps the
    mail across starts, a temporary one (``rundir=None``) is removed by :meth:`stop`.
    """

    def __init__(
        self,
        directory: DirectoryAccess,
        *,
        smtp_port: int | None = None,
        imap_port: int | None = None,
        rundir: str | os.PathLike | None = None,
        login_brakes: bool = True,
        static: list[StaticMailbox] | None = None,
    ) -> None:
        self.directory = directory
        #: whether Dovecot slows down failed log-ins (a brake on password guessing); the tests,
        #: which fail log-ins on purpose, turn it off
        self.login_brakes = login_brakes
        #: mailboxes for static maps: no directory lookups at all (for the benchmark only)
        self.static = static
        self.attributes: MailAttributes = mail_attributes(directory.flavor)
        self.smtp_port = smtp_port or free_port()
        self.imap_port = imap_port or free_port()
        self.persistent = rundir is not None
        if rundir is None:
            rundir = tempfile.mkdtemp(prefix="portal-mail-")
        self.rundir = Path(rundir).resolve()
        self.postfix_config = self.rundir / "postfix"
        self.queue = self.rundir / "postfix-queue"
        self.dovecot_config = self.rundir / "dovecot" / "dovecot.conf"
        # UNIX socket paths are limited to about 100 bytes: Dovecot's sockets go to a short
        # folder of their own when the run directory's path is long
        base = self.rundir / "dovecot" / "run"
        if len(str(base)) > 60:
            base = Path(tempfile.gettempdir()) / f"portal-dovecot-{self.imap_port}"
        self.dovecot_base = base
        self.mailboxes = self.rundir / "mailboxes"
        #: the directory's certificate authority, copied where Postfix's and Dovecot's users read it
        self.ca_file = self.rundir / "directory-ca.pem" if directory.ca_file else None
        self.postfix_log = self.rundir / "postfix.log"
        self.dovecot_log = self.rundir / "dovecot.log"
        self._postfix: subprocess.Popen | None = None
        self._dovecot: subprocess.Popen | None = None

    # --- configuration ---------------------------------------------------------------------------
    def _write_ca(self) -> None:
        if self.ca_file is not None:
            shutil.copyfile(self.directory.ca_file, self.ca_file)
            self.ca_file.chmod(0o644)

    def _ldap_map(self, name: str, query_filter: str, result: str, extra: str = "") -> Path:
        d = self.directory
        path = self.postfix_config / f"{name}.cf"
        path.write_text(
            f"# {name}: a live lookup in the portal's directory\n"
            f"server_host = {d.uri}\n"
            "version = 3\n"
            f"search_base = {d.base}\n"
            "scope = sub\n"
            "bind = yes\n"
            f"bind_dn = {d.bind_dn}\n"
            f"bind_pw = {d.bind_password}\n"
            f"query_filter = {query_filter}\n"
            f"result_attribute = {result}\n"
            + (
                f"tls_ca_cert_file = {self.ca_file}\ntls_require_cert = yes\n"
                if self.ca_file is not None
                else ""
            )
            + extra
        )
        path.chmod(0o640)
        shutil.chown(path, group=POSTFIX_USER)
        return path

    def _write_postfix(self) -> None:
        a = self.attributes
        self.postfix_config.mkdir(parents=True, exist_ok=True)
        self.queue.mkdir(parents=True, exist_ok=True)
        (self.rundir / "postfix-data").mkdir(exist_ok=True)
        shutil.chown(self.rundir / "postfix-data", user=POSTFIX_USER)
        if self.static is not None:
            domain_map, mailbox_map, list_map = self._static_maps()
        else:
            domains = self._ldap_map("domains", a.domain_filter(), a.domains)
            mailboxes = self._ldap_map("mailboxes", a.recipient_filter(), a.primary)
            lists = self._ldap_map(
                "lists",
                a.list_filter(),
                a.primary,
                f"special_result_attribute = {a.member}\nleaf_result_attribute = {a.primary}\n",
            )
            domain_map, mailbox_map, list_map = f"ldap:{domains}", f"ldap:{mailboxes}", f"ldap:{lists}"
        lmtp = self.dovecot_base / "lmtp"
        quota_status = self.dovecot_base / "quota-status"
        (self.postfix_config / "main.cf").write_text(
            f"""# The portal's private Postfix: written by portal/mailservers.py, do not edit.
compatibility_level = 3.6
queue_directory = {self.queue}
data_directory = {self.rundir / "postfix-data"}
mail_owner = {POSTFIX_USER}
setgid_group = postdrop
maillog_file = {self.postfix_log}
maillog_file_prefixes = {self.rundir}
myhostname = mail.portal.localhost
mydomain = portal.localhost
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
biff = no
append_dot_mydomain = no
smtpd_banner = $myhostname ESMTP
# nothing is delivered locally, nothing leaves for another host: this server never relays
alias_maps =
alias_database =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery on this server
default_transport = error:5.7.1 this server does not relay
relay_transport = error:5.7.1 this server does not relay
relay_domains =
smtpd_sasl_auth_enable = no
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unlisted_recipient, check_policy_service unix:{quota_status}
unknown_virtual_mailbox_reject_code = 550
# the hosted domains, mailboxes and distribution lists, read from the directory on every lookup
virtual_mailbox_domains = {domain_map}
virtual_mailbox_maps = {mailbox_map}
virtual_alias_maps = {list_map}
virtual_transport = lmtp:unix:{lmtp}
lmtp_destination_recipient_limit = 50
"""
        )
        # smtpd remembers each address's class (hosted domain or not) for its whole life: one
        # process per SMTP session, so that a domain the directory gains or loses counts at once
        (self.postfix_config / "master.cf").write_text(
            f"""# The portal's private Postfix: SMTP on 127.0.0.1:{self.smtp_port} only (no port 25).
127.0.0.1:{self.smtp_port} inet n - n - - smtpd
  -o max_use=1
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""
        )

    def _static_maps(self) -> tuple[str, str, str]:
        domains = sorted({address.rpartition("@")[2] for m in self.static for address in m.addresses})
        mailboxes = [f"{address} {m.addresses[0]}" for m in self.static for address in m.addresses]
        for name, lines in (
            ("domains", [f"{d} ok" for d in domains]),
            ("mailboxes", mailboxes),
            ("lists", []),
        ):
            (self.postfix_config / f"{name}.map").write_text("\n".join(lines) + "\n")
        return tuple(
            f"texthash:{self.postfix_config / name}.map" for name in ("domains", "mailboxes", "lists")
        )

    def _static_userdb(self) -> str:
        path = self.dovecot_config.parent / "users"
        lines = [
            f"{key}:::::{self.mailboxes}/{m.home_name}::user={m.user} quota_rule=*:storage={m.quota_kib}k"
            for m in self.static
            for key in (m.user, *m.addresses)
        ]
        path.write_text("\n".join(lines) + "\n")
        return f"userdb {{\n  driver = passwd-file\n  args = {path}\n}}\n"

    def _write_dovecot(self) -> None:
        a = self.attributes
        d = self.directory
        conf_dir = self.dovecot_config.parent
        conf_dir.mkdir(parents=True, exist_ok=True)
        for folder in (self.dovecot_base, self.rundir / "dovecot" / "state"):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o755)
        self.mailboxes.mkdir(exist_ok=True)
        shutil.chown(self.mailboxes, user=MAIL_USER, group=MAIL_USER)
        common = (
            f"uris = {d.uri}\n"
            f"dn = {d.bind_dn}\n"
            f"dnpass = {d.bind_password}\n"
            "ldap_version = 3\n"
            f"base = {d.base}\n"
            "scope = subtree\n"
        )
        if self.ca_file is not None:
            common += f"tls_ca_cert_file = {self.ca_file}\ntls_require_cert = demand\n"
        home = "%{ldap:" + a.home + "}"
        quota = "%{ldap:" + a.quota_kib + ":0}"
        logon = "%{ldap:" + a.logon + "}"
        passdb = conf_dir / "ldap-passdb.conf.ext"
        passdb.write_text(
            common + f"auth_bind = yes\npass_filter = {a.login_filter()}\npass_attrs = {a.logon}=user\n"
        )
        userdb = conf_dir / "ldap-userdb.conf.ext"
        userdb.write_text(
            common + f"user_filter = {a.mailbox_filter()}\n"
            f"user_attrs = =user={logon}, =home={self.mailboxes}/{home}, "
            f"=quota_rule=*:storage={quota}k\n"
            f"iterate_filter = (&(objectClass={a.user_class})({a.addresses}=smtp:*))\n"
            f"iterate_attrs = {a.logon}=user\n"
        )
        for path in (passdb, userdb):
            path.chmod(0o600)
        userdb_block = (
            self._static_userdb()
            if self.static is not None
            else f"userdb {{\n  driver = ldap\n  args = {userdb}\n}}\n"
        )
        brakes = (
            ""
            if self.login_brakes
            else "auth_failure_delay = 0\n"
            "service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n"
        )
        self.dovecot_config.write_text(
            f"""# The portal's private Dovecot: written by portal/mailservers.py, do not edit.
instance_name = portal-{self.imap_port}
base_dir = {self.dovecot_base}
state_dir = {self.rundir / "dovecot" / "state"}
log_path = {self.dovecot_log}
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Lu
{brakes}mail_uid = {MAIL_USER}
mail_gid = {MAIL_USER}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
mail_plugins = quota
lmtp_rcpt_check_quota = yes
postmaster_address = postmaster@portal.localhost
passdb {{
  driver = ldap
  args = {passdb}
}}
{userdb_block}service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0600
    user = {POSTFIX_USER}
  }}
}}
service quota-status {{
  executable = quota-status -p postfix
  unix_listener quota-status {{
    mode = 0600
    user = {POSTFIX_USER}
  }}
  client_limit = 1
}}
protocol imap {{
  mail_plugins = $mail_plugins imap_quota
}}
protocol lmtp {{
  mail_plugins = $mail_plugins
}}
plugin {{
  quota = count:User quota
  quota_vsizes = yes
  quota_status_success = DUNNO
  quota_status_nouser = DUNNO
  quota_status_overquota = "552 5.2.2 Mailbox is full: the message would exceed the mailbox's quota"
  quota_exceeded_message = 5.2.2 Mailbox is full: the message would exceed the mailbox's quota
}}
"""
        )

    # --- running -----------------------------------------------------------------------------------
    def start(self, timeout: float = 20.0) -> None:
        """Write the configurations and start Dovecot, then Postfix; wait until both answer."""
        self.rundir.mkdir(parents=True, exist_ok=True)
        self.rundir.chmod(0o755)
        self._write_ca()
        self._write_dovecot()
        self._write_postfix()
        # Postfix needs Dovecot's sockets only to deliver: both start at once
        self._dovecot = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.dovecot_config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.rundir / "dovecot.err", "ab"),  # noqa: SIM115 - kept by the child
        )
        self._postfix = subprocess.Popen(
            [POSTFIX, "-c", str(self.postfix_config), "start-fg"],
            stdout=subprocess.DEVNULL,
            stderr=open(self.rundir / "postfix.err", "ab"),  # noqa: SIM115 - kept by the child
        )
        try:
            _wait_port(self.imap_port, timeout, self._dovecot, "Dovecot", self.dovecot_log)
            _wait_port(self.smtp_port, timeout, self._postfix, "Postfix", self.postfix_log)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop both servers; a temporary run directory is removed with the mail in it."""
        if self._postfix is not None:
            subprocess.run(
                [POSTFIX, "-c", str(self.postfix_config), "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            self._wait(self._postfix)
            self._postfix = None
        if self._dovecot is not None:
            self._dovecot.terminate()
            self._wait(self._dovecot)
            self._dovecot = None
        if not self.persistent:
            shutil.rmtree(self.rundir, ignore_errors=True)
        if self.dovecot_base.parent != self.rundir / "dovecot":
            shutil.rmtree(self.dovecot_base, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start both servers, keeping their ports, configuration and stored mail.

        Their directory connections are made anew, to the first directory address that answers:
        while the first of several domain controllers was down, Postfix and Dovecot went on with
        the next one and stay with it (it sees the first one's changes only once they replicate).
        """
        persistent, self.persistent = self.persistent, True
        try:
            self.stop()
        finally:
            self.persistent = persistent
        self.start()

    @staticmethod
    def _wait(proc: subprocess.Popen) -> None:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> MailServers:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def clear_mailboxes(self) -> None:
        """Remove every mailbox's stored mail (the tests' fresh start: a directory whose entries
        keep their GUID from one test to the next would otherwise keep their mail too)."""
        for child in self.mailboxes.iterdir() if self.mailboxes.exists() else ():
            shutil.rmtree(child, ignore_errors=True)

    def usage(self, user: str) -> tuple[int, int] | None:
        """What a mailbox holds now, in KiB, and its limit in KiB (0: none), as Dovecot counts
        them; None when Dovecot knows no such mailbox."""
        return mailbox_usage(self.dovecot_config, user)


def mailbox_usage(dovecot_config: str | os.PathLike, user: str) -> tuple[int, int] | None:
    """A mailbox's storage used and limit in KiB from Dovecot (``doveadm quota get``); None when
    Dovecot knows no mailbox for ``user`` (a disabled or deleted one)."""
    result = subprocess.run(
        [DOVEADM, "-c", str(dovecot_config), "-f", "tab", "quota", "get", "-u", user],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if result.returncode != 0:
        return None
    for line in result.stdout.splitlines()[1:]:
        fields = line.split("\t")
        # quota name, type, value, limit, percent
        if len(fields) >= 4 and fields[1] == "STORAGE":
            limit = 0 if fields[3] in ("-", "") else int(fields[3])
            return int(fields[2]), limit
    return None


def mailbox_usages(dovecot_config: str | os.PathLike) -> dict[str, tuple[int, int]]:
    """Storage used and limit in KiB of every enabled mailbox Dovecot knows, by user name in lower
    case, from one ``doveadm quota get -A`` (it walks the user database: one process for a page's
    whole list instead of one per mailbox)."""
    result = subprocess.run(
        [DOVEADM, "-c", str(dovecot_config), "-f", "tab", "quota", "get", "-A"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    usages: dict[str, tuple[int, int]] = {}
    for line in result.stdout.splitlines()[1:]:
        fields = line.split("\t")
        # user, quota name, type, value, limit, percent
        if len(fields) >= 5 and fields[2] == "STORAGE":
            limit = 0 if fields[4] in ("-", "") else int(fields[4])
            usages[fields[0].lower()] = (int(fields[3]), limit)
    return usages
