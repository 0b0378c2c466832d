"""Batches in processes of their own, each killed (SIGKILL) by itself right after its N-th
directory write. Started once per test (Django set up once); for each line ``SCENARIO NAME N`` on
its input it forks a process that runs the scenario, waits for it and answers ``PID STATUS``. The
test that starts it points it at the test databases and the test slapd through the environment;
nothing here opens a connection before it forks."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from portal.directory import directory_written  # noqa: E402
from tests.faults import scenarios  # noqa: E402


def run(scenario: str, name: str, after: int) -> None:
    count = [0]

    def written(**kwargs) -> None:
        count[0] += 1
        if count[0] == after:
            os.kill(os.getpid(), signal.SIGKILL)

    directory_written.connect(written, weak=False)
    try:
        scenarios.run_scenario(scenario, name)
    except Exception as exc:  # a refusal is an outcome too; the test checks the state either way
        print(f"failed: {exc}", file=sys.stderr)


for line in sys.stdin:
    scenario, name, after = line.split()
    pid = os.fork()
    if pid == 0:
        run(scenario, name, int(after))
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print(pid, os.waitstatus_to_exitcode(status), flush=True)
