"""A batch opens its database transaction when its first call that may write begins; a batch of
read procedures only opens none (docs/engine.md, "Reads"). These tests run with real commits
(``transaction=True``): inside a test case's transaction every batch is a savepoint of it, opened
at once."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connections

from hosting.models import CustomerRecord
from portal.engine import Batch, run
from portal.errors import Conflict
from portal.models import AuditRecord
from tests.conftest import ALPINE, DC
from tests.engine import procedures  # noqa: F401 - registers the test procedures

pytestmark = pytest.mark.django_db(transaction=True)
STATE = "Engine Test::GetState"
ADD = "Engine Test::AddOrganization"
sqlite_only = pytest.mark.skipif(
    connections["default"].vendor != "sqlite", reason="SQLite's write lock and its lazy BEGIN"
)


def _started(work, errors: list[BaseException]) -> threading.Thread:
    """``work`` in a thread of its own, started: what it raises is kept in ``errors``, and its
    database connections are closed when it ends."""

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _statuses() -> list[tuple[str, str]]:
    return list(AuditRecord.objects.order_by("id").values_list("procedure", "status"))


def test_a_batch_of_reads_opens_no_transaction_and_still_records_each_call(caller):
    with Batch(caller("cm-admin"), "test") as batch:
        first = batch.call(STATE, {"count": "1"})
        second = batch.call(STATE, {})
        assert not batch.writing
    assert first == {"inTransaction": False, "writing": False, "records": 0}
    assert second == {"inTransaction": False, "writing": False}
    assert not connections["default"].in_atomic_block
    assert _statuses() == [("GetState", "succeeded"), ("GetState", "succeeded")]


def test_the_first_call_that_may_write_opens_the_transaction_and_commits_it(caller, gateway):
    with Batch(caller("cm-admin"), "test") as batch:
        before = batch.call(STATE, {})
        batch.call(ADD, {"organization": ALPINE, "name": "Lazy", "preferredDomainController": DC})
        after = batch.call(STATE, {"count": "1"})
    assert before["inTransaction"] is False
    assert after == {"inTransaction": True, "writing": True, "records": 1}
    assert gateway.get(f"OU=Lazy,{ALPINE}") is not None
    assert CustomerRecord.objects.filter(name="Lazy").count() == 1
    assert _statuses() == [
        ("GetState", "succeeded"),
        ("AddOrganization", "succeeded"),
        ("GetState", "succeeded"),
    ]


def test_a_write_after_reads_that_fails_undoes_everything_and_records_the_reads_as_rolled_back(
    caller, gateway
):
    with pytest.raises(Conflict), Batch(caller("cm-admin"), "test") as batch:
        batch.call(STATE, {})
        batch.call(
            "Engine Test::AddThenFail",
            {"organization": ALPINE, "name": "Undone", "preferredDomainController": DC},
        )
    assert gateway.get(f"OU=Undone,{ALPINE}") is None
    assert not CustomerRecord.objects.exists()
    assert not connections["default"].in_atomic_block
    assert _statuses() == [
        ("GetState", "rolled back"),
        ("AddThenFail", "failed"),
        ("AddOrganization", "rolled back"),
        ("Fail", "failed"),
    ]


def test_a_read_that_nests_a_write_runs_the_write_in_the_transaction(caller, gateway):
    arguments = {"organization": ALPINE, "preferredDomainController": DC}
    with Batch(caller("cm-admin"), "test") as batch:
        kept = batch.call("Engine Test::GetAfterAdding", {**arguments, "name": "Kept"})
    assert kept["inTransaction"] is True
    assert CustomerRecord.objects.filter(name="Kept").count() == 1
    with pytest.raises(Conflict), Batch(caller("cm-admin"), "test") as batch:
        batch.call("Engine Test::GetAfterAdding", {**arguments, "name": "Refused", "fail": "1"})
    assert gateway.get(f"OU=Refused,{ALPINE}") is None
    assert not CustomerRecord.objects.filter(name="Refused").exists()
    assert gateway.get(f"OU=Kept,{ALPINE}") is not None


@sqlite_only
def test_a_read_of_the_database_does_not_wait_for_a_batch_holding_the_write_lock(caller):
    """On SQLite a transaction's first statement takes the write lock's turn: a batch of reads
    that opened one would wait behind every write of the server."""
    who = caller("cm-admin")
    holding, release, read_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []
    seen: dict = {}

    def write() -> None:
        with Batch(who, "test") as batch:
            batch.call(ADD, {"organization": ALPINE, "name": "Holder", "preferredDomainController": DC})
            holding.set()  # its INSERT took the write lock, held until the batch ends
            release.wait(30)

    def read() -> None:
        with Batch(who, "test") as batch:
            seen.update(batch.call(STATE, {"count": "1"}))
            read_done.set()  # before the batch's end, whose audit record waits for the lock

    writing = _started(write, errors)
    try:
        assert holding.wait(30)
        reading = _started(read, errors)
        assert read_done.wait(3), "the read waited for the write lock"
        assert seen == {"inTransaction": False, "writing": False, "records": 0}  # the latest committed rows
    finally:
        release.set()
        writing.join(30)
    reading.join(30)
    assert errors == []
    assert CustomerRecord.objects.filter(name="Holder").count() == 1


def test_a_billing_read_locks_no_row_outside_a_transaction(caller):
    """Billing reads find their account as the writes do, without the writes' row lock (which
    PostgreSQL refuses outside a transaction)."""
    call_command("load_demo", stdout=io.StringIO())
    found = run(caller("administrator"), "Billing::GetInvoices", {"username": "northwind"}, door="api")
    due = run(caller("administrator"), "Billing::GetUserBalanceDue", {"username": "northwind"}, door="api")
    assert due["username"] == "northwind" and "balanceDue" in due
    assert isinstance(found, dict)
    assert list(AuditRecord.objects.filter(door="api").order_by("id").values_list("procedure", "status")) == [
        ("GetInvoices", "succeeded"),
        ("GetUserBalanceDue", "succeeded"),
    ]
