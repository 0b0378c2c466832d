"""HostedExchange::CreateBusinessOrganization, ::CreateBusinessUser, ::CreateConsumerUser:
created and registered in one call, or nothing at all."""

from __future__ import annotations

import pytest

from hosting.models import CustomerRecord
from portal.engine import InternalError
from portal.errors import AccessDenied, PrerequisiteFailed
from portal.models import AuditRecord
from tests.conftest import ALPINE, CM, HOSTING
from tests.customers.conftest import STRONG, fail_procedure

pytestmark = pytest.mark.django_db

LAST_STEP = "Managed Helpers::CreateCustomerRecord_"


def new_user(name: str = "Ann Lee") -> dict:
    return {
        "organization": f"LDAP://{ALPINE}",
        "name": name,
        "userPrincipalName": "ann.lee@alpineskihouse.com",
        "password": STRONG,
    }


def test_business_organization_created_and_registered(call, read):
    out = call(
        "cm-admin",
        "HostedExchange::CreateBusinessOrganization",
        {"parentPath": f"LDAP://{CM}", "name": "Fabrikam Bikes"},
    )
    dn = f"OU=Fabrikam Bikes,{CM}"
    entry = read(dn)
    assert entry["hostingorganizationtype"] == ["Customer"]
    assert set(entry["hostingprocessedby"]) == {
        "Managed Active Directory::CreateOrganization",
        "HostedExchange::CreateBusinessOrganization",
    }
    record = CustomerRecord.objects.get(guid=entry["entryuuid"][0])
    assert record.customer_type == "BusinessOrganization"
    assert out["GUID"] == record.guid_braced
    nested = AuditRecord.objects.filter(parent__procedure="CreateBusinessOrganization")
    assert sorted(nested.values_list("procedure", flat=True)) == [
        "CreateCustomerRecord_",
        "CreateOrganization",
    ]


def test_business_organization_refused_at_the_reseller_level(call, read):
    with pytest.raises(PrerequisiteFailed):
        call(
            "administrator",
            "HostedExchange::CreateBusinessOrganization",
            {"parentPath": f"LDAP://{HOSTING}", "name": "X"},
        )
    assert read(f"OU=X,{HOSTING}") is None


@pytest.mark.parametrize(
    ("procedure", "customer_type"),
    [
        ("HostedExchange::CreateBusinessUser", "BusinessUser"),
        ("HostedExchange::CreateConsumerUser", "ConsumerUser"),
    ],
)
def test_user_created_and_registered(call, read, procedure, customer_type):
    out = call("alpine-admin", procedure, new_user())
    entry = read(f"CN=Ann Lee,{ALPINE}")
    assert procedure in entry["hostingprocessedby"]
    assert CustomerRecord.objects.get(guid=entry["entryuuid"][0]).customer_type == customer_type
    assert out["customerTypeName"] == customer_type
    assert "password" not in out
    assert all(r.input.get("password") in (None, "***") for r in AuditRecord.objects.all())


def test_the_creation_opens_the_new_objects_history_and_stays_in_its_organizations(call):
    from portal.selectors import audit_history

    call("alpine-admin", "HostedExchange::CreateBusinessUser", new_user())
    created = [("HostedExchange", "CreateBusinessUser")]
    assert [(r.namespace, r.procedure) for r in audit_history(dn=f"CN=Ann Lee,{ALPINE}")] == created
    assert [(r.namespace, r.procedure) for r in audit_history(dn=ALPINE.lower())] == created
    assert audit_history(dn=f"CN=Jane Smith,{ALPINE}") == []  # not a sibling's
    call(
        "cm-admin",
        "HostedExchange::CreateBusinessOrganization",
        {"parentPath": f"LDAP://{CM}", "name": "Tailspin"},
    )
    assert [r.procedure for r in audit_history(dn=f"ou=tailspin,{CM}")] == ["CreateBusinessOrganization"]


def test_business_user_refused_for_another_customer(call):
    with pytest.raises(AccessDenied):
        call(
            "alpine-admin",
            "HostedExchange::CreateBusinessUser",
            {**new_user(), "organization": f"LDAP://{CM}"},
        )


@pytest.mark.parametrize(
    ("procedure", "data", "user"),
    [
        (
            "HostedExchange::CreateBusinessOrganization",
            {"parentPath": f"LDAP://{CM}", "name": "Doomed"},
            "cm-admin",
        ),
        ("HostedExchange::CreateBusinessUser", new_user("Doomed"), "alpine-admin"),
        ("HostedExchange::CreateConsumerUser", new_user("Doomed"), "alpine-admin"),
    ],
)
def test_fault_in_the_last_step_undoes_the_directory_and_the_database(call, tree, procedure, data, user):
    before = tree()
    records = CustomerRecord.objects.count()
    with fail_procedure(LAST_STEP), pytest.raises(InternalError):
        call(user, procedure, data)
    assert tree() == before
    assert CustomerRecord.objects.count() == records
    failed = AuditRecord.objects.get(procedure=procedure.split("::")[1])
    assert failed.status == "failed"
    assert any(line.startswith("undone: delete") for line in failed.undo_log)


def _mps_user(password: str) -> str:
    return f"""<request><procedure>
    <execute namespace="HostedExchange" procedure="CreateBusinessUser" impersonate="1"><executeData>
      <organization>LDAP://{ALPINE}</organization><name>Mps User</name>
      <userPrincipalName>mps.user@alpineskihouse.com</userPrincipalName><password>{password}</password>
      <preferredDomainController>AD01.fabrikam.com</preferredDomainController>
    </executeData></execute></procedure></request>"""


def test_business_user_through_mps_never_echoes_the_password(mps, read):
    response = mps(_mps_user(STRONG), "alpine-admin")
    assert response.status_code == 200, response.content
    assert STRONG.encode() not in response.content
    assert b"<customerTypeName>BusinessUser</customerTypeName>" in response.content
    assert read(f"CN=Mps User,{ALPINE}") is not None


def test_weak_password_through_mps_answers_the_error_context(mps, read):
    response = mps(_mps_user("weak"), "alpine-admin")
    assert response.status_code == 400
    assert b"The password is too short" in response.content
    assert (
        b'procedure="CreateUser"' in response.content
        and b'procedure="CreateBusinessUser"' in response.content
    )
    assert read(f"CN=Mps User,{ALPINE}") is None
