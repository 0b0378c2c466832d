"""`make bench`: every benchmark of the portal, one after the other, each in its own process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = [
    "bench.enable_customer",
    "bench.provisioning_import",
    "bench.billing_run",
    "bench.mail",
    "bench.dunning_run",
    "bench.doors",
]


def main() -> int:
    status = 0
    for module in BENCHMARKS:
        if not (ROOT / (module.replace(".", "/") + ".py")).exists():
            continue
        result = subprocess.run([sys.executable, "-m", module, *sys.argv[1:]], cwd=ROOT, check=False)
        status = status or result.returncode
    return status


if __name__ == "__main__":
    raise SystemExit(main())
