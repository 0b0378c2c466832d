"""A batch in a process of its own, killed (SIGKILL) by itself right after its N-th directory
write: ``python tests/faults/child.py SCENARIO NAME N``. The test that starts it points it at the
test databases and the test slapd through the environment."""

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

scenario, name, after = sys.argv[1], sys.argv[2], int(sys.argv[3])
count = [0]


def written(**kwargs) -> None:
    count[0] += 1
    if count[0] == after:
        os.kill(os.getpid(), signal.SIGKILL)


directory_written.connect(written, weak=False)
try:
    scenarios.run_scenario(scenario, name)
except Exception as exc:  # a refusal is an outcome too; the test checks the state either way
    print(f"failed: {exc}")
print(f"finished after {count[0]} writes")
