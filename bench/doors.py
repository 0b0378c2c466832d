"""The doors' throughput under 50 concurrent clients, against ``GET /healthz`` of the same server.

Starts the portal as ``make run`` does (``scripts/run.py``: slapd with the demo tree, the mail
servers, the demo data, gunicorn) on free ports with a var folder of its own, then lets ApacheBench
(``ab``, a C client that leaves the two cores to the server) send, in alternating rounds:

- ``GET /healthz`` (the floor: Django and gunicorn, no database, no directory);
- ``POST /mps/`` ``Managed Hosting::GetOrgType`` of AlpineSkiHouse as ``cm-admin`` (a read);
- ``POST /mps/`` ``MPS Import::EnableCustomerForPlans`` of AlpineSkiHouse as ``cm-admin``, which the
  demo data has already registered (an idempotent write: it answers like the first call).

Each round runs ``--requests`` requests of each at ``--concurrency`` clients (one new connection
per request, as ``ab`` does without ``-k``); the medians over the rounds are reported, with each
procedure's share of the floor's rate, the time of one request alone (``-c 1``) and the CPU time the
server's processes (gunicorn, slapd) spent per request, which depends far less on what else the
machine does than the rates do. Targets: a read
at least half of ``/healthz``'s rate, an idempotent write at least a third. ``--check`` makes the
run fail when a target is missed (the figures depend on what else the machine does).
Usage: ``python -m bench.doors [--requests N] [--rounds N] [--concurrency N] [--check]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import table  # noqa: E402

ALPINE = "OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com"
CALLER = "cm-admin:Passw0rd!"
REQUEST = """<request><procedure>
<execute namespace="{namespace}" procedure="{procedure}" impersonate="1"><executeData>
<path>LDAP://{path}</path><preferredDomainController>AD01.fabrikam.com</preferredDomainController>
</executeData></execute></procedure></request>"""
READ = REQUEST.format(namespace="Managed Hosting", procedure="GetOrgType", path=ALPINE)
WRITE = REQUEST.format(namespace="MPS Import", procedure="EnableCustomerForPlans", path=ALPINE)
TARGETS = {"read": 0.5, "write": 1 / 3}


def _free_port() -> int:
    from portal.mailservers import free_port

    return free_port()


class Portal:
    """``scripts/run.py`` on free ports, its data in a temporary folder."""

    def __init__(self) -> None:
        self.var = Path(tempfile.mkdtemp(prefix="portal-doors-"))
        # the mail servers' folders beside it, where their own users reach them (as make run's)
        self.mail = Path(tempfile.mkdtemp(prefix="portal-doors-mail-"))
        self.mail.chmod(0o755)
        self.port = _free_port()
        env = dict(os.environ)
        env.update(
            {
                "PORTAL_DEMO": "1",
                "PORTAL_VAR_DIR": str(self.var),
                "PORTAL_MAIL_DIR": str(self.mail),
                "PORT": str(self.port),
                "LDAP_PORT": str(_free_port()),
                "SMTP_PORT": str(_free_port()),
                "IMAP_PORT": str(_free_port()),
            }
        )
        for name in ("LDAP_URI", "LDAP_DOMAIN_CONTROLLERS", "DOVECOT_CONFIG"):
            env.pop(name, None)  # derived from the ports above
        self.env = env
        self.log = open(self.var / "run.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 300.0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "run.py")],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"make run's server stopped:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"make run's server did not answer within {timeout:.0f} s:\n{self.tail()}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes (gunicorn and its workers, slapd, the mail
        servers: everything ``scripts/run.py`` started), from ``/proc``."""
        children: dict[int, list[int]] = {}
        times: dict[int, float] = {}
        tick = os.sysconf("SC_CLK_TCK")
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry)
            children.setdefault(int(fields[1]), []).append(pid)
            times[pid] = (int(fields[11]) + int(fields[12])) / tick
        total, todo = 0.0, [self.process.pid]
        while todo:
            pid = todo.pop()
            total += times.get(pid, 0.0)
            todo.extend(children.get(pid, ()))
        return total

    def tail(self) -> str:
        self.log.flush()
        return (self.var / "run.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.var, ignore_errors=True)
        shutil.rmtree(self.mail, ignore_errors=True)


def ab(url: str, *, requests: int, concurrency: int, body: Path | None = None) -> dict:
    """One ApacheBench run: requests per second, mean time per request, failures."""
    command = ["ab", "-q", "-n", str(requests), "-c", str(concurrency)]
    if body is not None:
        command += ["-p", str(body), "-T", "text/xml", "-A", CALLER]
    result = subprocess.run([*command, url], capture_output=True, text=True, check=False)
    out = result.stdout
    rate = re.search(r"Requests per second:\s+([\d.]+)", out)
    mean = re.search(r"Time per request:\s+([\d.]+) \[ms\] \(mean\)", out)
    if result.returncode != 0 or rate is None or mean is None:
        raise RuntimeError(f"ab failed ({result.returncode}): {result.stderr or out}")
    failed = re.search(r"Failed requests:\s+(\d+)", out)
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    return {
        "rps": float(rate.group(1)),
        "ms": float(mean.group(1)),
        "failed": int(failed.group(1)) if failed else 0,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="requests per round and kind")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--check", action="store_true", help="fail when a target is missed")
    args, _ = parser.parse_known_args(argv)
    if shutil.which("ab") is None:
        print("doors: ApacheBench (ab) is missing: bash scripts/bootstrap.sh bench", file=sys.stderr)
        return 1
    portal = Portal()
    bodies = Path(tempfile.mkdtemp(prefix="portal-doors-bodies-"))
    kinds = {"healthz": None, "read": bodies / "read.xml", "write": bodies / "write.xml"}
    kinds["read"].write_text(READ)
    kinds["write"].write_text(WRITE)
    urls = {"healthz": "/healthz", "read": "/mps/", "write": "/mps/"}
    try:
        portal.start()
        base = portal.url
        # warm up: each worker's imports, connections and the remembered credential
        for kind, body in kinds.items():
            ab(base + urls[kind], requests=200, concurrency=4, body=body)
        alone = {}
        for kind, body in kinds.items():
            alone[kind] = ab(base + urls[kind], requests=300, concurrency=1, body=body)
        runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
        cpu: dict[str, float] = dict.fromkeys(kinds, 0.0)
        for _ in range(args.rounds):
            for kind, body in kinds.items():
                before = portal.cpu_seconds()
                runs[kind].append(
                    ab(base + urls[kind], requests=args.requests, concurrency=args.concurrency, body=body)
                )
                cpu[kind] += portal.cpu_seconds() - before
        load = os.getloadavg()
    finally:
        portal.stop()
        shutil.rmtree(bodies, ignore_errors=True)

    rps = {kind: statistics.median(run["rps"] for run in found) for kind, found in runs.items()}
    errors = {kind: sum(run["failed"] + run["non2xx"] for run in found) for kind, found in runs.items()}
    names = {
        "healthz": "GET /healthz (floor)",
        "read": "POST /mps/ Managed Hosting::GetOrgType (read)",
        "write": "POST /mps/ MPS Import::EnableCustomerForPlans, already enabled (idempotent write)",
    }
    rows = []
    for kind in kinds:
        share = rps[kind] / rps["healthz"]
        target = f"≥ {TARGETS[kind]:.0%}" if kind in TARGETS else "—"
        rows.append(
            (
                names[kind],
                f"{rps[kind]:.0f}",
                " / ".join(f"{run['rps']:.0f}" for run in runs[kind]),
                f"{share:.0%}",
                target,
                f"{alone[kind]['ms']:.2f}",
                f"{cpu[kind] / (args.requests * args.rounds) * 1000:.2f}",
                errors[kind] + alone[kind]["failed"] + alone[kind]["non2xx"],
            )
        )
    print(
        f"\nDoors at {args.concurrency} clients ({args.rounds} rounds of {args.requests} requests, median; "
        f"load average {load[0]:.1f} at the end)"
    )
    print(
        table(
            rows,
            (
                "request",
                "requests/s",
                "rounds",
                "of /healthz",
                "target",
                "ms alone (-c 1)",
                "server CPU ms/request",
                "errors",
            ),
        )
    )
    missed = [kind for kind, share in TARGETS.items() if rps[kind] / rps["healthz"] < share]
    status = 0
    if any(errors.values()):
        print("doors: some requests failed or answered an error status", file=sys.stderr)
        status = 1
    if missed:
        print(f"doors: below target: {', '.join(names[kind] for kind in missed)}", file=sys.stderr)
        if args.check:
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
