"""Managed Active Directory::CreateUser through the real slapd, proven by real logins."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import authenticate

from portal.errors import AccessDenied, Conflict, InvalidArgument, PrerequisiteFailed
from portal.models import AuditRecord
from tests.conftest import ALPINE, CM, LITWARE, NORTHWIND
from tests.customers.conftest import STRONG

pytestmark = pytest.mark.django_db

CREATE = "Managed Active Directory::CreateUser"
ANN = "ann.lee@alpineskihouse.com"


def user(org: str = ALPINE, upn: str = ANN, **more) -> dict:
    return {"container": f"LDAP://{org}", "userPrincipalName": upn, "newPassword": STRONG, **more}


def test_created_user_is_named_by_its_upn_and_logs_in_by_upn_and_sam_account_name(call, read):
    out = call(
        "alpine-admin",
        CREATE,
        user(
            sAMAccountName="annl",
            givenName="Ann",
            sn="Lee",
            middleName="Marie",
            initials="AML",
            description="Sales",
            properties={"property": [{"@name": "otherHomePhone", "value": ["425-555-1212", "206-555-1212"]}]},
        ),
    )
    dn = f"CN={ANN},{ALPINE}"
    assert out == {
        "user": {"@path": f"LDAP://{dn}", "@name": ANN, "@samName": "annl", "@GUID": out["user"]["@GUID"]}
    }
    entry = read(dn, ["*", "entryUUID"])
    assert out["user"]["@GUID"] == "{" + entry["entryuuid"][0] + "}"
    assert {"inetOrgPerson", "hostingUser"} <= set(entry["objectclass"])
    assert (entry["uid"], entry["samaccountname"], entry["sn"], entry["middlename"]) == (
        ["annl"],
        ["annl"],
        ["Lee"],
        ["Marie"],
    )
    assert sorted(entry["otherhomephone"]) == ["206-555-1212", "425-555-1212"]
    assert entry["hostingprocessedby"] == [CREATE]
    if settings.DIRECTORY["FLAVOR"] == "openldap":  # AD never answers its password attribute
        assert entry["userpassword"][0].startswith("{SSHA}")
    by_sam = authenticate(None, username="annl", password=STRONG)
    by_upn = authenticate(None, username=ANN, password=STRONG)
    assert by_sam is not None and by_upn is not None
    assert by_sam.pk == by_upn.pk
    assert by_sam.directory_dn.lower() == dn.lower()
    assert authenticate(None, username="annl", password="Wrong-Passw0rd") is None


def test_sam_account_name_defaults_to_the_upn_before_the_at(call, read):
    out = call("alpine-admin", CREATE, user())
    assert out["user"]["@samName"] == "ann.lee"
    assert read(f"CN={ANN},{ALPINE}")["uid"] == ["ann.lee"]


def test_user_without_a_password_exists_but_cannot_log_in(call, read):
    data = user()
    del data["newPassword"]
    call("alpine-admin", CREATE, data)
    assert "userpassword" not in read(f"CN={ANN},{ALPINE}", ["*"])
    assert authenticate(None, username=ANN, password="") is None


def test_password_is_masked_in_the_audit_and_absent_from_the_database(call):
    call("alpine-admin", CREATE, user())
    record = AuditRecord.objects.get(procedure="CreateUser")
    assert record.input["newPassword"] == "***"
    assert STRONG not in str(record.output)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            assert all(STRONG not in str(row) for row in cursor.fetchall()), table


def test_created_user_passes_enable_customer_for_plans(call):
    call("alpine-admin", CREATE, user())
    out = call("alpine-admin", "MPS Import::EnableCustomerForPlans", {"path": f"LDAP://CN={ANN},{ALPINE}"})
    assert out["customerTypeName"] == "BusinessUser"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt!", "too short"),
        ("alllowercase1", "too simple"),
        ("xAnn.Lee9!x", "may not contain the user's name"),
    ],
)
def test_weak_password_refused_with_the_rule_it_breaks(call, read, password, message):
    with pytest.raises(InvalidArgument, match=message) as caught:
        call("alpine-admin", CREATE, {**user(), "newPassword": password})
    assert caught.value.field == "newPassword"
    assert password not in caught.value.text
    assert read(f"CN={ANN},{ALPINE}") is None


def test_policy_name_must_match_the_container(call, read):
    with pytest.raises(PrerequisiteFailed, match="not of the policy reseller"):
        call("alpine-admin", CREATE, user(policyName="reseller"))
    call("alpine-admin", CREATE, user(policyName="customer"))
    assert read(f"CN={ANN},{ALPINE}") is not None


def test_property_the_portal_does_not_set_is_refused_by_name(call, read):
    with pytest.raises(InvalidArgument, match='<property name="userAccountControl"> is not a property'):
        call(
            "alpine-admin",
            CREATE,
            user(properties={"property": {"@name": "userAccountControl", "value": "512"}}),
        )
    assert read(f"CN={ANN},{ALPINE}") is None


def test_logon_name_used_anywhere_in_the_tree_refused(call, read):
    with pytest.raises(Conflict, match="already logs in as"):
        call("alpine-admin", CREATE, user(upn="jane.smith@alpineskihouse.com"))
    # Bob Kelly lives under another reseller: still refused, login must find one user only
    with pytest.raises(Conflict, match="already logs in as"):
        call("cm-admin", CREATE, user(org=CM, upn="bk@consolidatedmessenger.com", sAMAccountName="bob.kelly"))
    assert read(f"CN=jane.smith@alpineskihouse.com,{ALPINE}") is None


def test_user_outside_the_callers_organization_refused(call):
    with pytest.raises(AccessDenied, match="outside the scope of alpine-admin"):
        call("alpine-admin", CREATE, user(org=CM, upn="x@cm.com"))
    with pytest.raises(AccessDenied, match="outside the scope of cm-admin"):
        call("cm-admin", CREATE, user(org=NORTHWIND, upn="x@northwind.com"))


def test_user_refused_in_a_non_compliant_organization(call):
    with pytest.raises(PrerequisiteFailed, match="cannot hold users"):
        call("cm-admin", CREATE, user(org=LITWARE, upn="x@litware.com"))


@pytest.mark.parametrize("upn", ["two words", "a@b@c.com", "x@nodot"])
def test_bad_logon_name_refused(call, upn):
    with pytest.raises(InvalidArgument, match=r"name@domain\.com"):
        call("alpine-admin", CREATE, user(upn=upn))


def test_hostile_user_principal_names_stay_escaped(call, read):
    out = call("alpine-admin", CREATE, user(upn="x)(cn=*@alpineskihouse.com", sAMAccountName="weird"))
    assert read(out["user"]["@path"][7:])["cn"] == ["x)(cn=*@alpineskihouse.com"]
    # the uniqueness search did not match everyone: another user with a filter-like name is fine
    call("alpine-admin", CREATE, user(upn="*@alpineskihouse.com", sAMAccountName="star"))
    out = call("alpine-admin", CREATE, user(upn="Evil,OU=Hosting@alpineskihouse.com", sAMAccountName="evil"))
    assert out["user"]["@path"].endswith(f",{ALPINE}")
    assert read(f"OU=Hosting,{ALPINE}") is None
