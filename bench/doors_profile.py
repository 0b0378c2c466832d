"""Where one door request spends its CPU: the requests of ``bench/doors.py`` inside this process.

A private slapd with the demo tree, a fresh SQLite database with the demo data, and Django's test
client (no cookies kept, as ``ab`` keeps none) send ``POST /mps/`` ``GetOrgType`` (a read) and the
idempotent ``EnableCustomerForPlans`` (a write) of AlpineSkiHouse as ``cm-admin``, and ``GET
/healthz``. For each it prints the CPU time per request without a profiler, then a profile on CPU
time (``cProfile`` with ``time.process_time``) sorted by cumulative time, and saves it to
``--out`` (``read.prof``, ``write.prof``) for ``python -m pstats``. Not part of ``make bench``.
Usage: ``python -m bench.doors_profile [--requests N] [--lines N] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import pstats
import time
from pathlib import Path

from bench.common import portal_environment
from bench.doors import CALLER, READ, WRITE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--lines", type=int, default=60, help="lines of each profile to print")
    parser.add_argument("--out", type=Path, default=Path("."), help="where the .prof files go")
    args = parser.parse_args(argv)
    with portal_environment():
        from django.core.management import call_command
        from django.test import Client

        call_command("load_demo", verbosity=0)
        client = Client()
        auth = "Basic " + base64.b64encode(CALLER.encode()).decode()

        def post(body: str) -> None:
            client.cookies.clear()
            answer = client.post("/mps/", data=body, content_type="text/xml", HTTP_AUTHORIZATION=auth)
            if answer.status_code != 200:
                raise RuntimeError(answer.content.decode())

        def healthz() -> None:
            client.cookies.clear()
            client.get("/healthz")

        kinds = {"read": lambda: post(READ), "write": lambda: post(WRITE), "healthz": healthz}
        for name, send in kinds.items():
            for _ in range(20):  # warm up: imports, connections, the remembered credential
                send()
            start = time.process_time()
            for _ in range(args.requests):
                send()
            cpu = (time.process_time() - start) / args.requests * 1000
            print(f"\n{name}: {cpu:.2f} ms of CPU per request (no profiler)")
            if name == "healthz":
                continue
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(args.requests):
                send()
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.lines)
            print(out.getvalue())
            profile.dump_stats(str(args.out / f"{name}.prof"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
