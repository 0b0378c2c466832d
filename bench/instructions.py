"""Instructions the portal's process spends per EnableCustomerForPlans call, counted by
``valgrind --tool=callgrind``: the same count however busy the machine is, so two commits can be
compared on a machine that never goes quiet (wall-clock figures cannot).

Each measurement is two runs under callgrind, one making ``--calls`` calls and one making none
(both start the same way and make one call of each kind first, so imports and first-use work fall
on both alike); the difference divided by ``--calls`` is the cost of one call. ``engine`` calls
``portal.engine.run`` directly; ``mps`` posts the MPS request through Django's test client (the
door's parsing, authentication and answer included). Each call enables a different user: the
procedure really writes (the directory, the Plans database, the journal, the audit).

Usage: ``python -m bench.instructions [--calls N] [--door engine|mps|both]`` (slow: about ten
minutes a run on two cores; not part of ``make bench``). Needs Debian's valgrind.
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


def _calls(mode: str, count: int) -> None:
    """The measured program: ``count`` calls through ``mode`` after one warm-up call of each."""
    from bench.common import portal_environment
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

        engine(users[-1])
        door(users[-2])
        for dn in users[:count]:
            (engine if mode == "engine" else door)(dn)
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
                valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", "--trace-children=no",
                sys.executable, "-m", "bench.instructions", "--run", mode, str(count),
            ],
            cwd=ROOT, capture_output=True, text=True, check=False,
            env={**os.environ, "PORTAL_DEMO": "1"},
        )  # fmt: skip
        found = re.findall(r"Collected : (\d+)", result.stderr)
        if result.returncode != 0 or not found:
            raise SystemExit(f"instructions: the run failed\n{result.stderr[-3000:]}")
        return int(found[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--door", choices=("engine", "mps", "both"), default="both")
    parser.add_argument("--run", nargs=2, metavar=("MODE", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        _calls(args.run[0], int(args.run[1]))
        return {}
    base = _count("engine", 0)
    results = {}
    for mode in ("engine", "mps") if args.door == "both" else (args.door,):
        results[mode] = (_count(mode, args.calls) - base) / args.calls
        print(f"EnableCustomerForPlans via {mode}: {results[mode] / 1e6:.2f} M instructions per call")
    return results


if __name__ == "__main__":
    main()
