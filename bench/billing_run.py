"""Benchmark of a bill run: invoices per second, peak memory, and queries per account.

    python bench/billing_run.py                     # 100,000 user packages on a temporary SQLite file
    python bench/billing_run.py --accounts 5000     # smaller
    python bench/billing_run.py --database-url postgres://postgres@127.0.0.1:5432/bench

Each account holds one user package of a package with one service, one default optional service
and a discount, so each invoice has two lines. ``Billing::RunBillCycle`` runs through the engine.
Queries are counted at two small sizes to show that they do not grow with the number of accounts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIRST = dt.date(2026, 1, 1)


def _setup_django(database_url: str | None) -> None:
    os.environ.setdefault("PORTAL_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        path = Path(tempfile.mkdtemp(prefix="billing-bench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django
    from django.core.management import call_command

    django.setup()
    from bench.common import migrate_databases

    migrate_databases(call_command)


def _reset() -> None:
    from billing.models import (
        BillingAccount,
        BillRun,
        Invoice,
        InvoiceLine,
        Package,
        PackageOptionalService,
        Service,
        ServiceDiscount,
        UserPackage,
    )

    for model in (
        InvoiceLine,
        Invoice,
        BillRun,
        ServiceDiscount,
        UserPackage,
        BillingAccount,
        PackageOptionalService,
        Package,
        Service,
    ):
        model.objects.all().delete()


def populate(count: int) -> None:
    """``count`` accounts with one due user package each (bulk inserts: this is the fixture)."""
    from django.db import transaction

    from billing.models import (
        BillingAccount,
        Package,
        PackageOptionalService,
        Service,
        ServiceDiscount,
        UserPackage,
    )

    _reset()
    with transaction.atomic():
        mailbox = Service.objects.create(name="Mailbox", price=Decimal("4.00"))
        archiving = Service.objects.create(name="Archiving", price=Decimal("2.50"))
        package = Package.objects.create(name="Hosted Email Business")
        package.services.add(mailbox)
        PackageOptionalService.objects.create(package=package, service=archiving, default_on=True)
        accounts = BillingAccount.objects.bulk_create(
            [BillingAccount(username=f"bench{n:07d}", currency="USD") for n in range(count)], batch_size=2000
        )
        ups = UserPackage.objects.bulk_create(
            [
                UserPackage(account=a, package=package, start_date=FIRST, next_bill_date=FIRST, bill_day=1)
                for a in accounts
            ],
            batch_size=2000,
        )
        through = UserPackage.optional_services.through
        through.objects.bulk_create(
            [through(userpackage_id=up.pk, service_id=archiving.pk) for up in ups], batch_size=2000
        )
        ServiceDiscount.objects.bulk_create(
            [
                ServiceDiscount(
                    user_package=up,
                    service=mailbox,
                    discount_type="Percent",
                    amount=Decimal("10"),
                    occurrences=3,
                )
                for up in ups
            ],
            batch_size=2000,
        )


def bill(run_date: dt.date) -> dict:
    """One ``Billing::RunBillCycle`` through the engine, as the portal's service identity."""
    from portal.engine import Caller, run

    return run(Caller.service(), "Billing::RunBillCycle", {"date": run_date.isoformat()}, door="command")


def queries_per_account(count: int) -> tuple[int, float]:
    """Queries of a bill run over ``count`` accounts, and per account."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    populate(count)
    with CaptureQueriesContext(connection) as captured:
        out = bill(FIRST)
    assert out["invoices"] == count, out
    return len(captured), len(captured) / count


def throughput(count: int) -> dict:
    """Seconds and invoices per second of a run over ``count`` accounts, then the peak memory of a
    second run (the next month) under tracemalloc."""
    populate(count)
    started = time.perf_counter()
    out = bill(FIRST)
    seconds = time.perf_counter() - started
    assert out["invoices"] == count, out
    tracemalloc.start()
    second = bill(dt.date(2026, 2, 1))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert second["invoices"] == count, second
    again = bill(dt.date(2026, 2, 1))
    assert again["invoices"] == 0, again  # idempotent
    return {
        "seconds": seconds,
        "per_second": count / seconds,
        "peak_mib": peak / 2**20,
        "lines": out["lines"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="user packages (one per account)")
    parser.add_argument("--database-url", default=None, help="database (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    _setup_django(args.database_url)
    from django.db import connection

    small = max(1, min(500, args.accounts // 4))
    sizes = [small, small * 4]
    rows = []
    for size in sizes:
        queries, per = queries_per_account(size)
        rows.append((size, queries, per))
    result = throughput(args.accounts)
    print(f"database: {connection.vendor}")
    print(f"{'accounts':>10} {'queries':>8} {'queries/account':>16}")
    for size, queries, per in rows:
        print(f"{size:>10} {queries:>8} {per:>16.4f}")
    print()
    print(f"{'user packages':>14} {'lines':>9} {'seconds':>9} {'invoices/s':>11} {'peak MiB':>9}")
    print(
        f"{args.accounts:>14} {result['lines']:>9} {result['seconds']:>9.2f} {result['per_second']:>11.0f} "
        f"{result['peak_mib']:>9.1f}"
    )
    _reset()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
