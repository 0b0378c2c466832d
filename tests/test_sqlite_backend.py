"""The portal's SQLite backend (``portal/db/sqlite3/base.py``): transactions that begin at their
first statement, the write lock taken in turns, the log flushed after each commit that changed
something, and the transactions apart that the audit writer sends to SQLite itself.

With real commits (``transaction=True``), on the SQLite database the suite runs on; skipped on
PostgreSQL, where none of this applies.
"""

from __future__ import annotations

import os
import threading
from unittest import mock

import pytest
from django.db import DatabaseError, connections, transaction
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX
from django.db.transaction import TransactionManagementError

from portal.db.sqlite3 import base as backend

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connections["default"].vendor != "sqlite", reason="the portal's own SQLite backend only"
    ),
]

TABLE = "test_backend_rows"


@pytest.fixture(autouse=True)
def rows_table():
    """A table of the tests' own (its name and its rows are nobody else's)."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (domain TEXT NOT NULL, name TEXT NOT NULL)")
    yield
    with connections["default"].cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")


def _count(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
        return cursor.fetchone()[0]


def _insert(cursor, domain: str) -> None:
    cursor.execute(f"INSERT INTO {TABLE} (domain, name) VALUES (?, ?)", [domain, domain])


def test_a_transaction_apart_commits_and_flushes_the_log_once():
    connection = connections["default"]
    before = _count(connection)
    with mock.patch.object(type(connection), "_flush_log", autospec=True) as flush:
        answer = connection.transaction_apart(lambda cursor: _insert(cursor, "apart.example") or 42)
    assert answer == 42
    assert _count(connection) == before + 1
    assert flush.call_count == 1
    assert not connection.connection.in_transaction
    assert connection._holding is None  # the write lock is free again


def test_a_transaction_apart_that_fails_leaves_nothing_and_frees_the_lock():
    connection = connections["default"]
    before = _count(connection)

    def half(cursor) -> None:
        _insert(cursor, "half.example")
        raise RuntimeError("the work failed half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        connection.transaction_apart(half)
    assert _count(connection) == before
    assert not connection.connection.in_transaction and connection._holding is None
    # a statement SQLite refuses is Django's database error, as from a Django cursor
    with pytest.raises(DatabaseError):
        connection.transaction_apart(lambda cursor: cursor.execute("INSERT INTO no_such_table VALUES (1)"))
    assert connection._holding is None
    # the next writer of another thread gets the lock at once
    done: list[int] = []

    def other() -> None:
        try:
            other_connection = connections["default"]
            other_connection.transaction_apart(lambda cursor: _insert(cursor, "next.example"))
            done.append(_count(other_connection))
        finally:
            connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(20)
    assert done == [before + 1]


def test_a_transaction_apart_is_refused_inside_atomic():
    connection = connections["default"]
    with transaction.atomic(), pytest.raises(TransactionManagementError):
        connection.transaction_apart(lambda cursor: None)


def test_atomic_begins_at_its_first_statement_and_a_block_without_one_takes_no_lock():
    connection = connections["default"]
    connection.ensure_connection()
    with transaction.atomic():
        assert not connection.connection.in_transaction  # BEGIN is still due
        assert connection._holding is None
    with transaction.atomic():
        _count(connection)
        assert connection.connection.in_transaction
        assert not connection.transaction_changed()
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} (domain, name) VALUES (%s, %s)", ["lazy.example", "x"])
        assert connection.transaction_changed()


def test_the_log_stays_open_between_flushes_and_closes_with_the_connection():
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (domain, name) VALUES (%s, %s)", ["one.example", "x"])
    opened = connection._log_fd
    assert opened is not None and opened[0] == os.getpid()
    assert os.path.samefile(f"/proc/self/fd/{opened[1]}", f"{connection.settings_dict['NAME']}-wal")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (domain, name) VALUES (%s, %s)", ["two.example", "x"])
    assert connection._log_fd == opened  # the same descriptor, not opened again
    connection.close()
    assert connection._log_fd is None
    assert not os.path.exists(f"/proc/self/fd/{opened[1]}") or not os.path.samefile(
        f"/proc/self/fd/{opened[1]}", f"{connection.settings_dict['NAME']}-wal"
    )


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM t WHERE a = %s AND b = %s",
        "SELECT '%%' || name FROM t WHERE a = %s",
        "SELECT 1",
    ],
)
def test_a_statement_is_converted_once_as_django_converts_it(query):
    connection = connections["default"]
    with connection.cursor() as cursor:
        converted = cursor.cursor.convert_query(query)
    assert converted == FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")
    assert backend._converted[query] == converted
