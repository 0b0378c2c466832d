"""The durable journal of directory intent: idempotent undo steps against the real slapd, the
journal's rows over a batch's life, a lost COMMIT, and the recovery (docs/engine.md)."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError, connections

from hosting.models import CustomerRecord
from portal.directory import DirectorySession, MemoryUndoJournal, undo_step
from portal.engine import Batch, Caller, run
from portal.engine.journal import CommitLost, JournalUnavailable, recover
from portal.engine.models import JournalBatch, JournalChunk
from portal.errors import AccessDenied, Conflict, DirectoryError
from portal.models import AuditRecord
from tests.conftest import ALPINE, DC, JANE
from tests.engine import procedures  # noqa: F401 - registers the test procedures

pytestmark = pytest.mark.django_db

IMPORTS = "OU=Imports,DC=fabrikam,DC=com"
ADD = "Engine Test::AddOrganization"


def _data(entry):
    ignored = {
        "usnchanged",
        "whenchanged",
        "distinguishedname",
        "admincount",
        "operatorcount",
        "lastknownparent",
    }
    return {name: values for name, values in entry.attrs.items() if name not in ignored}


# --- undo steps: each runs only where the directory needs it, and twice is once ----------------------
def test_every_undo_step_is_idempotent_and_a_write_that_never_happened_is_left_alone(gateway, ldap_admin):
    jane = gateway.get(JANE)
    journal = MemoryUndoJournal()
    session = DirectorySession(gateway, journal)
    session.add(f"OU=Moving,{ALPINE}", {"objectClass": ["organizationalUnit"], "ou": "Moving"})
    session.modify(JANE, {"description": "changed", "mail": None})
    session.rename(f"OU=Moving,{ALPINE}", "OU=Moved")
    session.delete(f"OU=Moved,{ALPINE}")
    steps = list(journal.steps)
    assert [step["op"] for step in steps] == ["delete", "restore", "moveback", "readd"]
    for step in reversed(steps):  # each step twice: the second finds nothing left to do
        assert undo_step(gateway, step).startswith("undone:")
        assert undo_step(gateway, step).startswith("nothing to undo:")
    assert gateway.get(f"OU=Moving,{ALPINE}") is None and gateway.get(f"OU=Moved,{ALPINE}") is None
    assert _data(gateway.get(JANE)) == _data(jane)


def test_an_add_that_never_happened_deletes_nothing_and_a_delete_that_never_happened_adds_nothing(gateway):
    missing = {"op": "delete", "dc": DC, "dn": f"OU=Never,{ALPINE}"}
    present = {"op": "readd", "dc": DC, "dn": JANE, "attrs": {"objectclass": ["inetOrgPerson"]}}
    assert undo_step(gateway, missing).startswith("nothing to undo")
    assert undo_step(gateway, present).startswith("nothing to undo")
    assert gateway.get(JANE) is not None


def test_a_delete_step_leaves_another_entry_that_took_the_name(gateway, ldap_admin):
    session = DirectorySession(gateway, MemoryUndoJournal())
    step = {"op": "delete", "dc": DC, "dn": f"cn=Other,{IMPORTS}", "guid": str(uuid.uuid4())}
    session.add(f"cn=Other,{IMPORTS}", {"objectClass": ["inetOrgPerson"], "cn": "Other", "sn": "O"})
    assert "another entry" in undo_step(gateway, step)
    assert gateway.get(f"cn=Other,{IMPORTS}") is not None


def test_a_refused_add_withdraws_its_step_so_the_entry_that_was_there_stays(gateway):
    journal = MemoryUndoJournal()
    with pytest.raises(Conflict):
        DirectorySession(gateway, journal).add(
            JANE, {"objectClass": ["inetOrgPerson"], "cn": "Jane Smith", "sn": "S"}
        )
    assert journal.steps == []


def test_a_write_whose_answer_is_lost_keeps_its_step(gateway, ldap_admin):
    """A write the server may have carried out (the connection dropped after it was sent) stays
    journaled; its undo removes what is really there."""
    import ldap

    real = ldap.ldapobject.SimpleLDAPObject.add_ext_s

    def add_then_drop(self, dn, modlist, **kwargs):
        real(self, dn, modlist, **kwargs)
        raise ldap.SERVER_DOWN({"desc": "Can't contact LDAP server"})

    journal = MemoryUndoJournal()
    with (
        mock.patch.object(ldap.ldapobject.SimpleLDAPObject, "add_ext_s", add_then_drop),
        pytest.raises(Conflict) as exc,  # the retry finds the entry the dropped add made
    ):
        DirectorySession(gateway, journal).add(
            f"cn=Lost,{IMPORTS}", {"objectClass": ["inetOrgPerson"], "cn": "Lost", "sn": "L"}
        )
    assert exc.value.uncertain
    assert [step["op"] for step in journal.steps] == ["delete"]
    assert gateway.get(f"cn=Lost,{IMPORTS}") is not None  # it happened after all
    journal.undo()
    assert gateway.get(f"cn=Lost,{IMPORTS}") is None


# --- the journal's rows ---------------------------------------------------------------------------------
def _rows():
    return list(JournalBatch.objects.all())


def test_a_read_writes_no_journal_row(caller):
    queries = []
    with connections["journal"].execute_wrapper(
        lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)
    ):
        run(caller("administrator"), "Engine Test::Echo", {"text": "hi"}, door="test")
    assert queries == []
    assert _rows() == []


def test_each_directory_write_is_journaled_before_it_is_sent_and_the_row_goes_at_commit(caller, gateway):
    seen = []

    def look(*args, **kwargs):
        seen.append([step["op"] for chunk in JournalChunk.objects.all() for step in chunk.steps])

    from portal.directory import directory_written

    directory_written.connect(look, dispatch_uid="journal-test")
    try:
        with Batch(caller("cm-admin"), "test") as batch:
            batch.call(ADD, {"organization": ALPINE, "name": "One", "preferredDomainController": DC})
            batch.call(ADD, {"organization": ALPINE, "name": "Two", "preferredDomainController": DC})
            row = JournalBatch.objects.get()
            assert row.pk == batch.id and row.state == "open" and row.procedure == ADD
            assert JournalChunk.objects.count() == 2  # one journal write per directory write
            calls = [call["procedure"] for chunk in JournalChunk.objects.all() for call in chunk.calls]
            assert calls == ["AddOrganization", "AddOrganization"]
    finally:
        directory_written.disconnect(dispatch_uid="journal-test")
    # the step was there before the write (on AD an add may take more than one operation: the
    # first add's step is there at its every operation, both steps at the second add's)
    assert seen[0] == ["delete"] and seen[-1] == ["delete", "delete"]
    assert all(steps in (["delete"], ["delete", "delete"]) for steps in seen)
    assert seen == sorted(seen, key=len)
    assert _rows() == [] and JournalChunk.objects.count() == 0


def test_a_failed_batch_undone_leaves_no_row(caller, gateway):
    with pytest.raises(Conflict):
        run(
            caller("cm-admin"),
            "Engine Test::AddThenFail",
            {"organization": ALPINE, "name": "Temp", "preferredDomainController": DC},
            door="test",
        )
    assert gateway.get(f"OU=Temp,{ALPINE}") is None
    assert _rows() == []


def test_a_journal_that_cannot_be_written_stops_the_write_before_the_directory(caller, gateway):
    with (
        mock.patch("portal.engine.models.JournalChunk.save", side_effect=OperationalError("disk I/O error")),
        pytest.raises(JournalUnavailable),
    ):
        run(
            caller("cm-admin"),
            ADD,
            {"organization": ALPINE, "name": "Nope", "preferredDomainController": DC},
            door="t",
        )
    assert gateway.get(f"OU=Nope,{ALPINE}") is None
    assert AuditRecord.objects.get(procedure="AddOrganization").status == "failed"


def test_an_undo_the_directory_refuses_stays_for_the_recovery_which_finishes_it(
    caller, gateway, django_capture_on_commit_callbacks
):
    real = undo_step

    def unreachable(gw, step):
        raise DirectoryError(f"The domain controller {gw.name} cannot be reached (test).")

    with mock.patch("portal.engine.journal.undo_step", unreachable), pytest.raises(Conflict):
        run(
            caller("cm-admin"),
            "Engine Test::AddThenFail",
            {"organization": ALPINE, "name": "Stuck", "preferredDomainController": DC},
            door="test",
        )
    assert gateway.get(f"OU=Stuck,{ALPINE}") is not None
    row = JournalBatch.objects.get()
    assert row.state == "repair" and row.rolled_back is True and "cannot be reached" in row.last_error
    audit = AuditRecord.objects.get(procedure="AddThenFail")
    assert any(line.startswith("undo failed: delete") for line in audit.undo_log)

    with (
        mock.patch("portal.engine.journal.undo_step", real),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = run(Caller.service(), "Portal::DirectoryRecover", {}, door="test")
    assert [item["batch"] for item in report["repaired"]] == [str(row.pk)]
    assert gateway.get(f"OU=Stuck,{ALPINE}") is None
    assert CustomerRecord.objects.count() == 0
    assert JournalBatch.objects.get().state == "repaired"
    assert AuditRecord.objects.filter(batch=row.pk).count() == 3  # not written twice
    assert AuditRecord.objects.get(procedure="DirectoryRecover").status == "succeeded"
    assert recover() == {"repaired": [], "committed": [], "left": [], "running": []}


def test_the_recovery_is_for_domain_admins(caller):
    with pytest.raises(AccessDenied):
        run(caller("cm-admin"), "Portal::DirectoryRecover", {}, door="test")


def _die_in_the_middle(caller, name: str):
    """A batch that wrote to the directory and whose process then died: its transaction rolled
    back, nothing of its end ran, and its journal row names a process that runs no more."""
    from portal.engine.core import _current_batch
    from portal.engine.journal import running_remove

    batch = Batch(caller("cm-admin"), "test")
    batch.__enter__()
    batch.call(ADD, {"organization": ALPINE, "name": name, "preferredDomainController": DC})
    batch._atomic.__exit__(RuntimeError, RuntimeError("killed"), None)
    _current_batch.reset(batch._marker)
    running_remove(batch.id)
    JournalBatch.objects.filter(pk=batch.id).update(owner_pid=2**22 + 7, owner_started="1")
    return batch.id


def test_a_batch_whose_process_died_is_undone_and_audited_by_the_command(
    caller, gateway, capsys, django_capture_on_commit_callbacks
):
    batch_id = _die_in_the_middle(caller, "Orphan")
    assert gateway.get(f"OU=Orphan,{ALPINE}") is not None
    assert not AuditRecord.objects.filter(batch=batch_id).exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("directory_recover")
    assert f"repaired {batch_id} (Engine Test::AddOrganization): delete OU=Orphan" in capsys.readouterr().out
    assert gateway.get(f"OU=Orphan,{ALPINE}") is None
    record = AuditRecord.objects.get(batch=batch_id)
    assert (record.procedure, record.status, record.caller) == ("AddOrganization", "failed", "cm-admin")
    assert "did not finish" in record.error_text
    assert JournalBatch.objects.get(pk=batch_id).state == "repaired"


def test_the_command_fails_while_a_batch_cannot_be_repaired_and_says_why(caller, gateway, capsys):
    batch_id = _die_in_the_middle(caller, "Later")

    def unreachable(gw, step):
        raise DirectoryError(f"The domain controller {gw.name} cannot be reached (test).")

    with mock.patch("portal.engine.journal.undo_step", unreachable), pytest.raises(SystemExit) as exc:
        call_command("directory_recover")
    assert exc.value.code == 1
    assert f"LEFT {batch_id}" in capsys.readouterr().out
    row = JournalBatch.objects.get(pk=batch_id)
    assert row.state == "repair" and row.attempts == 1 and "cannot be reached" in row.last_error
    call_command("directory_recover")
    assert gateway.get(f"OU=Later,{ALPINE}") is None


def _commit_fault(connection, *, applied: bool):
    """The batch's COMMIT fails once as when the connection breaks: before the database carried
    it out, or after (the answer lost)."""
    real = connection.commit
    calls = []

    def commit():
        calls.append(1)
        if len(calls) > 1:
            return real()
        if applied:
            real()
        raise OperationalError("server closed the connection unexpectedly")

    return mock.patch.object(connection, "commit", side_effect=commit)


@pytest.mark.django_db(transaction=True)
def test_a_lost_commit_undoes_the_directory_and_audits_the_call(caller, gateway):
    who = caller("cm-admin")
    with (
        _commit_fault(connections["default"], applied=False),
        pytest.raises(CommitLost, match="nothing was changed") as exc,
    ):
        run(who, ADD, {"organization": ALPINE, "name": "Lost", "preferredDomainController": DC}, door="t")
    assert exc.value.status == 503
    assert gateway.get(f"OU=Lost,{ALPINE}") is None
    assert CustomerRecord.objects.count() == 0
    record = AuditRecord.objects.get(procedure="AddOrganization")
    assert record.status == "failed" and record.error_code == "0x800704D5"
    assert any(line.startswith("undone: delete") for line in record.undo_log)
    assert _rows() == []


@pytest.mark.django_db(transaction=True)
def test_a_commit_whose_answer_is_lost_but_which_took_effect_succeeds(caller, gateway):
    who = caller("cm-admin")
    with _commit_fault(connections["default"], applied=True):
        run(who, ADD, {"organization": ALPINE, "name": "Kept", "preferredDomainController": DC}, door="t")
    assert gateway.get(f"OU=Kept,{ALPINE}") is not None
    assert CustomerRecord.objects.filter(name="Kept").exists()
    assert AuditRecord.objects.get(procedure="AddOrganization").status == "succeeded"
    assert _rows() == []


@pytest.mark.django_db(transaction=True)
def test_the_mps_door_answers_a_lost_commit_in_its_own_shape(mps, settings):
    body = f"""<request><procedure><execute namespace="Engine Test" procedure="AddOrganization" impersonate="1">
      <executeData><organization>LDAP://{ALPINE}</organization><name>ViaMps</name>
      <preferredDomainController>{DC}</preferredDomainController></executeData>
    </execute></procedure></request>"""
    mps(body, "cm-admin")  # logs in first (remembered), so only the batch's COMMIT meets the fault
    with _commit_fault(connections["default"], applied=False):
        response = mps(body.replace("ViaMps", "ViaMps2"), "cm-admin")
    assert b"errorContext" in response.content and b"0x800704D5" in response.content


def test_batches_waiting_for_repair_are_visible_to_staff(caller, gateway, client, browser):
    assert client.get("/healthz?detail=1").json()["directory_batches_waiting_for_repair"] == {
        "count": 0,
        "oldest": None,
    }
    assert "waiting for repair" not in browser("administrator").get("/").content.decode()
    batch_id = _die_in_the_middle(caller, "Visible")
    detail = client.get("/healthz?detail=1").json()
    assert detail["status"] == "ok"
    assert detail["directory_batches_waiting_for_repair"]["count"] == 1
    assert detail["directory_batches_waiting_for_repair"]["oldest"]
    assert client.get("/healthz").json() == {"status": "ok"}  # the plain probe reads nothing
    staff = browser("administrator")
    home = staff.get("/").content.decode()
    assert "Directory batches waiting for repair" in home and str(batch_id) in home
    page = staff.get(f"/admin/journal/journalbatch/{batch_id}/change/")
    assert page.status_code == 200 and "OU=Visible" in page.content.decode()
    assert staff.get("/admin/journal/journalbatch/").status_code == 200
    assert "waiting for repair" not in browser("cm-admin").get("/").content.decode()


def test_audit_records_the_database_cannot_take_are_kept_by_the_journal_until_the_recovery(
    caller, gateway, django_capture_on_commit_callbacks
):
    from portal.engine.core import Batch as EngineBatch

    real = EngineBatch._write_audit
    failures = []

    def audit_fails_twice(self):
        if len(failures) < 2:
            failures.append(1)
            raise OperationalError("the database is gone")
        return real(self)

    who = caller("cm-admin")
    with (
        mock.patch.object(EngineBatch, "_write_audit", audit_fails_twice),
        pytest.raises(CommitLost, match="nothing was changed") as exc,
    ):
        run(
            who, ADD, {"organization": ALPINE, "name": "Unaudited", "preferredDomainController": DC}, door="t"
        )
    assert exc.value.status == 503
    assert gateway.get(f"OU=Unaudited,{ALPINE}") is None  # undone at once
    row = JournalBatch.objects.get()
    assert row.state == "repair" and [item["procedure"] for item in row.audit] == ["AddOrganization"]
    assert not AuditRecord.objects.filter(batch=row.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        report = run(Caller.service(), "Portal::DirectoryRecover", {}, door="test")
    assert [item["batch"] for item in report["repaired"]] == [str(row.pk)]
    record = AuditRecord.objects.get(batch=row.pk)
    assert (record.procedure, record.status, record.caller) == ("AddOrganization", "rolled back", "cm-admin")


def test_the_web_process_runs_the_recovery_only_when_nothing_else_does(settings):
    from portal.engine.recovery import recovery_thread_start

    settings.PORTAL_RECOVERY_SECONDS = 0
    assert recovery_thread_start() is False  # switched off
    settings.PORTAL_RECOVERY_SECONDS = 60
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert recovery_thread_start() is False  # Celery beat runs it
    assert "portal-directory-recover" in settings.CELERY_BEAT_SCHEDULE


def test_the_periodic_recovery_runs_the_procedure_only_when_a_batch_waits(caller, gateway):
    from portal.engine.recovery import recover_if_needed

    assert recover_if_needed() is None
    assert not AuditRecord.objects.filter(procedure="DirectoryRecover").exists()
    _die_in_the_middle(caller, "Periodic")
    assert recover_if_needed()["repaired"]
    assert AuditRecord.objects.filter(procedure="DirectoryRecover").count() == 1
    assert gateway.get(f"OU=Periodic,{ALPINE}") is None
