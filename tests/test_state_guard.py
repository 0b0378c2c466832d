"""The guard of every test (tests/guard.py): a change of the portal's state outside a running
engine batch, or by a read procedure (whose batch opens no transaction), is found, whoever makes
it, except a job's bookkeeping, Django's login bookkeeping and what a test arranges itself.

To stand for a module of the portal that writes on its own, a few lines are compiled here under
the name of a file of the hosting app (``hosting/outside_the_engine.py``, which does not exist)."""

from __future__ import annotations

import pytest

from hosting.models import CustomerRecord
from portal.engine import Batch, Caller, procedure
from portal.models import Job
from tests.conftest import ALPINE, DC
from tests.guard import ROOT

pytestmark = pytest.mark.django_db
PORTAL_MODULE = ROOT / "hosting" / "outside_the_engine.py"


def run_as_portal_code(source: str) -> None:
    """Run ``source`` as if a module of the portal (not of the tests) held it."""
    exec(compile(source, str(PORTAL_MODULE), "exec"), {"__name__": "hosting.outside_the_engine"})


WRITES = {
    "create": "from hosting.models import CustomerRecord\nCustomerRecord.objects.create(dn='OU=X', guid=__import__('uuid').uuid4(), customer_type='BusinessOrganization')\n",
    "update": "from hosting.models import CustomerRecord\nCustomerRecord.objects.filter(pk=0).update(dn='OU=Y')\n",
    "bulk_create": "from hosting.models import CustomerRecord\nimport uuid\nCustomerRecord.objects.bulk_create([CustomerRecord(dn='OU=Z', guid=uuid.uuid4(), customer_type='BusinessOrganization')])\n",
    "delete": "from hosting.models import CustomerRecord\nCustomerRecord.objects.all().delete()\n",
}


@pytest.mark.parametrize(
    ("write", "found"),
    [
        ("create", "INSERT of hosting.CustomerRecord from hosting/outside_the_engine.py:2 in <module>"),
        ("update", "UPDATE of hosting.CustomerRecord from hosting/outside_the_engine.py:2 in <module>"),
        ("bulk_create", "INSERT of hosting.CustomerRecord from hosting/outside_the_engine.py:3 in <module>"),
        ("delete", "DELETE of hosting.CustomerRecord from hosting/outside_the_engine.py:2 in <module>"),
    ],
)
def test_a_model_write_of_portal_code_outside_a_batch_is_found(state_guard, write, found):
    CustomerRecord.objects.create(
        dn="OU=Arranged", guid="cd2bfd08-d6dc-804d-9cd4-1e88069e37f8"
    )  # the test's own
    run_as_portal_code(WRITES[write])
    assert state_guard.take() == [found]


def test_the_same_writes_inside_a_batch_are_the_engine_s(state_guard):
    with Batch(Caller.service(), "test"):
        for source in WRITES.values():
            run_as_portal_code(source)
    assert state_guard.take() == []


def test_a_directory_write_of_portal_code_outside_a_batch_is_found(state_guard, slapd):
    run_as_portal_code(
        "from portal.directory import DirectorySession, MemoryUndoJournal, get_gateway\n"
        "journal = MemoryUndoJournal()\n"
        "\n"
        "\n"
        f"DirectorySession(get_gateway({DC!r}), journal).modify({ALPINE!r}, {{'description': 'x'}})\n"
    )
    assert state_guard.take() == [
        f"directory modify of {ALPINE} from hosting/outside_the_engine.py:5 in <module>"
    ]


def test_job_bookkeeping_and_login_bookkeeping_are_not_changes_of_state(state_guard, client, slapd, login):
    owner = login("administrator")
    run_as_portal_code(
        "import uuid\nfrom portal.models import Job\n"
        f"Job.objects.create(id=uuid.uuid4(), kind='k', title='t', params={{}}, created_by_id={owner.pk})\n"
        "Job.objects.update(done=1)\n"
    )
    response = client.post("/login/", {"username": "alpine-admin", "password": "Passw0rd!"})
    assert response.status_code == 302
    assert login("alpine-admin").last_login is not None
    assert Job.objects.get().done == 1
    assert state_guard.take() == []


@procedure("Engine Test::GetAndWrite", args=())
def get_and_write(ctx) -> dict:
    """A read procedure (by its name) whose portal code writes: what a batch of reads, which opens
    no transaction, must never run."""
    run_as_portal_code(WRITES["create"])
    return {}


def test_a_write_while_only_read_procedures_have_run_in_the_batch_is_found(state_guard, caller):
    with Batch(caller("cm-admin"), "test") as batch:
        batch.call("Engine Test::GetAndWrite", {})
    assert state_guard.take() == [
        "INSERT of hosting.CustomerRecord by a read procedure from hosting/outside_the_engine.py:2 in <module>"
    ]
