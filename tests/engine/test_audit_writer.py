"""Batches that changed nothing: their audit records go through the process's audit writer, many
batches to one transaction; what changed anything commits its records itself (docs/engine.md).

These tests run with real commits (``transaction=True``): inside a test case's transaction every
batch writes its records itself. The writer serves SQLite (whose backend tells what a transaction
changed); on PostgreSQL every batch commits its records itself, which the tests that run on both
check instead.
"""

from __future__ import annotations

import os
import threading
from unittest import mock

import pytest
from django.db import OperationalError, connections

from hosting.models import CustomerRecord
from portal.engine import Batch, latest_committed, run
from portal.engine import audit_writer as writer_module
from portal.engine.core import CallContext, audit_writer
from portal.engine.journal import CommitLost
from portal.models import AuditRecord
from tests.conftest import ALPINE, DC
from tests.engine import procedures  # noqa: F401 - registers the test procedures

pytestmark = pytest.mark.django_db(transaction=True)

#: whether the database's batches use the audit writer (SQLite)
WRITER = connections["default"].vendor == "sqlite"
sqlite_only = pytest.mark.skipif(
    not WRITER, reason="the audit writer serves SQLite; PostgreSQL commits each batch's records"
)

READ = "Managed Hosting::GetOrgType"
ENABLE = "MPS Import::EnableCustomerForPlans"


def _read(who) -> dict:
    return run(who, READ, {"path": f"LDAP://{ALPINE}", "preferredDomainController": DC}, door="t")


def _reader(who, errors: list[BaseException]):
    """A read for a thread of its own: what it raises is kept in ``errors``, and its database
    connections are closed when it ends."""

    def read() -> None:
        try:
            _read(who)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    return read


def _queued_behind_a_held_commit(who, count: int, *, later=None, then=None):
    """One read leads and is held in its first commit until ``count`` more reads wait for the
    writer; then all go on. ``later(number)`` runs before each later commit (number 2 onwards) and
    may raise to fail it; ``then()`` runs once the reads have ended, the commits still watched.
    Answers the size of each commit's group and what the reads raised."""
    holding, release = threading.Event(), threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []
    real = writer_module.AuditWriter._commit

    def commit(writer, group):
        seen.append(len(group))
        if len(seen) == 1:
            holding.set()
            release.wait(30)
        elif later is not None:
            later(len(seen))
        return real(writer, group)

    read = _reader(who, errors)
    with mock.patch.object(writer_module.AuditWriter, "_commit", commit):
        first = threading.Thread(target=read)
        first.start()
        assert holding.wait(30)
        others = [threading.Thread(target=read) for _ in range(count)]
        for thread in others:
            thread.start()
        for _ in range(300):  # until all of them wait for the writer
            if audit_writer.waiting() == count:
                break
            threading.Event().wait(0.05)
        release.set()
        for thread in [first, *others]:
            thread.join(60)
        if then is not None:
            then()
    return seen, errors


@pytest.fixture
def groups():
    """The audit writer's transactions, as the groups of batch ids each committed (a spy around the
    real commit)."""
    seen: list[list] = []
    real = writer_module.AuditWriter._commit

    def commit(writer, group):
        seen.append([pending.batch.id for pending in group])
        return real(writer, group)

    with mock.patch.object(writer_module.AuditWriter, "_commit", commit):
        yield seen


def test_a_read_is_audited_through_the_writer(caller, groups):
    who = caller("cm-admin")
    assert _read(who)["organizationType"] == "Customer"
    record = AuditRecord.objects.get(procedure="GetOrgType")
    assert record.status == "succeeded" and record.caller == "cm-admin"
    assert groups == ([[record.batch]] if WRITER else [])


def test_a_write_commits_its_own_records_with_its_change(caller, groups):
    who = caller("cm-admin")
    run(who, ENABLE, {"path": f"LDAP://{ALPINE}", "preferredDomainController": DC}, door="t")
    assert CustomerRecord.objects.filter(name="AlpineSkiHouse").exists()
    assert AuditRecord.objects.filter(procedure="EnableCustomerForPlans", status="succeeded").count() == 1
    assert groups == []  # the first registration wrote a row: its records went with it


