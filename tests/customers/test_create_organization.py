"""Managed Active Directory::CreateOrganization through the real slapd."""

from __future__ import annotations

import pytest

from portal.errors import AccessDenied, Conflict, InvalidArgument, PrerequisiteFailed, UnknownDomainController
from tests.conftest import CM, CONTOSO, HOSTING, PASSWORD

pytestmark = pytest.mark.django_db

CREATE = "Managed Active Directory::CreateOrganization"


def test_customer_created_by_reseller_is_compliant_with_its_group(call, read):
    out = call(
        "cm-admin", CREATE, {"parentPath": f"LDAP://{CM}", "name": "Fourth Coffee", "type": "Customer"}
    )
    dn = f"OU=Fourth Coffee,{CM}"
    assert out["path"] == f"LDAP://{dn}"
    entry = read(dn)
    assert {"organizationalUnit", "hostingOrganization"} <= set(entry["objectclass"])
    assert entry["hostingorganizationtype"] == ["Customer"]
    assert entry["hostingprocessedby"] == [CREATE]
    assert out["GUID"] == "{" + entry["entryuuid"][0] + "}"
    group = read(f"CN=CustomerAdministrators,{dn}")
    assert group["objectclass"] == ["hostingGroup"]


def test_created_customer_passes_enable_customer_for_plans(call):
    call("cm-admin", CREATE, {"parentPath": f"LDAP://{CM}", "name": "Fourth Coffee", "type": "Customer"})
    out = call("cm-admin", "MPS Import::EnableCustomerForPlans", {"path": f"LDAP://OU=Fourth Coffee,{CM}"})
    assert out["customerTypeName"] == "BusinessOrganization"


def test_reseller_created_by_domain_admin_gets_org_creators_group(call, read):
    call("administrator", CREATE, {"parentPath": f"LDAP://{HOSTING}", "name": "Tailspin", "type": "Reseller"})
    assert read(f"OU=Tailspin,{HOSTING}")["hostingorganizationtype"] == ["Reseller"]
    assert read(f"CN=OrgCreators,OU=Tailspin,{HOSTING}") is not None


def test_reseller_refused_for_org_creators(call, read):
    with pytest.raises(AccessDenied, match="DomainAdmins"):
        call("cm-admin", CREATE, {"parentPath": f"LDAP://{CM}", "name": "Sub", "type": "Reseller"})
    assert read(f"OU=Sub,{CM}") is None


def test_customer_refused_at_the_reseller_level(call, read):
    with pytest.raises(PrerequisiteFailed, match="A Customer organization cannot be created"):
        call("administrator", CREATE, {"parentPath": f"LDAP://{HOSTING}", "name": "X", "type": "Customer"})
    assert read(f"OU=X,{HOSTING}") is None


def test_organization_refused_below_a_customer(call):
    alpine = f"OU=AlpineSkiHouse,{CM}"
    with pytest.raises(PrerequisiteFailed, match="is not a place for an organization"):
        call("administrator", CREATE, {"parentPath": f"LDAP://{alpine}", "name": "X", "type": "Customer"})


def test_customer_refused_below_a_non_compliant_reseller(call, organization_factory):
    organization_factory("Plain", HOSTING)
    with pytest.raises(PrerequisiteFailed, match="not a reseller compliant"):
        call(
            "administrator",
            CREATE,
            {"parentPath": f"LDAP://ou=Plain,{HOSTING}", "name": "X", "type": "Customer"},
        )


def test_duplicate_name_refused_in_any_letter_case(call):
    with pytest.raises(Conflict, match="already exists"):
        call("cm-admin", CREATE, {"parentPath": f"LDAP://{CM}", "name": "alpineskihouse", "type": "Customer"})


def test_other_resellers_tree_refused(call, read):
    with pytest.raises(AccessDenied, match="outside the scope of cm-admin"):
        call("cm-admin", CREATE, {"parentPath": f"LDAP://{CONTOSO}", "name": "Stolen", "type": "Customer"})
    assert read(f"OU=Stolen,{CONTOSO}") is None


def test_customer_administrators_refused(call):
    with pytest.raises(AccessDenied, match="outside the scope of alpine-admin"):
        call("alpine-admin", CREATE, {"parentPath": f"LDAP://{CM}", "name": "X", "type": "Customer"})


def test_unknown_domain_controller_refused(call, read):
    with pytest.raises(UnknownDomainController, match="AD99"):
        call(
            "cm-admin",
            CREATE,
            {
                "parentPath": f"LDAP://{CM}",
                "name": "X",
                "type": "Customer",
                "preferredDomainController": "AD99.x",
            },
        )
    assert read(f"OU=X,{CM}") is None


@pytest.mark.parametrize("name", ["Evil,OU=Hosting", "x)(cn=*", "#lead", "a+b=c;d\\e", " ", "x" * 65])
def test_hostile_names_stay_inside_their_parent(call, read, ldap_admin, name):
    import ldap

    try:
        out = call("cm-admin", CREATE, {"parentPath": f"LDAP://{CM}", "name": name, "type": "Customer"})
    except InvalidArgument:
        assert name.strip() == "" or len(name) > 64
        return
    dn = out["path"][len("LDAP://") :]
    assert ldap.dn.str2dn(dn)[1:] == ldap.dn.str2dn(CM)
    assert read(dn)["ou"] == [name]
    # nothing escaped into the hosting root or the reseller level
    resellers = ldap_admin.search_s(HOSTING, ldap.SCOPE_ONELEVEL, "(objectClass=organizationalUnit)", ["ou"])
    assert sorted(attrs["ou"][0].decode() for _, attrs in resellers) == ["ConsolidatedMessenger", "Contoso"]


def test_rest_and_mps_doors_create_the_same(api, mps, read):
    response = api(
        "post",
        "/api/procedures/",
        json={
            "namespace": "Managed Active Directory",
            "procedure": "CreateOrganization",
            "executeData": {
                "parentPath": f"LDAP://{CM}",
                "name": "Via Rest",
                "type": "Customer",
                "preferredDomainController": "AD01.fabrikam.com",
            },
        },
        user="cm-admin",
        password=PASSWORD,
    )
    assert response.status_code == 200, response.content
    assert read(f"OU=Via Rest,{CM}")["hostingorganizationtype"] == ["Customer"]
    body = f"""<request><procedure>
    <execute namespace="Managed Active Directory" procedure="CreateOrganization"><executeData>
      <parentPath>LDAP://{CM}</parentPath><name>Via Mps</name><type>customer</type>
      <preferredDomainController>AD01.fabrikam.com</preferredDomainController></executeData>
    </execute></procedure></request>"""
    response = mps(body, "cm-admin")
    assert response.status_code == 200, response.content
    assert b"<path>LDAP://OU=Via Mps," in response.content
    assert read(f"OU=Via Mps,{CM}") is not None
