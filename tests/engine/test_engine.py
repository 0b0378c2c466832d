"""The procedure engine: schema, security, impersonation, nesting, undo and audit."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from hosting.models import CustomerRecord
from portal.engine import Batch, Caller, Impersonate, InternalError, run
from portal.errors import AccessDenied, Conflict, InvalidArgument, NotFound, UnknownDomainController
from portal.models import AuditRecord
from tests.conftest import ALPINE, CM, CONTOSO, DC, JANE, LITWARE, NORTHWIND
from tests.engine import procedures  # noqa: F401 - registers the test procedures

pytestmark = pytest.mark.django_db


def test_arguments_are_converted_to_their_declared_kinds(caller):
    out = run(
        caller("administrator"),
        "Engine Test::Echo",
        {
            "text": " hi ",
            "count": "3",
            "flag": "1",
            "amount": "10.50",
            "when": "2026-11-30",
            "guid": "cd2bfd08d6dc804d9cd41e88069e37f8",
            "kind": "reseller",
            "features": {"feature": ["POP", "IMAP"]},
        },
        door="test",
    )
    assert out["text"] == "hi"
    assert out["count"] == 3
    assert out["flag"] is True
    assert out["amount"] == Decimal("10.50")
    assert out["when"] == dt.date(2026, 11, 30)
    assert out["guid"] == uuid.UUID("08fd2bcd-dcd6-4d80-9cd4-1e88069e37f8")
    assert out["kind"] == "Reseller"
    assert out["features"] == ["POP", "IMAP"]


def test_a_single_list_item_is_still_a_list(caller):
    out = run(
        caller("administrator"), "Engine Test::Echo", {"count": 1, "features": {"feature": "OWA"}}, door="t"
    )
    assert out["features"] == ["OWA"]


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"text": "a", "colour": "red"}, "Unknown argument <colour>."),
        ({"count": "three"}, "<count> must be a whole number; 'three' is not."),
        ({"text": "a", "flag": "maybe"}, "<flag> must be true or false (1 or 0); 'maybe' is not."),
        ({"text": "a", "amount": 1.5}, "<amount> must be given as text, not a floating-point number."),
        ({"text": "a", "amount": "1e3"}, "<amount> must be a decimal number; '1e3' is not."),
        ({"text": "a", "amount": "1.5E+1"}, "<amount> must be a decimal number; '1.5E+1' is not."),
        ({"text": "a", "kind": "Partner"}, "<kind> must be one of Reseller, Customer; 'Partner' is not."),
        ({"text": ["a", "b"]}, "<text> may be given only once."),
        ({}, "You must supply either a <text> or <count> element."),
        ({"text": "a", "guid": "nope"}, "<guid> is not a GUID"),
    ],
)
def test_bad_input_is_refused_with_a_clear_text(caller, data, text):
    with pytest.raises(InvalidArgument) as exc:
        run(caller("administrator"), "Engine Test::Echo", data, door="test")
    assert text in exc.value.text


def test_unknown_procedure_is_not_found_and_audited(caller):
    with pytest.raises(NotFound) as exc:
        run(caller("administrator"), "No Such::Thing", {"password": "hunter2"}, door="test")
    assert exc.value.text == "The procedure No Such::Thing does not exist."
    record = AuditRecord.objects.get(procedure="Thing")
    assert record.status == "failed"
    assert record.input == {"password": "***"}


def test_private_procedure_cannot_be_called_from_a_door(caller):
    with pytest.raises(AccessDenied) as exc:
        run(caller("administrator"), "Engine Test::Private_", {}, door="test")
    assert "private" in exc.value.text


def test_role_rule_refuses_a_caller_without_the_role(caller):
    with pytest.raises(AccessDenied) as exc:
        run(
            caller("alpine-admin"),
            "Engine Test::AddOrganization",
            {"organization": f"LDAP://{ALPINE}", "name": "X", "preferredDomainController": DC},
            door="test",
        )
    assert "requires OrgCreators" in exc.value.text


def test_scope_refuses_a_path_of_another_reseller(caller, gateway):
    with pytest.raises(AccessDenied) as exc:
        run(
            caller("cm-admin"),
            "Engine Test::AddOrganization",
            {"organization": f"LDAP://{NORTHWIND}", "name": "X", "preferredDomainController": DC},
            door="test",
        )
    assert "outside the scope of cm-admin" in exc.value.text
    assert gateway.get(f"OU=X,{NORTHWIND}") is None


def test_path_outside_the_hosting_root_is_refused_before_ldap_is_asked(caller, gateway):
    admin = caller("administrator")
    before = sum(gateway.calls.values())
    with pytest.raises(AccessDenied) as exc:
        run(
            admin,
            "Engine Test::AddOrganization",
            {
                "organization": "LDAP://OU=Imports,DC=fabrikam,DC=com",
                "name": "X",
                "preferredDomainController": DC,
            },
            door="test",
        )
    assert "lies outside the hosting tree" in exc.value.text
    assert sum(gateway.calls.values()) == before


def test_unknown_domain_controller_is_refused_before_anything_runs(caller):
    with pytest.raises(UnknownDomainController):
        run(
            caller("administrator"),
            "Engine Test::AddOrganization",
            {
                "organization": f"LDAP://{ALPINE}",
                "name": "X",
                "preferredDomainController": "AD09.fabrikam.com",
            },
            door="test",
        )
    assert CustomerRecord.objects.count() == 0


def test_failure_in_a_later_step_undoes_the_earlier_directory_write_and_rows(caller, gateway):
    with pytest.raises(Conflict) as exc:
        run(
            caller("cm-admin"),
            "Engine Test::AddThenFail",
            {"organization": f"LDAP://{ALPINE}", "name": "Temporary", "preferredDomainController": DC},
            door="test",
        )
    assert exc.value.sources == [("Engine Test", "Fail"), ("Engine Test", "AddThenFail")]
    assert gateway.get(f"OU=Temporary,{ALPINE}") is None
    assert CustomerRecord.objects.count() == 0
    records = {r.procedure: r for r in AuditRecord.objects.all()}
    assert records["AddThenFail"].status == "failed"
    assert records["Fail"].status == "failed"
    assert records["AddOrganization"].status == "rolled back"
    assert records["AddOrganization"].parent == records["AddThenFail"]
    assert any("undone: delete" in line for line in records["AddThenFail"].undo_log)


def test_modify_delete_and_move_are_all_undone(caller, gateway, organization_factory):
    leaf = organization_factory("Leaf", ALPINE, description="keep")
    jane_before = gateway.get(JANE)
    with pytest.raises(Conflict):
        run(
            caller("cm-admin"),
            "Engine Test::ChangeThenFail",
            {"user": JANE, "leaf": leaf, "moveTo": LITWARE, "preferredDomainController": DC},
            door="test",
        )
    jane_after = gateway.get(JANE)
    assert jane_after.attrs["mail"] == jane_before.attrs["mail"]
    assert "description" not in jane_after.attrs
    assert gateway.get(leaf).first("description") == "keep"
    assert gateway.get(LITWARE) is not None
    assert gateway.get(f"OU=Litware-moved,{CM}") is None


def test_successful_batch_commits_every_call_in_one_transaction(caller, gateway):
    with Batch(caller("cm-admin"), "test") as batch:
        batch.call(
            "Engine Test::AddOrganization",
            {"organization": ALPINE, "name": "One", "preferredDomainController": DC},
        )
        batch.call(
            "Engine Test::AddOrganization",
            {"organization": ALPINE, "name": "Two", "preferredDomainController": DC},
        )
    assert CustomerRecord.objects.count() == 2
    assert gateway.get(f"OU=Two,{ALPINE}") is not None
    assert AuditRecord.objects.filter(status="succeeded").count() == 2
    assert len(set(AuditRecord.objects.values_list("batch", flat=True))) == 1


def test_failing_call_rolls_back_the_calls_before_it_in_the_batch(caller, gateway):
    with pytest.raises(AccessDenied), Batch(caller("cm-admin"), "test") as batch:
        batch.call(
            "Engine Test::AddOrganization",
            {"organization": ALPINE, "name": "One", "preferredDomainController": DC},
        )
        batch.call(
            "Engine Test::AddOrganization",
            {"organization": CONTOSO, "name": "Two", "preferredDomainController": DC},
        )
    assert gateway.get(f"OU=One,{ALPINE}") is None
    assert CustomerRecord.objects.count() == 0
    assert list(AuditRecord.objects.order_by("sequence").values_list("status", flat=True)) == [
        "rolled back",
        "failed",
    ]


def test_impersonation_runs_as_the_caller_or_the_service_and_audits_both(caller):
    admin = caller("administrator")
    out = run(admin, "Engine Test::Echo", {"text": "x"}, door="test", impersonate=Impersonate.SERVICE)
    assert out["identity"] == "portal-service"
    assert out["caller"] == "administrator"
    record = AuditRecord.objects.get()
    assert (record.caller, record.acting_as, record.impersonate) == ("administrator", "portal-service", 2)


def test_service_identity_is_refused_to_callers_who_are_not_domain_admins(caller):
    with pytest.raises(AccessDenied) as exc:
        run(
            caller("cm-admin"),
            "Engine Test::Echo",
            {"text": "x"},
            door="test",
            impersonate=Impersonate.SERVICE,
        )
    assert 'impersonate="2"' in exc.value.text


def test_nested_call_inherits_the_identity_with_impersonate_0(caller):
    admin = caller("administrator")
    with Batch(admin, "test") as batch:
        inherited = batch.call("Engine Test::EchoNested", {"impersonate": 0}, impersonate=Impersonate.SERVICE)
    assert inherited["identity"] == "portal-service"
    with Batch(admin, "test") as batch:
        as_caller = batch.call("Engine Test::EchoNested", {"impersonate": 1}, impersonate=Impersonate.SERVICE)
    assert as_caller["identity"] == "administrator"


def test_secret_arguments_never_reach_the_audit_record(caller):
    run(caller("administrator"), "Engine Test::Echo", {"text": "x", "password": "S3cret!pw"}, door="test")
    record = AuditRecord.objects.get()
    assert record.input["password"] == "***"
    assert record.output["password"] == "***"
    assert "S3cret" not in str(record.input) + str(record.output)


def test_unexpected_exception_becomes_an_internal_error_without_internals(caller):
    with pytest.raises(InternalError) as exc:
        run(caller("administrator"), "Engine Test::Boom", {}, door="test")
    assert "secret internals" not in exc.value.text
    assert exc.value.status == 500
    assert AuditRecord.objects.get().status == "failed"


def test_audit_records_are_append_only(caller):
    run(caller("administrator"), "Engine Test::Echo", {"text": "x"}, door="test")
    record = AuditRecord.objects.get()
    record.caller = "someone else"
    with pytest.raises(TypeError):
        record.save()
    with pytest.raises(TypeError):
        record.delete()
    with pytest.raises(TypeError):
        AuditRecord.objects.update(caller="x")
    with pytest.raises(TypeError):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get().caller == "administrator"


def test_caller_scope_comes_from_where_the_entry_sits(caller):
    assert caller("cm-admin").scope_dn.lower() == CM.lower()
    assert caller("alpine-admin").scope_dn.lower() == ALPINE.lower()
    assert caller("administrator").roles == {"DomainAdmins"}
    assert Caller.service().is_service


def test_preflight_raises_what_the_call_would_and_runs_nothing(caller, gateway):
    from portal.engine import preflight

    data = {"organization": f"LDAP://{NORTHWIND}", "name": "X", "preferredDomainController": DC}
    with pytest.raises(AccessDenied) as exc:
        preflight(caller("cm-admin"), "Engine Test::AddOrganization", data)
    assert "outside the scope of cm-admin" in exc.value.text
    preflight(caller("contoso-admin"), "Engine Test::AddOrganization", data)  # would be allowed
    assert gateway.get(f"OU=X,{NORTHWIND}") is None
    assert not AuditRecord.objects.exists()


def test_audit_records_of_one_level_beyond_the_databases_parameter_limit_go_in_several_inserts(
    caller, monkeypatch
):
    """Many calls at one nesting level are written in as many INSERTs as the database's parameter
    limit asks (here a limit of two rows per statement), each with its parent and sequence."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    with CaptureQueriesContext(connection) as queries, Batch(caller("administrator"), "test") as batch:
        for number in range(3):
            batch.call("Engine Test::EchoNested", {"impersonate": 1})
            batch.call("Engine Test::Echo", {"text": f"top {number}"})

    table = AuditRecord._meta.db_table
    inserts = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT") and table in q["sql"]
    ]
    assert len(inserts) == 5  # six top-level records in three statements, three nested in two

    records = list(AuditRecord.objects.filter(batch=batch.id).order_by("sequence"))
    assert [(r.sequence, r.procedure) for r in records] == [
        (0, "EchoNested"),
        (1, "Echo"),
        (2, "Echo"),
        (3, "EchoNested"),
        (4, "Echo"),
        (5, "Echo"),
        (6, "EchoNested"),
        (7, "Echo"),
        (8, "Echo"),
    ]
    by_sequence = {r.sequence: r for r in records}
    assert [(r.sequence, r.parent.sequence if r.parent else None) for r in records] == [
        (0, None),
        (1, 0),
        (2, None),
        (3, None),
        (4, 3),
        (5, None),
        (6, None),
        (7, 6),
        (8, None),
    ]
    assert by_sequence[2].input == {"text": "top 0"}
    assert by_sequence[8].input == {"text": "top 2"}
    assert all(r.status == "succeeded" and r.door == "test" for r in records)


def test_a_mirrored_input_is_a_copy_that_shares_nothing_with_the_input():
    from decimal import Decimal

    from portal.engine.core import _copied

    given = {"path": "OU=A", "items": [{"n": 1, "price": Decimal("1.50")}, "x"], "when": {1, 2}}
    copied = _copied(given)
    assert copied == given
    assert copied["items"] is not given["items"] and copied["items"][0] is not given["items"][0]
    assert copied["when"] is not given["when"]  # a set is no JSON value: copy.deepcopy copies it
    copied["items"][0]["n"] = 2
    assert given["items"][0]["n"] == 1
