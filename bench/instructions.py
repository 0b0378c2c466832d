"""Instructions the portal's process spends per call, counted by ``valgrind --tool=callgrind``:
the same count however busy the machine is, so two commits can be compared on a machine that never
goes quiet (wall-clock figures cannot).

Each measurement is one run under callgrind with the counting off until the calls begin (start-up,
imports and one warm-up call of each kind are not counted) and off again after the last
(``callgrind_control``); the count divided by ``--calls`` is the cost of one call. Modes:

- ``engine``: EnableCustomerForPlans through ``portal.engine.run`` directly;
- ``mps``: the same request posted through Django's test client (the door's parsing,
  authentication and answer included). Each call enables a different user: the procedure really
  writes (the directory, the Plans database, the journal, the audit);
- ``read``: ``Managed Hosting::GetOrgType`` of AlpineSkiHouse posted as ``cm-admin`` (a remembered
  credential), the read of ``bench.doors``.

The account's directory re-read (every ``PORTAL_ACCOUNT_RECHECK_SECONDS``) is kept out of the
count: it falls on whichever call comes when it is due.

Usage: ``python -m bench.instructions [--calls N] [--door engine|mps|read|all]`` (slow: a few
minutes a mode on two cores; not part of ``make bench``). Needs Debian's valgrind.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _counting(on: bool) -> None:
    """Turn callgrind's counting of this process on or off (it answers once it has)."""
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], capture_output=True, check=True
    )


def _calls(mode: str, count: int) -> None:
    """The measured program: ``count`` calls through ``mode`` after one warm-up call of each,
    counted alone."""
    from bench.common import portal_environment
    from bench.doors import READ
    from bench.enable_customer import DC, REQUEST, _users

    with portal_environment() as server:
        from django.contrib.auth import authenticate
        from django.test import Client

        from portal.engine import Caller, run

        conn = server.connect()
        users = _users(conn, "cg", count + 2)
        caller = Caller.from_user(authenticate(None, username="administrator", password="Passw0rd!"))
        client = Client()
        auth = "Basic " + base64.b64encode(b"administrator:Passw0rd!").decode()

        def engine(dn: str) -> None:
            run(
                caller,
                "MPS Import::EnableCustomerForPlans",
                {"path": f"LDAP://{dn}", "preferredDomainController": DC},
                door="bench",
            )

        def door(dn: str) -> None:
            response = client.post(
                "/mps/", data=REQUEST.format(dn=dn).encode(), content_type="text/xml", HTTP_AUTHORIZATION=auth
            )
            assert response.status_code == 200, response.content

        reader = "Basic " + base64.b64encode(b"cm-admin:Passw0rd!").decode()

        def read(dn: str) -> None:
            body = READ.encode()
            response = client.post("/mps/", data=body, content_type="text/xml", HTTP_AUTHORIZATION=reader)
            assert response.status_code == 200, response.content

        engine(users[-1])
        door(users[-2])
        read("")
        read("")  # the first remembers the credential
        call = {"engine": engine, "mps": door, "read": read}[mode]
        _counting(True)
        for dn in users[:count]:
            call(dn)
        _counting(False)
        conn.unbind_s()


def _count(mode: str, count: int) -> int:
    """Instructions of one run of the measured program under callgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("instructions: valgrind is missing (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="portal-callgrind-") as folder:
        out = Path(folder) / "callgrind.out"
        result = subprocess.run(
            [
                valgrind, "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                "--trace-children=no", sys.executable, "-m", "bench.instructions", "--run", mode, str(count),
            ],
            cwd=ROOT, capture_output=True, text=True, check=False,
            env={**os.environ, "PORTAL_DEMO": "1", "PORTAL_ACCOUNT_RECHECK_SECONDS": "3600"},
        )  # fmt: skip
        found = re.findall(r"Collected : (\d+)", result.stderr)
        if result.returncode != 0 or not found:
            raise SystemExit(f"instructions: the run failed\n{result.stderr[-3000:]}")
        return int(found[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--door", choices=("engine", "mps", "read", "all"), default="all")
    parser.add_argument("--run", nargs=2, metavar=("MODE", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        _calls(args.run[0], int(args.run[1]))
        return {}
    names = {"engine": "EnableCustomerForPlans via engine", "mps": "EnableCustomerForPlans via mps"}
    names["read"] = "GetOrgType via mps"
    results = {}
    for mode in ("engine", "mps", "read") if args.door == "all" else (args.door,):
        results[mode] = _count(mode, args.calls) / args.calls
        print(f"{names[mode]}: {results[mode] / 1e6:.2f} M instructions per call")
    return results


if __name__ == "__main__":
    main()
