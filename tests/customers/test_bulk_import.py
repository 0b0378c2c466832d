"""Bulk import of users (customers.bulk.users_import, manage.py import_users)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from customers.bulk import users_import
from hosting.models import CustomerRecord
from portal.errors import InvalidArgument
from tests.conftest import ALPINE, CM, NORTHWIND
from tests.customers.conftest import STRONG

pytestmark = pytest.mark.django_db

HEADER = "container,sAMAccountName,userPrincipalName,newPassword,mail,customerTypeName\n"
GOOD_AND_BAD = (
    HEADER
    + f'"LDAP://{ALPINE}",Ann Lee,ann@alpineskihouse.com,{STRONG},ann@alpineskihouse.com,BusinessUser\n'
    + f'"LDAP://{ALPINE}",Weak Pass,weak@alpineskihouse.com,password,,BusinessUser\n'
    + f'"LDAP://{NORTHWIND}",Far Away,far@northwind.com,{STRONG},,\n'
    + f'"LDAP://{ALPINE}",Con Sumer,consumer@alpineskihouse.com,{STRONG},,ConsumerUser\n'
    + f'"LDAP://{ALPINE}",Odd Type,odd@alpineskihouse.com,{STRONG},,Reseller\n'
    + f'"LDAP://{ALPINE}",No Upn,,{STRONG},,\n'
    + f'"LDAP://{CM}",Plain User,plain@consolidatedmessenger.com,{STRONG},,\n'
)


def outcome(result) -> dict[int, tuple[str, str]]:
    return {row.line: (row.status, row.message) for row in result.rows()}


def test_bad_rows_reported_by_line_and_good_rows_created(caller, read):
    result = users_import(io.StringIO(GOOD_AND_BAD), caller=caller("cm-admin"))
    rows = outcome(result)
    assert (result.created, result.exists, result.failed) == (3, 0, 4)
    assert rows[2][0] == "created"
    assert rows[3] == ("failed", rows[3][1]) and "too simple" in rows[3][1]
    assert "outside the scope of cm-admin" in rows[4][1]
    assert rows[5][0] == "created"
    assert "BusinessUser, ConsumerUser or empty" in rows[6][1]
    assert rows[7] == ("failed", "Missing userPrincipalName.")
    assert rows[8][0] == "created"
    assert read(f"CN=ann@alpineskihouse.com,{ALPINE}")["mail"] == ["ann@alpineskihouse.com"]
    assert read(f"CN=weak@alpineskihouse.com,{ALPINE}") is None
    assert CustomerRecord.objects.get(name="consumer@alpineskihouse.com").customer_type == "ConsumerUser"
    assert CustomerRecord.objects.get(name="ann@alpineskihouse.com").customer_type == "BusinessUser"
    assert not CustomerRecord.objects.filter(name="plain@consolidatedmessenger.com").exists()
    assert authenticate(None, username="ann@alpineskihouse.com", password=STRONG) is not None


def test_running_the_same_file_twice_creates_nothing_twice(caller):
    first = users_import(io.StringIO(GOOD_AND_BAD), caller=caller("cm-admin"))
    records = CustomerRecord.objects.count()
    second = users_import(io.StringIO(GOOD_AND_BAD), caller=caller("cm-admin"))
    assert (second.created, second.exists, second.failed) == (0, first.created, first.failed)
    assert CustomerRecord.objects.count() == records
    assert outcome(second)[2] == ("exists", "The user already exists as described.")


def test_same_name_with_other_details_is_a_failure_not_exists(caller):
    users_import(io.StringIO(GOOD_AND_BAD), caller=caller("cm-admin"))
    changed = HEADER + f'"LDAP://{ALPINE}",Ann Lee,ann.other@alpineskihouse.com,{STRONG},,BusinessUser\n'
    result = users_import(io.StringIO(changed), caller=caller("cm-admin"))
    assert result.failed == 1
    assert "already logs in as" in next(result.rows()).message


def test_wrong_header_refuses_the_whole_file(caller):
    with pytest.raises(InvalidArgument, match="missing: container, newPassword"):
        users_import(io.StringIO("organization,name,userPrincipalName\nx,y,z\n"), caller=caller("cm-admin"))


def test_ldif_file_imported_with_line_numbers(caller, read, tmp_path):
    path = tmp_path / "users.ldif"
    path.write_text(
        "version: 1\n\n"
        f"dn: CN=Lee Ann,{ALPINE}\n"
        "objectClass: inetOrgPerson\n"
        "userPrincipalName: lee.ann@alpineskihouse.com\n"
        f"userPassword: {STRONG}\n"
        "sn: Ann\n"
        "customerTypeName: BusinessUser\n\n"
        f"dn: CN=Hashed,{ALPINE}\n"
        "userPrincipalName: hashed@alpineskihouse.com\n"
        "userPassword: {SSHA}CB/zjQPja65WAzdcBJwWosqCkywb7JVau5Q4UA==\n\n"
        f"dn: OU=NotAUser,{ALPINE}\n"
        "ou: NotAUser\n",
        encoding="utf-8",
    )
    result = users_import(path, caller=caller("alpine-admin"))
    rows = outcome(result)
    assert rows[3][0] == "created"
    assert rows[10] == ("failed", "userPassword must be the clear-text password, not a hash.")
    assert rows[14] == ("failed", "A user's DN must start with CN=<name>.")
    entry = read(f"CN=lee.ann@alpineskihouse.com,{ALPINE}")
    assert entry["sn"] == ["Ann"]
    assert CustomerRecord.objects.get(name="lee.ann@alpineskihouse.com").customer_type == "BusinessUser"


def test_progress_is_reported_for_every_row(caller):
    seen = []
    users_import(
        io.StringIO(GOOD_AND_BAD), caller=caller("cm-admin"), progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(n, 7) for n in range(1, 8)]


def test_result_downloads_as_csv(caller):
    result = users_import(io.StringIO(GOOD_AND_BAD), caller=caller("cm-admin"))
    text = "".join(result.csv_chunks())
    assert text.splitlines()[0] == "line,organization,name,userPrincipalName,status,message"
    assert len(text.splitlines()) == 8
    assert STRONG not in text


@pytest.mark.django_db(transaction=True)
def test_management_command_runs_the_import_as_a_job_and_reports(login, tmp_path, read):
    from portal.models import Job

    login("cm-admin")
    source = tmp_path / "users.csv"
    source.write_text(GOOD_AND_BAD, encoding="utf-8")
    report = tmp_path / "report.csv"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="4 row"):
        call_command(
            "import_users", str(source), "--as", "cm-admin", "--report", str(report), stdout=out, stderr=err
        )
    assert "3 created, 0 already there, 4 failed (7 rows)." in out.getvalue()
    assert "line 3: weak@alpineskihouse.com: " in err.getvalue()
    assert "7/7 rows" in err.getvalue()  # the progress bar
    job = Job.objects.get()
    assert (job.kind, job.title, job.status) == (
        "users-import",
        "Import of users.csv",
        Job.Status.PARTLY_FAILED,
    )
    assert job.error == "4 of 7 rows failed: see the rows marked failed; the others were done."
    assert f"/jobs/{job.pk}/" in err.getvalue()
    assert job.created_by.username == "cm-admin"
    assert job.items.count() == 7
    lines = report.read_text().splitlines()
    assert lines[0] == "line,status,subject,message"
    assert lines[1] == "2,created,ann@alpineskihouse.com,"
    assert len(lines) == 8
    assert read(f"CN=plain@consolidatedmessenger.com,{CM}") is not None
    assert source.exists()  # the job works on its own copy and leaves the given file alone


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_every_row_failed_is_a_failed_job_that_still_reports_its_rows(login, tmp_path):
    from portal.models import Job

    login("cm-admin")
    source = tmp_path / "users.csv"
    source.write_text(
        HEADER + f'"LDAP://{ALPINE}",Weak Pass,weak@alpineskihouse.com,password,,BusinessUser\n',
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 row"):
        call_command("import_users", str(source), "--as", "cm-admin", stdout=out, stderr=err)
    assert "0 created, 0 already there, 1 failed (1 rows)." in out.getvalue()
    assert "line 2: weak@alpineskihouse.com: " in err.getvalue()
    job = Job.objects.get()
    assert (job.status, job.summary["Failed"]) == (Job.Status.FAILED, 1)
    assert job.error == "Every row failed (1 of 1): see the rows marked failed."


@pytest.mark.django_db(transaction=True)
def test_management_command_can_queue_the_job_and_return(login, tmp_path):
    from portal.jobs import jobs_wait
    from portal.models import Job

    login("alpine-admin")
    source = tmp_path / "users.csv"
    source.write_text(
        HEADER + f'"LDAP://{ALPINE}",Ann Lee,ann@alpineskihouse.com,{STRONG},,\n', encoding="utf-8"
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("import_users", str(source), "--as", "alpine-admin", "--no-wait", stdout=out, stderr=err)
    assert "/jobs/" in err.getvalue()
    jobs_wait()
    job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED
    assert job.summary["Created"] == 1


def test_management_command_names_a_missing_file(login, tmp_path):
    login("cm-admin")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_users", str(tmp_path / "nothing.csv"), "--as", "cm-admin")


def test_management_command_refuses_an_unknown_account(tmp_path, slapd):
    source = tmp_path / "users.csv"
    source.write_text(HEADER, encoding="utf-8")
    with pytest.raises(CommandError, match="No active portal account"):
        call_command("import_users", str(source), "--as", "nobody")


def test_rerun_adds_a_missing_plans_record_and_reports_exists(caller, call):
    # an earlier, interrupted import left the directory entry without its record
    call(
        "alpine-admin",
        "Managed Active Directory::CreateUser",
        {
            "container": f"LDAP://{ALPINE}",
            "sAMAccountName": "Ann Lee",
            "userPrincipalName": "ann@alpineskihouse.com",
            "newPassword": STRONG,
            "properties": {"property": {"@name": "mail", "value": "ann@alpineskihouse.com"}},
        },
    )
    assert not CustomerRecord.objects.filter(name="ann@alpineskihouse.com").exists()
    result = users_import(io.StringIO(GOOD_AND_BAD), caller=caller("cm-admin"))
    assert outcome(result)[2] == (
        "exists",
        "The user already exists as described; its Plans database record was added.",
    )
    assert CustomerRecord.objects.get(name="ann@alpineskihouse.com").customer_type == "BusinessUser"


@pytest.mark.django_db(transaction=True)
def test_import_outside_a_transaction_commits_each_row_and_restores_full_sync(caller):
    from django.db import connection

    result = users_import(io.StringIO(GOOD_AND_BAD), caller=caller("cm-admin"))
    assert result.created == 3
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL again
        else:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"  # the server's default again
    assert (
        CustomerRecord.objects.filter(
            name__in=["ann@alpineskihouse.com", "consumer@alpineskihouse.com"]
        ).count()
        == 2
    )
