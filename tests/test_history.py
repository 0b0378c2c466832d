"""History of an object and the last changes in a caller's scope, from the audit records."""

from __future__ import annotations

import pytest

from portal.engine import run
from portal.selectors import audit_changes_in_scope, audit_history
from tests.conftest import ALPINE, DC, NORTHWIND

pytestmark = pytest.mark.django_db


def _enable(caller, path):
    run(
        caller,
        "MPS Import::EnableCustomerForPlans",
        {"path": f"LDAP://{path}", "preferredDomainController": DC},
        door="test",
    )


def test_history_lists_the_calls_about_one_object_whatever_the_spelling(caller):
    admin = caller("administrator")
    _enable(admin, ALPINE.upper())
    _enable(admin, NORTHWIND)
    run(admin, "Managed Hosting::GetOrgType", {"path": ALPINE, "preferredDomainController": DC}, door="test")
    history = audit_history(dn=ALPINE.lower())
    assert [r.name for r in history] == ["Managed Hosting::GetOrgType", "MPS Import::EnableCustomerForPlans"]


def test_last_changes_leave_out_reads_and_objects_outside_the_scope(caller):
    admin = caller("administrator")
    _enable(admin, ALPINE)
    _enable(admin, NORTHWIND)
    run(admin, "Managed Hosting::GetOrgType", {"path": ALPINE, "preferredDomainController": DC}, door="test")
    reseller = [r.subject for r in audit_changes_in_scope(caller("cm-admin"))]
    assert reseller == [ALPINE.lower()]
    everything = audit_changes_in_scope(admin)
    assert len(everything) == 2
    assert {r.procedure for r in everything} == {"EnableCustomerForPlans"}