def test_a_repeated_registration_takes_no_lock_and_is_audited_through_the_writer(caller, groups):
    who = caller("cm-admin")
    data = {"path": f"LDAP://{ALPINE}", "preferredDomainController": DC}
    first = run(who, ENABLE, data, door="t")
    with mock.patch("customers.procedures.plans.reserve") as reserve:
        again = run(who, ENABLE, data, door="t")
    assert again == first
    reserve.assert_not_called()
    assert CustomerRecord.objects.filter(name="AlpineSkiHouse").count() == 1
    mine = AuditRecord.objects.filter(procedure="EnableCustomerForPlans").order_by("id")
    batches = list(mine.values_list("batch", flat=True))
    assert len(batches) == 2 and groups == ([[batches[1]]] if WRITER else [])
    nested = AuditRecord.objects.filter(batch=batches[1]).exclude(parent=None)
    assert sorted(nested.values_list("procedure", flat=True)) == ["CreateCustomerRecord_", "GetOrgType"]
    # the writer gave the keys itself: each nested record points at its own batch's outer call
    outer = AuditRecord.objects.get(batch=batches[1], parent=None)
    assert outer.procedure == "EnableCustomerForPlans"
    assert {record.parent_id for record in nested} == {outer.id}


@sqlite_only
def test_batches_waiting_together_share_one_transaction(caller):
    """The writer is held in its first transaction until nineteen more reads wait; they then go in
    together, and every read has its record."""
    seen, errors = _queued_behind_a_held_commit(caller("cm-admin"), 19)
    assert errors == []
    assert seen == [1, 19]
    assert AuditRecord.objects.filter(procedure="GetOrgType", status="succeeded").count() == 20


@sqlite_only
def test_a_failed_group_fails_each_of_its_batches_and_the_lead_goes_on(caller):
    """The database refuses the transaction of a group of five waiting reads: each of the five
    fails (503) with its record written apart, the lead passes on, and the next read is
    committed as usual."""
    who = caller("cm-admin")

    def later(number: int) -> None:
        if number == 2:
            raise OperationalError("disk I/O error")

    def then() -> None:
        assert not audit_writer._leading and audit_writer.waiting() == 0
        _read(who)  # the writer goes on

    seen, errors = _queued_behind_a_held_commit(who, 5, later=later, then=then)
    assert seen == [1, 5, 1]
    assert [type(exc).__name__ for exc in errors] == ["CommitLost"] * 5
    assert all(exc.status == 503 for exc in errors)
    records = AuditRecord.objects.filter(procedure="GetOrgType")
    assert records.filter(status="succeeded").count() == 2
    assert records.filter(status="rolled back").count() == 5


@sqlite_only
def test_when_the_writer_cannot_commit_the_call_fails_and_keeps_its_record(caller):
    who = caller("cm-admin")

    def broken(writer, group):
        raise OperationalError("disk I/O error")

    with (
        mock.patch.object(writer_module.AuditWriter, "_commit", broken),
        pytest.raises(CommitLost, match="nothing was changed") as refused,
    ):
        _read(who)
    assert refused.value.status == 503
    record = AuditRecord.objects.get(procedure="GetOrgType")  # written apart, after the failure
    assert record.status == "rolled back"


@sqlite_only
def test_the_mps_door_answers_the_writers_failure_in_its_own_shape(mps):
    body = f"""<request><procedure><execute namespace="Managed Hosting" procedure="GetOrgType">
      <executeData><path>LDAP://{ALPINE}</path><preferredDomainController>{DC}</preferredDomainController>
      </executeData></execute></procedure></request>"""
    assert mps(body, "cm-admin").status_code == 200

    def broken(writer, group):
        raise OperationalError("disk I/O error")

    with mock.patch.object(writer_module.AuditWriter, "_commit", broken):
        response = mps(body, "cm-admin")
    assert response.status_code == 503
    assert b"errorContext" in response.content and b"0x800704D5" in response.content


@sqlite_only
def test_reads_in_latest_committed_go_before_the_begin_and_take_no_lock(caller):
    connection = connections["default"]
    with Batch(caller("cm-admin"), "t") as batch:
        batch.call("Engine Test::Echo", {"text": "x"})  # a call that may write: the transaction is open
        with latest_committed():
            assert CustomerRecord.objects.count() == 0
        assert not connection.connection.in_transaction  # the BEGIN is still due
        assert not connection.transaction_changed()
        assert CustomerRecord.objects.count() == 0  # the batch's own read sends it
        assert connection.connection.in_transaction
        assert not connection.transaction_changed()


@sqlite_only
def test_a_transaction_that_changed_nothing_commits_without_flushing_the_log(caller):
    connection = connections["default"]
    who = caller("cm-admin")
    assert connection._flush_each  # the test database is in write-ahead-log mode, as the portal's
    with mock.patch.object(type(connection), "_flush_log", autospec=True) as flush:
        _read(who)  # the batch's transaction sent nothing; the audit writer's inserted the record
    assert flush.call_count == 1


