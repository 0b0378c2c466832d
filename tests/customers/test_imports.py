"""MPS Import::ImportOrganization, ::ImportUser, ::EnableOrganizationForHosting,
::EnableUserForHosting."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from portal.engine import InternalError
from portal.errors import AccessDenied, Conflict, InvalidArgument, PrerequisiteFailed
from tests.conftest import ALPINE, CM, CONTOSO, HOSTING, LITWARE, PASSWORD
from tests.customers.conftest import IMPORTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def outside_ou(organization_factory):
    return organization_factory("Woodgrove", IMPORTS, description="Bank")


@pytest.fixture
def outside_user(user_factory):
    return user_factory(
        "Kim Ralls", IMPORTS, login="kim.ralls", password=PASSWORD, telephoneNumber="+1 555 0100"
    )


def guid_of(read, dn):
    return read(dn)["entryuuid"][0]


def test_import_organization_as_customer_keeps_guid_and_attributes(call, read, outside_ou):
    guid = guid_of(read, outside_ou)
    out = call(
        "administrator",
        "MPS Import::ImportOrganization",
        {"path": f"LDAP://{outside_ou}", "parentPath": f"LDAP://{CM}"},
    )
    new_dn = f"ou=Woodgrove,{CM}"
    entry = read(new_dn)
    assert read(outside_ou) is None
    assert entry["entryuuid"] == [guid]
    assert entry["description"] == ["Bank"]
    assert entry["hostingorganizationtype"] == ["Customer"]
    assert entry["hostingprocessedby"] == ["MPS Import::ImportOrganization"]
    assert out["organizationType"] == "Customer"
    assert read(f"CN=CustomerAdministrators,{new_dn}") is not None
    out = call("cm-admin", "MPS Import::EnableCustomerForPlans", {"path": f"LDAP://{new_dn}"})
    assert out["customerTypeName"] == "BusinessOrganization"
    from portal.selectors import audit_history

    history = [r.procedure for r in audit_history(dn=new_dn)]
    assert history == ["EnableCustomerForPlans", "ImportOrganization"]  # the move follows the object


def test_import_organization_below_the_root_becomes_a_reseller(call, read, outside_ou):
    call(
        "administrator",
        "MPS Import::ImportOrganization",
        {"path": f"LDAP://{outside_ou}", "parentPath": f"LDAP://{HOSTING}"},
    )
    assert read(f"ou=Woodgrove,{HOSTING}")["hostingorganizationtype"] == ["Reseller"]
    assert read(f"CN=OrgCreators,ou=Woodgrove,{HOSTING}") is not None


def test_import_refused_for_org_creators(call, read, outside_ou):
    with pytest.raises(AccessDenied, match="DomainAdmins"):
        call(
            "cm-admin",
            "MPS Import::ImportOrganization",
            {"path": f"LDAP://{outside_ou}", "parentPath": f"LDAP://{CM}"},
        )
    assert read(outside_ou) is not None


def test_import_refused_from_outside_the_directory_or_inside_the_tree(call):
    with pytest.raises(AccessDenied, match="outside the directory"):
        call(
            "administrator",
            "MPS Import::ImportOrganization",
            {"path": "LDAP://OU=X,DC=other,DC=com", "parentPath": f"LDAP://{CM}"},
        )
    with pytest.raises(InvalidArgument, match="already lies in the hosting tree"):
        call(
            "administrator",
            "MPS Import::ImportOrganization",
            {"path": f"LDAP://{LITWARE}", "parentPath": f"LDAP://{CM}"},
        )


def test_import_refused_where_the_name_exists(call, organization_factory, read):
    dn = organization_factory("Contoso", IMPORTS)
    with pytest.raises(Conflict):
        call(
            "administrator",
            "MPS Import::ImportOrganization",
            {"path": f"LDAP://{dn}", "parentPath": f"LDAP://{HOSTING}"},
        )
    assert read(dn) is not None


def test_import_organization_moved_back_when_its_last_step_fails(call, tree, outside_ou):
    from unittest import mock

    before = tree()
    with (
        mock.patch("hosting.tree.admin_group_ensure", side_effect=RuntimeError("injected")),
        pytest.raises(InternalError),
    ):
        call(
            "administrator",
            "MPS Import::ImportOrganization",
            {"path": f"LDAP://{outside_ou}", "parentPath": f"LDAP://{CM}"},
        )
    assert tree() == before


def test_imported_user_keeps_its_password_and_logs_in(call, read, outside_user):
    guid = guid_of(read, outside_user)
    out = call(
        "administrator",
        "MPS Import::ImportUser",
        {"path": f"LDAP://{outside_user}", "organization": f"LDAP://{ALPINE}"},
    )
    new_dn = f"cn=Kim Ralls,{ALPINE}"
    entry = read(new_dn)
    assert entry["entryuuid"] == [guid]
    assert entry["telephonenumber"] == ["+1 555 0100"]
    assert "hostingUser" in entry["objectclass"]
    assert entry["hostingprocessedby"] == ["MPS Import::ImportUser"]
    assert out["path"].lower() == f"ldap://{new_dn}".lower()
    user = authenticate(None, username="kim.ralls", password=PASSWORD)
    assert user is not None and user.directory_dn.lower() == new_dn.lower()


def test_import_user_refused_when_its_logon_name_is_taken(call, user_factory, read):
    dn = user_factory("Jane Clone", IMPORTS, login="jane.smith")
    with pytest.raises(Conflict, match="already logs in as"):
        call(
            "administrator",
            "MPS Import::ImportUser",
            {"path": f"LDAP://{dn}", "organization": f"LDAP://{ALPINE}"},
        )
    assert read(dn) is not None


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


def test_enable_user_makes_a_plain_person_compliant(call, user_factory, read):
    dn = user_factory("Plain Person", ALPINE, password=PASSWORD)
    call("alpine-admin", "MPS Import::EnableUserForHosting", {"path": f"LDAP://{dn}"})
    entry = read(dn)
    assert "hostingUser" in entry["objectclass"]
    assert entry["uid"] == ["Plain Person"]
    assert entry["hostingprocessedby"] == ["MPS Import::EnableUserForHosting"]
    assert authenticate(None, username="Plain Person", password=PASSWORD) is not None


def test_enable_user_refused_in_another_resellers_customer(call, user_factory):
    dn = user_factory("Plain Person", f"OU=Northwind,{CONTOSO}")
    with pytest.raises(AccessDenied):
        call("cm-admin", "MPS Import::EnableUserForHosting", {"path": f"LDAP://{dn}"})
