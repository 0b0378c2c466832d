"""`make run`: the private slapd with the demo tree, the mail servers, the database with the demo
data, the portal.

Starts slapd on ``ldap://127.0.0.1:$LDAP_PORT`` (3389) with its data under ``var/ldap``, loads the
demo tree the first time only, starts a private Postfix (SMTP on ``127.0.0.1:$SMTP_PORT``, 2525) and
Dovecot (IMAP on ``127.0.0.1:$IMAP_PORT``, 1143) reading that directory, with their configuration,
queue and mail under ``var/mail``, migrates, loads the demo data (idempotent), and serves the portal
with gunicorn on ``http://127.0.0.1:$PORT`` (8000). Ctrl-C or SIGTERM stops the portal, the mail
servers and slapd.
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


def main() -> int:
    from portal.directory.server import ROOT_DN, ROOT_PW, SUFFIX, PortalSlapd, load_entries, read_ldif
    from portal.mailservers import DirectoryAccess, MailServers

    var = Path(os.environ.get("PORTAL_VAR_DIR", ROOT / "var"))
    var.mkdir(parents=True, exist_ok=True)
    server = PortalSlapd(port=LDAP_PORT, rundir=var / "ldap")
    server.start()
    print(f"slapd: ldap://127.0.0.1:{LDAP_PORT} (data in {var / 'ldap'})", flush=True)
    mail = MailServers(
        DirectoryAccess(f"ldap://127.0.0.1:{LDAP_PORT}", ROOT_DN, ROOT_PW, f"OU=Hosting,{SUFFIX}"),
        smtp_port=SMTP_PORT,
        imap_port=IMAP_PORT,
        rundir=var / "mail",
    )
    os.environ.setdefault("DOVECOT_CONFIG", str(mail.dovecot_config))
    processes: list[subprocess.Popen] = []

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    status = 0
    try:
        conn = server.connect()
        added = load_entries(conn, read_ldif(ROOT / "demo" / "directory.ldif"), skip_existing=True)
        conn.unbind_s()
        if added:
            print(f"demo directory: {added} entries loaded", flush=True)
        mail.start()
        print(
            f"mail: SMTP 127.0.0.1:{SMTP_PORT}, IMAP 127.0.0.1:{IMAP_PORT} (mail in {var / 'mail'})",
            flush=True,
        )
        python = sys.executable
        manage = [python, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], check=True, cwd=ROOT)
        subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], check=True, cwd=ROOT)
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
                    "4",
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
        # RuntimeError: a mail server did not start (its log's tail is in the text)
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
        mail.stop()
        server.stop()
        print("portal, mail servers and slapd stopped", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
