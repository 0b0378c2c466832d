"""Benchmark of dunning: accounts per second and queries per account.

    python bench/dunning_run.py                     # 100,000 past-due accounts on a temporary SQLite file
    python bench/dunning_run.py --accounts 5000     # smaller
    python bench/dunning_run.py --database-url postgres://postgres@127.0.0.1:5432/bench

Each account owes one open invoice issued on the first day. ``Billing::RunDunning`` runs through
the engine for two days: day 1 past due (a reminder notice per account: the steady state) and day
14 (every account suspended: the costly day). Queries are counted at two small sizes for each day
to show whether they grow with the number of accounts. The accounts link to no directory object,
so the suspension calls no mailbox procedure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.billing_run import _setup_django  # noqa: E402

FIRST = dt.date(2026, 1, 1)


def _reset() -> None:
    from billing.models import (
        BillingAccount,
        DunningNotice,
        DunningRun,
        Invoice,
    )

    for model in (DunningNotice, DunningRun, Invoice, BillingAccount):
        model.objects.all().delete()


def populate(count: int) -> None:
    """``count`` accounts, each owing one open invoice of 6.50 issued on ``FIRST``."""
    from django.db import transaction

    from billing.models import BillingAccount, DunningPolicy, Invoice

    _reset()
    with transaction.atomic():
        DunningPolicy.objects.get_or_create(reseller_dn_key="", defaults={"name": "Provider default"})
        accounts = BillingAccount.objects.bulk_create(
            [BillingAccount(username=f"dun{n:07d}", currency="USD") for n in range(count)], batch_size=2000
        )
        Invoice.objects.bulk_create(
            [Invoice(account=a, issued_on=FIRST, currency="USD", total=Decimal("6.50")) for a in accounts],
            batch_size=2000,
        )


def dun(day: dt.date) -> dict:
    """One ``Billing::RunDunning`` through the engine, as the portal's service identity."""
    from portal.engine import Caller, run

    return run(Caller.service(), "Billing::RunDunning", {"date": day.isoformat()}, door="command")


def queries(count: int) -> tuple[float, float]:
    """Queries per account of the reminder day and of the suspension day over ``count`` accounts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    populate(count)
    with CaptureQueriesContext(connection) as reminder:
        out = dun(FIRST + dt.timedelta(days=1))
    assert out["notices"] == count, out
    with CaptureQueriesContext(connection) as suspension:
        out = dun(FIRST + dt.timedelta(days=14))
    assert out["suspended"] == count, out
    return len(reminder) / count, len(suspension) / count


def throughput(count: int) -> dict:
    """Seconds and accounts per second of the reminder day, the suspension day, and a repeat of
    the suspension day (which takes no step again)."""
    populate(count)
    out = {}
    for name, days in (("reminder", 1), ("suspension", 14), ("repeat", 14)):
        started = time.perf_counter()
        result = dun(FIRST + dt.timedelta(days=days))
        seconds = time.perf_counter() - started
        out[name] = (seconds, count / seconds, result)
    assert out["reminder"][2]["notices"] == count
    assert out["suspension"][2]["suspended"] == count
    assert out["repeat"][2]["notices"] == 0
    assert out["repeat"][2]["suspended"] == 0
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="past-due accounts")
    parser.add_argument("--database-url", default=None, help="database (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    _setup_django(args.database_url)
    from django.db import connection

    small = max(1, min(500, args.accounts // 4))
    rows = [(size, *queries(size)) for size in (small, small * 4)]
    result = throughput(args.accounts)
    print(f"database: {connection.vendor}")
    print(f"{'accounts':>10} {'queries/account (day 1)':>24} {'queries/account (day 14)':>25}")
    for size, reminder, suspension in rows:
        print(f"{size:>10} {reminder:>24.4f} {suspension:>25.4f}")
    print()
    print(f"{'accounts':>10} {'day':>12} {'seconds':>9} {'accounts/s':>11}")
    for name, (seconds, rate, _) in result.items():
        print(f"{args.accounts:>10} {name:>12} {seconds:>9.2f} {rate:>11.0f}")
    _reset()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
