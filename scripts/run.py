"""`make run`: the directory with the demo tree, the mail servers, the database with the demo
data, the portal.

Starts slapd on ``ldap://127.0.0.1:$LDAP_PORT`` (3389) with its data under ``var/ldap``, loads the
demo tree the first time only, starts a private Postfix (SMTP on ``127.0.0.1:$SMTP_PORT``, 2525) and
Dovecot (IMAP on ``127.0.0.1:$IMAP_PORT``, 1143) reading that directory, with their configuration,
queue and mail under ``var-mail/openldap`` (``$PORTAL_MAIL_DIR``: beside ``var/``, which is the
portal's user's alone, so that Postfix's and Dovecot's own users can reach their files),
migrates (the journal's database too), runs the directory recovery
(``manage.py directory_recover``), loads the demo data (idempotent), and serves the portal with
gunicorn on ``http://127.0.0.1:$PORT`` (8000), each worker running the recovery every minute.
Ctrl-C or SIGTERM stops the portal, the mail servers and the directory.

``DIRECTORY=samba`` runs a Samba AD DC instead (``AD01`` of ``FABRIKAM.COM``, provisioned the first
time under ``var/samba``) on ``ldaps://$SAMBA_ADDRESS`` (127.0.0.11); with ``DCS=2`` a second DC,
``AD02``, joins it on ``$SAMBA_ADDRESS2`` (127.0.0.12) and replicates with it. The same private
Postfix and Dovecot then read AD over LDAPS (their mail under ``var-mail/samba``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_DEMO", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

LDAP_PORT = int(os.environ.get("LDAP_PORT", "3389"))
PORT = int(os.environ.get("PORT", "8000"))
SMTP_PORT = int(os.environ.get("SMTP_PORT", "2525"))
IMAP_PORT = int(os.environ.get("IMAP_PORT", "1143"))
os.environ.setdefault("LDAP_URI", f"ldap://127.0.0.1:{LDAP_PORT}")
# The mail servers' configuration, queue and mailboxes: not under var/ (mode 0700, the portal's
# user's alone), since Postfix and Dovecot hand their work to users of their own, who must reach it.
MAIL_DIR = Path(os.environ.get("PORTAL_MAIL_DIR", str(ROOT / "var-mail")))


DIRECTORY = os.environ.get("DIRECTORY", "openldap").lower()
# gunicorn: one process per core (WEB_CONCURRENCY, 2), each with WEB_THREADS threads (16). A request
# spends most of its time waiting (the directory's answer, the database's flush to the disk), with
# Python's lock released: more threads than cores keep the cores busy. Each process keeps as many
# directory connections as it has threads, so no request binds a connection of its own.
THREADS = int(os.environ.get("WEB_THREADS", "16"))
os.environ.setdefault("LDAP_POOL_SIZE", str(THREADS))


class OpenLdapDirectory:
    """The private slapd of the demo, data under var/ldap, and the mail servers that read it."""

    def __init__(self, var: Path) -> None:
        from portal.directory.server import ROOT_DN, ROOT_PW, SUFFIX, PortalSlapd
        from portal.mailservers import DirectoryAccess, MailServers

        self.server = PortalSlapd(port=LDAP_PORT, rundir=var / "ldap")
        self.data = var / "ldap"
        self.mail = MailServers(
            DirectoryAccess(f"ldap://127.0.0.1:{LDAP_PORT}", ROOT_DN, ROOT_PW, f"OU=Hosting,{SUFFIX}"),
            smtp_port=SMTP_PORT,
            imap_port=IMAP_PORT,
            rundir=MAIL_DIR / "openldap",
        )
        self.mail_data = MAIL_DIR / "openldap"
        os.environ.setdefault("DOVECOT_CONFIG", str(self.mail.dovecot_config))

    def start(self) -> None:
        from portal.directory.server import load_entries, read_ldif

        self.server.start()
        print(f"slapd: ldap://127.0.0.1:{LDAP_PORT} (data in {self.data})", flush=True)
        conn = self.server.connect()
        added = load_entries(conn, read_ldif(ROOT / "demo" / "directory.ldif"), skip_existing=True)
        conn.unbind_s()
        if added:
            print(f"demo directory: {added} entries loaded", flush=True)
        self.mail.start()
        print(
            f"mail: SMTP 127.0.0.1:{SMTP_PORT}, IMAP 127.0.0.1:{IMAP_PORT} (mail in {self.mail_data})",
            flush=True,
        )

    def stop(self) -> None:
        self.mail.stop()
        self.server.stop()


class SambaDirectory:
    """One or two Samba AD DCs of FABRIKAM.COM, data under var/samba, and the mail servers that read
    them (over LDAPS, as the portal's service account); the portal's settings (through the
    environment of the processes started after it) point at them."""

    def __init__(self, var: Path) -> None:
        from portal.directory import samba
        from portal.directory.samba import SambaDomain
        from portal.mailservers import DirectoryAccess, MailServers

        addresses = [os.environ.get("SAMBA_ADDRESS", "127.0.0.11")]
        if int(os.environ.get("DCS", "1")) > 1:
            addresses.append(os.environ.get("SAMBA_ADDRESS2", "127.0.0.12"))
        self.domain = SambaDomain(var / "samba", addresses)
        self.mail = MailServers(
            DirectoryAccess(
                " ".join(dc.ldap_uri for dc in self.domain.dcs),
                samba.ADMIN_DN,
                samba.ADMIN_PASSWORD,
                samba.HOSTING_ROOT,
                flavor="ad",
                ca_file=self.domain.first.ca_file,
            ),
            smtp_port=SMTP_PORT,
            imap_port=IMAP_PORT,
            rundir=MAIL_DIR / "samba",
        )
        self.mail_data = MAIL_DIR / "samba"
        os.environ.setdefault("DOVECOT_CONFIG", str(self.mail.dovecot_config))

    def start(self) -> None:
        from portal.directory import samba
        from portal.directory.server import read_ldif

        for done in self.domain.start():
            print(f"samba: {done}", flush=True)
        dcs = [f"{dc.name}.fabrikam.com={dc.ldap_uri}" for dc in self.domain.dcs]
        for dc in self.domain.dcs:
            print(f"samba: {dc.name} on {dc.ldap_uri} (data in {dc.rundir})", flush=True)
        conn = self.domain.first.connect()
        added = samba.load_demo(conn, read_ldif(ROOT / "demo" / "directory.ldif"), password="Passw0rd!")
        conn.unbind_s()
        if added:
            print(f"demo directory: {added} entries loaded", flush=True)
        os.environ.update(
            {
                "LDAP_FLAVOR": "ad",
                "LDAP_DOMAIN_CONTROLLERS": ",".join(dcs),
                "LDAP_BIND_DN": samba.ADMIN_DN,
                "LDAP_BIND_PASSWORD": samba.ADMIN_PASSWORD,
                "LDAP_TLS_CACERT": str(self.domain.first.ca_file),
            }
        )
        self.mail.start()
        print(
            f"mail: SMTP 127.0.0.1:{SMTP_PORT}, IMAP 127.0.0.1:{IMAP_PORT} (mail in {self.mail_data})",
            flush=True,
        )

    def stop(self) -> None:
        self.mail.stop()
        self.domain.stop()


def main() -> int:
    var = Path(os.environ.get("PORTAL_VAR_DIR", ROOT / "var"))
    var.mkdir(parents=True, exist_ok=True)
    directory = SambaDirectory(var) if DIRECTORY == "samba" else OpenLdapDirectory(var)
    processes: list[subprocess.Popen] = []

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    status = 0
    try:
        directory.start()
        python = sys.executable
        manage = [python, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], check=True, cwd=ROOT)
        subprocess.run(
            [*manage, "migrate", "--database", "journal", "--noinput", "-v0"], check=True, cwd=ROOT
        )
        subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], check=True, cwd=ROOT)
        # batches a crash left unfinished are repaired before the portal serves (docs/operations.md)
        recovered = subprocess.run([*manage, "directory_recover"], cwd=ROOT, capture_output=True, text=True)
        for line in (recovered.stdout + recovered.stderr).splitlines():
            print(f"directory recovery: {line}", flush=True)
        subprocess.run([*manage, "load_demo"], check=True, cwd=ROOT)
        gunicorn = Path(python).with_name("gunicorn")
        print(f"portal: http://127.0.0.1:{PORT}/ (log in as administrator / Passw0rd!)", flush=True)
        processes.append(
            subprocess.Popen(
                [
                    str(gunicorn),
                    "config.wsgi",
                    "--bind",
                    f"127.0.0.1:{PORT}",
                    "--workers",
                    os.environ.get("WEB_CONCURRENCY", "2"),
                    "--threads",
                    str(THREADS),
                    "--access-logfile",
                    "-",
                ],
                cwd=ROOT,
            )
        )
        while processes[-1].poll() is None:
            time.sleep(0.5)
        status = processes[-1].returncode
    except KeyboardInterrupt:
        pass
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        # RuntimeError: a directory or mail server did not start (its log's tail is in the text)
        print(f"failed: {exc}", file=sys.stderr)
        status = 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for proc in processes:
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        directory.stop()
        print("portal, mail servers and directory stopped", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
