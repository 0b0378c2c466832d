"""The engine guards itself: a batch is durable (never inside an outer transaction) and says that
it runs; a series of batches commits each on its own; the impersonate value is one enum."""

from __future__ import annotations

import io

import pytest
from django.db import transaction

from customers.bulk import users_import
from hosting.models import CustomerRecord
from portal.engine import Batch, BatchSeries, Caller, Impersonate, batch_current
from portal.errors import Conflict
from portal.models import AuditRecord
from tests.conftest import ALPINE, DC
from tests.engine import procedures  # noqa: F401 - registers the test procedures

pytestmark = pytest.mark.django_db
ADD = "Engine Test::AddOrganization"


def test_a_batch_refuses_to_run_inside_an_outer_transaction_and_changes_nothing(caller, gateway):
    admin = caller("cm-admin")
    with (
        pytest.raises(RuntimeError, match="durable atomic block cannot be nested"),
        transaction.atomic(),
        Batch(admin, "test") as batch,
    ):
        batch.call(ADD, {"organization": ALPINE, "name": "Nested", "preferredDomainController": DC})
    assert gateway.get(f"OU=Nested,{ALPINE}") is None
    assert not CustomerRecord.objects.exists()
    assert not AuditRecord.objects.exists()


def test_the_running_batch_is_known_while_it_runs_and_only_then(caller):
    admin = caller("cm-admin")
    assert batch_current() is None
    with Batch(admin, "test") as batch:
        assert batch_current() is batch
    assert batch_current() is None
    with pytest.raises(Conflict), Batch(admin, "test") as failing:
        assert batch_current() is failing
        failing.call("Engine Test::Fail", {"preferredDomainController": DC})
    assert batch_current() is None


def test_a_series_commits_each_call_on_its_own(caller, gateway):
    with BatchSeries(caller("cm-admin"), "test") as series:
        series.run(ADD, {"organization": ALPINE, "name": "First", "preferredDomainController": DC})
        with pytest.raises(Conflict):
            series.run(ADD, {"organization": ALPINE, "name": "First", "preferredDomainController": DC})
        series.run(ADD, {"organization": ALPINE, "name": "Second", "preferredDomainController": DC})
    assert sorted(CustomerRecord.objects.values_list("name", flat=True)) == ["First", "Second"]
    assert gateway.get(f"OU=Second,{ALPINE}") is not None
    assert list(AuditRecord.objects.order_by("started_at").values_list("status", flat=True)) == [
        "succeeded",
        "failed",
        "succeeded",
    ]
    assert AuditRecord.objects.values("batch").distinct().count() == 3


def test_the_bulk_import_refuses_an_outer_transaction_before_any_row_is_written(caller, gateway):
    rows = io.StringIO(
        "organization,name,userPrincipalName,password\n"
        f'"LDAP://{ALPINE}",Nested User,nested@alpineskihouse.com,Str0ng-Secret\n'
    )
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        users_import(rows, caller=caller("cm-admin"))
    assert gateway.get(f"CN=Nested User,{ALPINE}") is None


def test_the_impersonate_value_is_one_enum_on_every_door(caller, mps, api):
    from portal.mps.xmlio import parse_request

    assert [int(value) for value in Impersonate] == [0, 1, 2]
    body = b'<request><procedure><execute namespace="N" procedure="P" impersonate="2"/></procedure></request>'
    assert parse_request(body).executes[0].impersonate is Impersonate.SERVICE
    answer = api(
        "post",
        "/api/procedures/",
        json={
            "namespace": "Engine Test",
            "procedure": "Echo",
            "executeData": {"text": "x"},
            "impersonate": 2,
        },
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["executeData"]["identity"] == Caller.service().username
    assert AuditRecord.objects.get().impersonate == Impersonate.SERVICE
