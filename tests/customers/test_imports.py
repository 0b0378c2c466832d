"""MPS Import::ImportOrganization, ::ImportUser, ::EnableOrganizationForHosting,
::EnableUserForHosting: objects already at their place in the hosting tree, made compliant (and,
imported, registered in the Plans database) as Microsoft's pages describe them."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from hosting.models import CustomerRecord
from portal.engine import InternalError
from portal.errors import AccessDenied, Conflict, PrerequisiteFailed
from tests.conftest import ALPINE, CONTOSO, HOSTING, LITWARE, PASSWORD
from tests.customers.conftest import IMPORTS, fail_procedure

pytestmark = pytest.mark.django_db


@pytest.fixture
def outside_ou(organization_factory):
    return organization_factory("Woodgrove", IMPORTS, description="Bank")


@pytest.fixture
def plain_person(user_factory):
    """A person that other tools put into AlpineSkiHouse: not a hosting user yet."""
    return user_factory("jimc", ALPINE, surname="Clark", password=PASSWORD, telephoneNumber="+1 555 0100")


def guid_of(read, dn):
    return read(dn)["entryuuid"][0]


def test_import_organization_makes_litware_compliant_and_registers_it(call, read):
    guid = guid_of(read, LITWARE)
    out = call(
        "cm-admin", "MPS Import::ImportOrganization", {"path": f"LDAP://{LITWARE}", "policyName": "customer"}
    )
    entry = read(LITWARE)
    assert entry["entryuuid"] == [guid]
    assert entry["hostingorganizationtype"] == ["Customer"]
    assert entry["hostingprocessedby"] == ["MPS Import::ImportOrganization"]
    assert (out["organizationType"], out["customerTypeName"]) == ("Customer", "BusinessOrganization")
    assert CustomerRecord.objects.get(guid=guid).customer_type == "BusinessOrganization"
    # again: nothing changes, nothing fails
    call("cm-admin", "MPS Import::ImportOrganization", {"path": f"LDAP://{LITWARE}"})
    assert CustomerRecord.objects.filter(guid=guid).count() == 1


def test_import_organization_refused_for_another_policy_or_outside_the_tree(call, read):
    with pytest.raises(PrerequisiteFailed, match="can only be a Customer"):
        call(
            "cm-admin",
            "MPS Import::ImportOrganization",
            {"path": f"LDAP://{LITWARE}", "policyName": "reseller"},
        )
    with pytest.raises(AccessDenied, match="outside the hosting tree"):
        call("administrator", "MPS Import::ImportOrganization", {"path": f"LDAP://{IMPORTS}"})
    assert "hostingorganizationtype" not in read(LITWARE)


def test_import_organization_undone_when_its_last_step_fails(call, tree, read):
    before = tree()
    with fail_procedure("Managed Helpers::CreateCustomerRecord_"), pytest.raises(InternalError):
        call("cm-admin", "MPS Import::ImportOrganization", {"path": f"LDAP://{LITWARE}"})
    assert tree() == before
    assert "hostingorganizationtype" not in read(LITWARE)
    assert not CustomerRecord.objects.exists()


def test_import_user_names_it_by_its_upn_registers_it_and_it_logs_in(call, read, plain_person):
    guid = guid_of(read, plain_person)
    out = call(
        "alpine-admin",
        "MPS Import::ImportUser",
        {"path": f"LDAP://{plain_person}", "userPrincipalName": "jimc@alpineskihouse.com"},
    )
    new_dn = f"CN=jimc@alpineskihouse.com,{ALPINE}"
    assert read(plain_person) is None
    entry = read(new_dn)
    assert entry["entryuuid"] == [guid]
    assert entry["telephonenumber"] == ["+1 555 0100"]
    assert entry["hostingprocessedby"] == ["MPS Import::ImportUser"]
    assert out["path"] == f"LDAP://{new_dn}"
    assert out["user"] == {
        "@path": f"LDAP://{new_dn}",
        "@name": "jimc@alpineskihouse.com",
        "@samName": "jimc",
        "@GUID": "{" + guid + "}",
    }
    assert CustomerRecord.objects.get(guid=guid).customer_type == "BusinessUser"
    assert authenticate(None, username="jimc@alpineskihouse.com", password=PASSWORD) is not None
    assert authenticate(None, username="jimc", password=PASSWORD) is not None


def test_import_user_refused_when_its_logon_name_is_taken(call, read, plain_person):
    with pytest.raises(Conflict, match="already logs in as"):
        call(
            "alpine-admin",
            "MPS Import::ImportUser",
            {"path": f"LDAP://{plain_person}", "userPrincipalName": "jane.smith@alpineskihouse.com"},
        )
    assert read(plain_person) is not None


def test_enable_litware_makes_it_a_compliant_customer(call, read):
    guid = guid_of(read, LITWARE)
    with pytest.raises(Exception, match="not compliant"):
        call("cm-admin", "MPS Import::EnableCustomerForPlans", {"path": f"LDAP://{LITWARE}"})
    out = call("cm-admin", "MPS Import::EnableOrganizationForHosting", {"path": f"LDAP://{LITWARE}"})
    entry = read(LITWARE)
    assert entry["entryuuid"] == [guid]
    assert entry["hostingorganizationtype"] == ["Customer"]
    assert entry["hostingprocessedby"] == ["MPS Import::EnableOrganizationForHosting"]
    assert out["organizationType"] == "Customer"
    assert read(f"CN=CustomerAdministrators,{LITWARE}") is not None
    call(
        "cm-admin", "MPS Import::EnableOrganizationForHosting", {"path": f"LDAP://{LITWARE}"}
    )  # again: no change
    assert read(LITWARE)["hostingprocessedby"] == ["MPS Import::EnableOrganizationForHosting"]
    assert (
        call("cm-admin", "MPS Import::EnableCustomerForPlans", {"path": f"LDAP://{LITWARE}"})[
            "customerTypeName"
        ]
        == "BusinessOrganization"
    )


def test_enable_organization_refused_outside_scope(call):
    with pytest.raises(AccessDenied):
        call("contoso-admin", "MPS Import::EnableOrganizationForHosting", {"path": f"LDAP://{LITWARE}"})


def test_enable_reseller_level_needs_domain_admins(call, organization_factory, read):
    dn = organization_factory("Plain", HOSTING)
    call("administrator", "MPS Import::EnableOrganizationForHosting", {"path": f"LDAP://{dn}"})
    assert read(dn)["hostingorganizationtype"] == ["Reseller"]


def test_enable_organization_refused_below_a_non_compliant_parent(call, organization_factory):
    dn = organization_factory("Sub", LITWARE)
    with pytest.raises(PrerequisiteFailed):
        call("cm-admin", "MPS Import::EnableOrganizationForHosting", {"path": f"LDAP://{dn}"})


def test_enable_user_makes_a_plain_person_compliant_named_by_its_upn(call, read, plain_person):
    out = call(
        "alpine-admin",
        "MPS Import::EnableUserForHosting",
        {
            "path": f"LDAP://{plain_person}",
            "userPrincipalName": "jimc@alpineskihouse.com",
            "customerTypeName": "BusinessUser",
        },
    )
    dn = f"CN=jimc@alpineskihouse.com,{ALPINE}"
    entry = read(dn)
    assert "hostingUser" in entry["objectclass"]
    assert entry["uid"] == ["jimc"]
    assert entry["hostingprocessedby"] == ["MPS Import::EnableUserForHosting"]
    assert (out["path"], out["customerTypeName"]) == (f"LDAP://{dn}", "BusinessUser")
    assert not CustomerRecord.objects.exists()  # enabling does not register
    assert authenticate(None, username="jimc@alpineskihouse.com", password=PASSWORD) is not None


def test_enable_user_without_a_upn_keeps_its_name(call, read, plain_person):
    call("alpine-admin", "MPS Import::EnableUserForHosting", {"path": f"LDAP://{plain_person}"})
    assert read(plain_person)["uid"] == ["jimc"]


def test_enable_user_refused_in_another_resellers_customer(call, user_factory):
    dn = user_factory("Plain Person", f"OU=Northwind,{CONTOSO}")
    with pytest.raises(AccessDenied):
        call("cm-admin", "MPS Import::EnableUserForHosting", {"path": f"LDAP://{dn}"})
