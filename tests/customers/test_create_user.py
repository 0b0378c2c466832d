"""Managed Active Directory::CreateUser through the real slapd, proven by real logins."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from portal.errors import AccessDenied, Conflict, InvalidArgument, PrerequisiteFailed
from portal.models import AuditRecord
from tests.conftest import ALPINE, CM, LITWARE, NORTHWIND
from tests.customers.conftest import STRONG

pytestmark = pytest.mark.django_db

CREATE = "Managed Active Directory::CreateUser"


def user(org: str = ALPINE, name: str = "Ann Lee", upn: str = "ann.lee@alpineskihouse.com", **more) -> dict:
    return {
        "organization": f"LDAP://{org}",
        "name": name,
        "userPrincipalName": upn,
        "password": STRONG,
        **more,
    }


def test_created_user_logs_in_by_name_and_by_user_principal_name(call, read, directory_flavor):
    out = call("alpine-admin", CREATE, user(givenName="Ann", surname="Lee", mail="ann@alpineskihouse.com"))
    dn = f"CN=Ann Lee,{ALPINE}"
    assert out["path"] == f"LDAP://{dn}"
    assert "password" not in out
    entry = read(dn, ["*"])
    assert {"inetOrgPerson", "hostingUser"} <= set(entry["objectclass"])
    assert entry["uid"] == ["Ann Lee"]
    assert entry["hostingprocessedby"] == [CREATE]
    if directory_flavor == "ad":
        assert "userpassword" not in entry and "unicodepwd" not in entry  # AD never shows one
    else:
        assert entry["userpassword"][0].startswith("{SSHA}")
        assert STRONG not in entry["userpassword"][0]
    by_name = authenticate(None, username="Ann Lee", password=STRONG)
    by_upn = authenticate(None, username="ann.lee@alpineskihouse.com", password=STRONG)
    assert by_name is not None and by_upn is not None
    assert by_name.pk == by_upn.pk
    assert by_name.directory_dn.lower() == dn.lower()
    assert authenticate(None, username="Ann Lee", password="Wrong-Passw0rd") is None


def test_password_is_masked_in_the_audit_and_absent_from_the_database(call):
    call("alpine-admin", CREATE, user())
    record = AuditRecord.objects.get(procedure="CreateUser")
    assert record.input["password"] == "***"
    assert STRONG not in str(record.output)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            assert all(STRONG not in str(row) for row in cursor.fetchall()), table


def test_created_user_passes_enable_customer_for_plans(call):
    call("alpine-admin", CREATE, user())
    out = call("alpine-admin", "MPS Import::EnableCustomerForPlans", {"path": f"LDAP://CN=Ann Lee,{ALPINE}"})
    assert out["customerTypeName"] == "BusinessUser"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt!", "too short"),
        ("alllowercase1", "too simple"),
        ("xAnn Lee9!x", "may not contain the user's name"),
        ("Ann.Lee-2024", "may not contain the user's name"),
    ],
)
def test_weak_password_refused_with_the_rule_it_breaks(call, read, password, message):
    with pytest.raises(InvalidArgument, match=message) as caught:
        call("alpine-admin", CREATE, {**user(upn="ann.lee@alpineskihouse.com"), "password": password})
    assert caught.value.field == "password"
    assert read(f"CN=Ann Lee,{ALPINE}") is None


def test_name_or_logon_name_used_anywhere_in_the_tree_refused(call, read):
    with pytest.raises(Conflict, match="already logs in as"):
        call("alpine-admin", CREATE, user(name="Someone", upn="jane.smith@alpineskihouse.com"))
    # Bob Kelly lives under another reseller: still refused, login must find one user only
    with pytest.raises(Conflict, match="already logs in as"):
        call("cm-admin", CREATE, user(org=CM, name="bob.kelly", upn="bk@consolidatedmessenger.com"))
    assert read(f"CN=Someone,{ALPINE}") is None


def test_user_outside_the_callers_organization_refused(call):
    with pytest.raises(AccessDenied, match="outside the scope of alpine-admin"):
        call("alpine-admin", CREATE, user(org=CM, upn="x@cm.com"))
    with pytest.raises(AccessDenied, match="outside the scope of cm-admin"):
        call("cm-admin", CREATE, user(org=NORTHWIND, upn="x@northwind.com"))


def test_user_refused_in_a_non_compliant_organization(call):
    with pytest.raises(PrerequisiteFailed, match="cannot hold users"):
        call("cm-admin", CREATE, user(org=LITWARE, upn="x@litware.com"))


def test_bad_logon_name_refused(call):
    with pytest.raises(InvalidArgument, match=r"name@domain\.com"):
        call("alpine-admin", CREATE, user(upn="not-an-upn"))


def test_hostile_user_name_and_filter_characters_stay_escaped(call, read, directory_flavor):
    if directory_flavor == "ad":
        # AD's logon names may not hold = , + * and the like: a clear refusal, nothing created
        with pytest.raises(InvalidArgument, match="invalid '=' character"):
            call("alpine-admin", CREATE, user(name="x)(cn=*", upn="weird@alpineskihouse.com"))
        assert read(f"CN=x)(cn\\=*,{ALPINE}") is None
        out = call("alpine-admin", CREATE, user(name="x)(cn", upn="weird@alpineskihouse.com"))
        assert read(out["path"][7:])["cn"] == ["x)(cn"]
        call("alpine-admin", CREATE, user(name="(x)", upn="paren@alpineskihouse.com"))
        return
    out = call("alpine-admin", CREATE, user(name="x)(cn=*", upn="weird@alpineskihouse.com"))
    assert read(out["path"][7:])["cn"] == ["x)(cn=*"]
    # the uniqueness search did not match everyone: another user with a filter-like name is fine
    call("alpine-admin", CREATE, user(name="*", upn="star@alpineskihouse.com"))
    out = call("alpine-admin", CREATE, user(name="Evil,OU=Hosting", upn="evil@alpineskihouse.com"))
    assert out["path"].endswith(f",{ALPINE}")
    assert read(f"OU=Hosting,{ALPINE}") is None