def test_a_forked_process_starts_with_nothing_waiting_and_no_leader():
    """A child process (gunicorn and Celery fork theirs) does not wait for its parent's leader."""
    with audit_writer._guard:
        audit_writer._leading = True  # as while a thread of the parent writes
        pid = os.fork()
        if pid == 0:  # the child: the guard is free, nobody leads, nothing waits
            free = audit_writer._guard.acquire(timeout=5)
            if free:
                audit_writer._guard.release()
            os._exit(0 if free and not audit_writer._leading and audit_writer.waiting() == 0 else 1)
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        with audit_writer._guard:
            audit_writer._leading = False
    assert os.waitstatus_to_exitcode(status) == 0


@sqlite_only
def test_a_batch_that_leads_writes_its_own_records_in_its_own_thread(caller, groups):
    """No thread of the writer's own: the batch that finds no transaction running commits."""
    threads: list[str] = []
    real = writer_module.AuditWriter._commit

    def commit(writer, group):
        threads.append(threading.current_thread().name)
        return real(writer, group)

    with mock.patch.object(writer_module.AuditWriter, "_commit", commit):
        _read(caller("cm-admin"))
    assert threads == [threading.current_thread().name]
    assert not audit_writer._leading and audit_writer.waiting() == 0


@sqlite_only
def test_a_batch_that_waited_too_long_is_taken_out_and_fails(caller, monkeypatch):
    """A batch whose records no transaction took in time is taken out of the queue (never written
    later) and fails; the leader then goes on with the others."""
    who = caller("cm-admin")
    holding, release = threading.Event(), threading.Event()
    real = writer_module.AuditWriter._commit

    def commit(writer, group):
        if not holding.is_set():
            holding.set()
            release.wait(30)
        return real(writer, group)

    errors: list[BaseException] = []
    read = _reader(who, errors)

    monkeypatch.setattr(writer_module, "WAIT_SECONDS", 0.5)
    with mock.patch.object(writer_module.AuditWriter, "_commit", commit):
        first = threading.Thread(target=read)
        first.start()
        assert holding.wait(30)
        late = threading.Thread(target=read)
        late.start()
        late.join(30)  # gave up waiting while the first still wrote
        assert audit_writer.waiting() == 0
        release.set()
        first.join(30)
    assert [type(exc).__name__ for exc in errors] == ["CommitLost"]
    assert not audit_writer._leading
    records = AuditRecord.objects.filter(procedure="GetOrgType")
    # the first read's record, and the late one's written apart as rolled back: once each
    assert sorted(records.values_list("status", flat=True)) == ["rolled back", "succeeded"]


@sqlite_only
def test_a_batch_running_alone_does_not_wait_for_others(caller, settings):
    settings.PORTAL_AUDIT_GROUP_WAIT_MS = 10_000  # a wait would show
    with mock.patch.object(audit_writer._arrived, "wait", side_effect=AssertionError("waited")) as wait:
        _read(caller("cm-admin"))
    wait.assert_not_called()
    assert AuditRecord.objects.filter(procedure="GetOrgType", status="succeeded").count() == 1


@sqlite_only
def test_a_leader_waits_for_the_batches_still_running_then_commits_them_together(caller, settings, groups):
    """A read ends while a second one still runs: its records wait for the second's (at most the
    configured time), and both go in one transaction."""
    settings.PORTAL_AUDIT_GROUP_WAIT_MS = 10_000
    who = caller("cm-admin")
    inside, go_on = threading.Event(), threading.Event()
    real = CallContext.mirror
    errors: list[BaseException] = []

    def mirror(ctx):
        if threading.current_thread().name == "second":
            inside.set()
            go_on.wait(30)
        return real(ctx)

    read = _reader(who, errors)
    with mock.patch.object(CallContext, "mirror", mirror):
        second = threading.Thread(target=read, name="second")
        second.start()
        assert inside.wait(30)  # the second read runs, held before its answer
        first = threading.Thread(target=read, name="first")
        first.start()
        for _ in range(300):  # the first has ended and waits for the second
            if audit_writer.waiting() == 1:
                break
            threading.Event().wait(0.02)
        assert audit_writer.waiting() == 1 and groups == []
        go_on.set()
        for thread in (first, second):
            thread.join(30)
    assert errors == []
    assert len(groups) == 1 and len(groups[0]) == 2


@sqlite_only
def test_a_leader_waits_no_longer_than_the_configured_time(caller, settings):
    """A batch that does not come (here: one that never ends) costs the others the wait, once."""
    import time
    import uuid

    from portal.engine.journal import running_add, running_remove

    settings.PORTAL_AUDIT_GROUP_WAIT_MS = 300
    stuck = uuid.uuid4()
    running_add(stuck)
    try:
        started = time.monotonic()
        _read(caller("cm-admin"))
        took = time.monotonic() - started
    finally:
        running_remove(stuck)
    assert 0.3 <= took < 5
    assert AuditRecord.objects.filter(procedure="GetOrgType", status="succeeded").count() == 1
