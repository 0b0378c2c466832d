"""Hosted Exchange::CreateBusinessOrganization, ::CreateBusinessUser, ::CreateConsumerUser (the
namespace spelled as Microsoft's pages spell it): created and registered in one call, or nothing at
all."""

from __future__ import annotations

import pytest

from hosting.models import CustomerRecord
from portal.engine import InternalError
from portal.errors import AccessDenied, Conflict, PrerequisiteFailed
from portal.models import AuditRecord
from tests.conftest import ALPINE, CM, HOSTING
from tests.customers.conftest import STRONG, fail_procedure

pytestmark = pytest.mark.django_db

LAST_STEP = "Managed Helpers::CreateCustomerRecord_"
ANN = "ann.lee@alpineskihouse.com"


def new_user(upn: str = ANN, **more) -> dict:
    return {"container": f"LDAP://{ALPINE}", "userPrincipalName": upn, "newPassword": STRONG, **more}


def new_org(name: str, domain: str = "fabrikambikes.com", container: str = CM) -> dict:
    return {"container": f"LDAP://{container}", "name": name, "SMTPDomain": domain}


def test_business_organization_created_with_its_smtp_domain_and_registered(call, read):
    out = call("cm-admin", "Hosted Exchange::CreateBusinessOrganization", new_org("Fabrikam Bikes"))
    dn = f"OU=Fabrikam Bikes,{CM}"
    entry = read(dn)
    assert entry["hostingorganizationtype"] == ["Customer"]
    assert entry["upnsuffixes"] == ["fabrikambikes.com"]
    # the seed's prescription spells the mark without the space
    assert set(entry["hostingprocessedby"]) == {
        "Managed Active Directory::CreateOrganization",
        "HostedExchange::CreateBusinessOrganization",
    }
    record = CustomerRecord.objects.get(guid=entry["entryuuid"][0])
    assert record.customer_type == "BusinessOrganization"
    assert out["org"]["@GUID"] == record.guid_braced
    assert out["org"]["@path"] == f"LDAP://{dn}"
    nested = AuditRecord.objects.filter(parent__procedure="CreateBusinessOrganization")
    assert sorted(nested.values_list("procedure", flat=True)) == [
        "CreateCustomerRecord_",
        "CreateOrganization",
    ]


def test_an_smtp_domain_another_organization_holds_is_not_available(call, read):
    call("cm-admin", "Hosted Exchange::CreateBusinessOrganization", new_org("First", "shared.example.com"))
    with pytest.raises(Conflict, match=r"^The SMTP Domain shared\.example\.com is not available\.$"):
        call(
            "cm-admin", "Hosted Exchange::CreateBusinessOrganization", new_org("Second", "Shared.Example.com")
        )
    assert read(f"OU=Second,{CM}") is None


def test_business_organization_refused_at_the_reseller_level(call, read):
    with pytest.raises(PrerequisiteFailed):
        call("administrator", "Hosted Exchange::CreateBusinessOrganization", new_org("X", container=HOSTING))
    assert read(f"OU=X,{HOSTING}") is None


@pytest.mark.parametrize(
    ("procedure", "customer_type", "more"),
    [
        ("Hosted Exchange::CreateBusinessUser", "BusinessUser", {"isAdmin": "false"}),
        ("Hosted Exchange::CreateConsumerUser", "ConsumerUser", {}),
    ],
)
def test_user_created_and_registered(call, read, procedure, customer_type, more):
    out = call("alpine-admin", procedure, new_user(**more))
    entry = read(f"CN={ANN},{ALPINE}")
    assert procedure.replace(" ", "") in entry["hostingprocessedby"]
    assert CustomerRecord.objects.get(guid=entry["entryuuid"][0]).customer_type == customer_type
    assert out["customerTypeName"] == customer_type
    assert out["user"]["@path"] == f"LDAP://CN={ANN},{ALPINE}"
    assert "newPassword" not in out
    assert all(r.input.get("newPassword") in (None, "***") for r in AuditRecord.objects.all())


def test_is_admin_makes_the_business_user_an_administrator(call, read):
    call("alpine-admin", "Hosted Exchange::CreateBusinessUser", new_user(isAdmin="true"))
    members = {m.lower() for m in read(f"CN=CustomerAdministrators,{ALPINE}")["member"]}
    assert f"cn={ANN},{ALPINE}".lower() in members


def test_the_creation_opens_the_new_objects_history_and_stays_in_its_organizations(call):
    from portal.selectors import audit_history

    call("alpine-admin", "Hosted Exchange::CreateBusinessUser", new_user(isAdmin="0"))
    created = [("Hosted Exchange", "CreateBusinessUser")]
    assert [(r.namespace, r.procedure) for r in audit_history(dn=f"CN={ANN},{ALPINE}")] == created
    assert [(r.namespace, r.procedure) for r in audit_history(dn=ALPINE.lower())] == created
    assert audit_history(dn=f"CN=Jane Smith,{ALPINE}") == []  # not a sibling's
    call(
        "cm-admin", "Hosted Exchange::CreateBusinessOrganization", new_org("Tailspin", "tailspin.example.com")
    )
    assert [r.procedure for r in audit_history(dn=f"ou=tailspin,{CM}")] == ["CreateBusinessOrganization"]


def test_business_user_refused_for_another_customer(call):
    with pytest.raises(AccessDenied):
        call(
            "alpine-admin",
            "Hosted Exchange::CreateBusinessUser",
            {**new_user(isAdmin="0"), "container": f"LDAP://{CM}"},
        )


@pytest.mark.parametrize(
    ("procedure", "data", "user"),
    [
        ("Hosted Exchange::CreateBusinessOrganization", new_org("Doomed", "doomed.example.com"), "cm-admin"),
        (
            "Hosted Exchange::CreateBusinessUser",
            new_user("doomed@alpineskihouse.com", isAdmin="0"),
            "alpine-admin",
        ),
        ("Hosted Exchange::CreateConsumerUser", new_user("doomed@alpineskihouse.com"), "alpine-admin"),
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
    <execute namespace="Hosted Exchange" procedure="CreateBusinessUser" impersonate="1"><executeData>
      <container>LDAP://{ALPINE}</container>
      <userPrincipalName>mps.user@alpineskihouse.com</userPrincipalName>
      <isAdmin>false</isAdmin><newPassword do-not-log="1">{password}</newPassword>
      <preferredDomainController>AD01.fabrikam.com</preferredDomainController>
    </executeData></execute></procedure></request>"""


def test_business_user_through_mps_never_echoes_the_password(mps, read):
    response = mps(_mps_user(STRONG), "alpine-admin")
    assert response.status_code == 200, response.content
    assert STRONG.encode() not in response.content
    assert b"<customerTypeName>BusinessUser</customerTypeName>" in response.content
    assert read(f"CN=mps.user@alpineskihouse.com,{ALPINE}") is not None


def test_weak_password_through_mps_answers_the_error_context(mps, read):
    response = mps(_mps_user("weak"), "alpine-admin")
    assert response.status_code == 400
    assert b"The password is too short" in response.content
    assert b"weak" not in response.content
    assert (
        b'procedure="CreateUser"' in response.content
        and b'procedure="CreateBusinessUser"' in response.content
    )
    assert read(f"CN=mps.user@alpineskihouse.com,{ALPINE}") is None
