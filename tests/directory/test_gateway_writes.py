"""The gateway's writes and their undo, against the real slapd."""

from __future__ import annotations

import io
import uuid

import pytest

from portal.directory import (
    DirectorySession,
    MemoryUndoJournal,
    ldif_records,
    password_ssha,
    password_ssha_matches,
)
from portal.errors import Conflict, InvalidArgument
from tests.conftest import ALPINE, JANE

IMPORTS = "OU=Imports,DC=fabrikam,DC=com"


class Journal(MemoryUndoJournal):
    """The steps of a session outside the engine, undone by the test."""

    @property
    def entries(self):
        return self.steps


def test_add_answers_the_stored_entry_with_its_guid(gateway, ldap_admin):
    session = DirectorySession(gateway, Journal())
    session.add(f"cn=New,{IMPORTS}", {"objectClass": ["inetOrgPerson"], "cn": "New", "sn": "N"})
    searches = gateway.calls["search"]
    added = session.get(f"cn=New,{IMPORTS}")  # the add's answer, not a second read
    assert gateway.calls["search"] == searches
    assert added is not None and added.name == "New"
    assert added.guid == gateway.get(f"cn=New,{IMPORTS}").guid


def test_add_of_an_existing_entry_is_a_conflict(gateway, ldap_admin):
    journal = Journal()
    with pytest.raises(Conflict, match="already exists"):
        DirectorySession(gateway, journal).add(
            JANE, {"objectClass": ["inetOrgPerson"], "cn": "Jane Smith", "sn": "S"}
        )
    assert journal.entries == []  # nothing written, nothing to undo


def test_the_gateway_offers_reads_only_writes_go_through_a_journaled_session(gateway):
    for write in ("add", "modify", "delete", "rename"):
        assert not hasattr(gateway, write), write
        assert callable(getattr(DirectorySession, write))
    with pytest.raises(TypeError):
        DirectorySession(gateway)  # no session without a journal


def test_every_write_of_a_session_is_journaled_and_undone(gateway, ldap_admin):
    before = gateway.get(ALPINE)
    journal = Journal()
    session = DirectorySession(gateway, journal)
    session.add(f"OU=Moving,{ALPINE}", {"objectClass": ["organizationalUnit"], "ou": "Moving"})
    session.modify(ALPINE, {"description": "changed"})
    session.rename(f"OU=Moving,{ALPINE}", "OU=Moved")
    assert [step["op"] for step in journal.entries] == ["delete", "restore", "moveback"]
    journal.undo()
    assert gateway.get(f"OU=Moving,{ALPINE}") is None and gateway.get(f"OU=Moved,{ALPINE}") is None
    assert _data(gateway.get(ALPINE)) == _data(before)  # AD's update counters aside


# What Active Directory keeps about an object's history (update counters, the container it came
# back from, DN spelling): not the object's data, so not compared.
BOOKKEEPING = {
    "usnchanged",
    "whenchanged",
    "distinguishedname",
    "admincount",
    "operatorcount",
    "lastknownparent",
}


def _data(entry):
    return {name: values for name, values in entry.attrs.items() if name not in BOOKKEEPING}


def test_put_back_entry_keeps_its_guid(gateway, ldap_admin):
    """OpenLDAP: added back with the Relax Rules control; AD: brought back from Deleted Objects."""
    dn = f"cn=Keep,{IMPORTS}"
    DirectorySession(gateway, Journal()).add(
        dn, {"objectClass": ["inetOrgPerson"], "cn": "Keep", "sn": "K", "jpegPhoto": [b"\xff\xd8\xff"]}
    )
    before = gateway.get(dn)
    assert before.binary["jpegphoto"] == [b"\xff\xd8\xff"]
    journal = Journal()
    DirectorySession(gateway, journal).delete(dn)
    assert gateway.get(dn) is None
    journal.undo()
    after = gateway.get(dn)
    assert after.guid == before.guid
    assert _data(after) == _data(before) and after.binary == before.binary


def test_subtree_delete_undone_parents_first(gateway, ldap_admin):
    before = {entry.dn.lower(): entry.guid for entry in gateway.search(ALPINE)}
    journal = Journal()
    deleted = DirectorySession(gateway, journal).delete_subtree(ALPINE)
    assert len(deleted) == len(before)
    assert gateway.get(ALPINE) is None
    journal.undo()
    assert {entry.dn.lower(): entry.guid for entry in gateway.search(ALPINE)} == before


def test_session_forgets_only_the_entry_written(gateway, ldap_admin):
    session = DirectorySession(gateway, Journal())
    session.get(ALPINE)
    reads = gateway.calls["search"]
    session.add(f"cn=Other,{ALPINE}", {"objectClass": ["inetOrgPerson"], "cn": "Other", "sn": "O"})
    session.get(ALPINE)  # the parent was not written: still cached
    session.get(f"cn=Other,{ALPINE}")  # the added entry: answered by the add itself
    assert gateway.calls["search"] == reads
    session.modify(ALPINE, {"description": "changed"})
    assert session.get(ALPINE).first("description") == "changed"


def test_ssha_round_trip_and_salt():
    first, second = password_ssha("Str0ng-Secret"), password_ssha("Str0ng-Secret")
    assert first.startswith("{SSHA}") and first != second
    assert password_ssha_matches("Str0ng-Secret", first)
    assert not password_ssha_matches("str0ng-secret", first)


def test_ldif_records_stream_with_line_numbers_and_bad_records():
    text = "version: 1\n# note\n\ndn: cn=a,dc=x\ncn: a\n\ndn: cn=b\nbroken\n\ndn: cn=c,dc=x\ncn:: w6k=\n"
    records = list(ldif_records(io.StringIO(text)))
    assert [getattr(r, "line", None) for r in records] == [4, None, 10]
    assert isinstance(records[1], InvalidArgument) and records[1].text.startswith("line 7:")
    assert records[2].first("CN") == "é"


def test_unknown_guid_is_not_found(gateway):
    assert gateway.find_guid(uuid.uuid4()) is None
