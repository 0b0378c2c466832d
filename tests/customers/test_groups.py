"""Managed Active Directory::GroupAdd and ::GroupRemove: naming an organization's administrators."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from portal.errors import AccessDenied, InvalidArgument, NotFound
from tests.conftest import ALPINE, CM, DC, JANE, NORTHWIND
from tests.customers.conftest import STRONG, fail_procedure

pytestmark = pytest.mark.django_db

ALPINE_ADMINS = f"CN=CustomerAdministrators,{ALPINE}"
CM_CREATORS = f"CN=OrgCreators,{CM}"
ALPINE_ADMIN = f"CN=alpine-admin,{ALPINE}"


def members(read, group: str) -> set[str]:
    return {dn.lower() for dn in (read(group) or {}).get("member", [])}


def test_a_reseller_makes_a_customer_user_its_administrator_who_then_logs_in_as_one(call, read, ldap_admin):
    ldap_admin.modify_s(JANE, [(2, "userPassword", [STRONG.encode()])])  # MOD_REPLACE: a known password
    before = authenticate(None, username="Jane Smith", password=STRONG)
    assert before is not None and not before.groups.exists()

    answer = call(
        "cm-admin",
        "Managed Active Directory::GroupAdd",
        {"group": f"LDAP://{ALPINE_ADMINS}", "newMember": f"LDAP://{JANE}"},
    )

    assert answer["newMember"] == f"LDAP://{JANE}"
    assert JANE.lower() in members(read, ALPINE_ADMINS)
    assert ALPINE_ADMIN.lower() in members(read, ALPINE_ADMINS)  # the others stay
    jane = authenticate(None, username="Jane Smith", password=STRONG)
    assert list(jane.groups.values_list("name", flat=True)) == ["CustomerAdministrators"]


def test_adding_a_member_twice_changes_nothing_the_second_time(call, read):
    data = {"group": f"LDAP://{ALPINE_ADMINS}", "newMember": f"LDAP://{JANE}"}
    call("cm-admin", "Managed Active Directory::GroupAdd", data)
    call("alpine-admin", "Managed Active Directory::GroupAdd", data)
    assert sorted(members(read, ALPINE_ADMINS)) == sorted({JANE.lower(), ALPINE_ADMIN.lower()})


def test_remove_takes_the_member_out_and_repeating_it_is_harmless(call, read):
    call(
        "cm-admin",
        "Managed Active Directory::GroupAdd",
        {"group": f"LDAP://{ALPINE_ADMINS}", "newMember": f"LDAP://{JANE}"},
    )
    for _ in range(2):
        call(
            "alpine-admin",
            "Managed Active Directory::GroupRemove",
            {"group": f"LDAP://{ALPINE_ADMINS}", "member": f"LDAP://{JANE}"},
        )
        assert members(read, ALPINE_ADMINS) == {ALPINE_ADMIN.lower()}


def test_removing_the_last_member_leaves_an_empty_group(call, read):
    call(
        "cm-admin",
        "Managed Active Directory::GroupRemove",
        {"group": f"LDAP://{ALPINE_ADMINS}", "member": f"LDAP://{ALPINE_ADMIN}"},
    )
    group = read(ALPINE_ADMINS)
    assert group is not None and "member" not in group


def test_nobody_takes_their_own_account_out(call, read):
    with pytest.raises(AccessDenied, match="its own account"):
        call(
            "alpine-admin",
            "Managed Active Directory::GroupRemove",
            {"group": f"LDAP://{ALPINE_ADMINS}", "member": f"LDAP://{ALPINE_ADMIN}"},
        )
    assert ALPINE_ADMIN.lower() in members(read, ALPINE_ADMINS)


def test_a_customer_administrator_cannot_grant_a_role_above_its_own(call, read, group_factory):
    # a group named like a higher role inside the customer's own organization
    group_factory("OrgCreators", ALPINE)
    with pytest.raises(AccessDenied, match="does not hold that role"):
        call(
            "alpine-admin",
            "Managed Active Directory::GroupAdd",
            {"group": f"LDAP://CN=OrgCreators,{ALPINE}", "newMember": f"LDAP://{JANE}"},
        )
    assert members(read, f"CN=OrgCreators,{ALPINE}") == set()


def test_outside_the_scope_is_refused_before_anything_is_read(call, read):
    with pytest.raises(AccessDenied, match="outside the scope of cm-admin"):
        call(
            "cm-admin",
            "Managed Active Directory::GroupAdd",
            {
                "group": f"LDAP://CN=CustomerAdministrators,{NORTHWIND}",
                "newMember": f"LDAP://CN=Bob Kelly,{NORTHWIND}",
            },
        )
    with pytest.raises(AccessDenied, match="outside the scope of alpine-admin"):
        call(
            "alpine-admin",
            "Managed Active Directory::GroupAdd",
            {"group": f"LDAP://{CM_CREATORS}", "newMember": f"LDAP://{JANE}"},
        )
    assert members(read, CM_CREATORS) == {f"cn=cm-admin,{CM}".lower()}


def test_the_member_must_be_a_user_of_the_groups_organization(call, read):
    with pytest.raises(InvalidArgument, match="is not a user of the group's organization"):
        call(
            "cm-admin",
            "Managed Active Directory::GroupAdd",
            {"group": f"LDAP://{CM_CREATORS}", "newMember": f"LDAP://{JANE}"},
        )
    with pytest.raises(InvalidArgument, match="is not a user"):
        call(
            "cm-admin",
            "Managed Active Directory::GroupAdd",
            {"group": f"LDAP://{ALPINE_ADMINS}", "newMember": f"LDAP://{ALPINE}"},
        )
    with pytest.raises(InvalidArgument, match="is not a group"):
        call(
            "cm-admin",
            "Managed Active Directory::GroupAdd",
            {"group": f"LDAP://{JANE}", "newMember": f"LDAP://{JANE}"},
        )
    with pytest.raises(NotFound, match="does not exist"):
        call(
            "cm-admin",
            "Managed Active Directory::GroupAdd",
            {"group": f"LDAP://CN=Nobody,{ALPINE}", "newMember": f"LDAP://{JANE}"},
        )
    assert JANE.lower() not in members(read, CM_CREATORS)


def test_a_failure_later_in_the_request_undoes_the_membership(mps, read):
    body = f"""<request><procedure>
      <execute namespace="Managed Active Directory" procedure="GroupAdd" impersonate="1">
        <executeData><group>LDAP://{ALPINE_ADMINS}</group><newMember>LDAP://{JANE}</newMember>
          <preferredDomainController>{DC}</preferredDomainController></executeData>
      </execute>
      <execute namespace="Managed Active Directory" procedure="DeleteUser" impersonate="1">
        <executeData><path>LDAP://{JANE}</path><preferredDomainController>{DC}</preferredDomainController></executeData>
      </execute>
    </procedure></request>"""
    with fail_procedure("Managed Active Directory::DeleteUser"):
        response = mps(body, "cm-admin")
    assert response.status_code == 500
    assert members(read, ALPINE_ADMINS) == {ALPINE_ADMIN.lower()}


def test_the_rest_door_runs_the_same_procedure(api, read):
    response = api(
        "post",
        "/api/procedures/",
        json={
            "namespace": "Managed Active Directory",
            "procedure": "GroupAdd",
            "executeData": {
                "group": f"LDAP://{ALPINE_ADMINS}",
                "newMember": f"LDAP://{JANE}",
                "preferredDomainController": DC,
            },
        },
        user="alpine-admin",
    )
    assert response.status_code == 200, response.content
    assert JANE.lower() in members(read, ALPINE_ADMINS)


def user_page_url(gateway, dn: str) -> str:
    return f"/organizations/users/{gateway.get(dn).guid}/"


def test_the_user_page_makes_and_unmakes_an_administrator(browser, gateway, read):
    client = browser("cm-admin")
    url = user_page_url(gateway, JANE)
    page = client.get(url).content.decode()
    assert "Not an administrator of AlpineSkiHouse." in page
    assert "Make an administrator (CustomerAdministrators)" in page

    response = client.post(url + "administrator/", {"action": "add"}, follow=True)
    page = response.content.decode()
    assert "Jane Smith is now an administrator of AlpineSkiHouse (CustomerAdministrators)." in page
    assert "An administrator of AlpineSkiHouse (CustomerAdministrators)." in page
    assert JANE.lower() in members(read, ALPINE_ADMINS)

    asked = client.post(url + "administrator/", {"action": "remove"}).content.decode()
    assert "Take Jane Smith out of CustomerAdministrators?" in asked
    assert JANE.lower() in members(read, ALPINE_ADMINS)  # nothing happens before the answer
    response = client.post(url + "administrator/", {"action": "remove", "confirmed": "yes"}, follow=True)
    assert "Jane Smith is no longer an administrator of AlpineSkiHouse." in response.content.decode()
    assert JANE.lower() not in members(read, ALPINE_ADMINS)


def test_the_page_offers_no_change_to_ones_own_membership(browser, gateway, read):
    client = browser("alpine-admin")
    url = user_page_url(gateway, ALPINE_ADMIN)
    page = client.get(url).content.decode()
    assert "An administrator of AlpineSkiHouse (CustomerAdministrators)." in page
    assert "Take out of CustomerAdministrators" not in page
    # posting anyway is refused by the engine, in plain words, and changes nothing
    response = client.post(url + "administrator/", {"action": "remove", "confirmed": "yes"}, follow=True)
    assert "may not take its own account out of a group" in response.content.decode()
    assert ALPINE_ADMIN.lower() in members(read, ALPINE_ADMINS)


def test_another_resellers_user_is_not_found(browser, gateway, read):
    response = browser("cm-admin").post(
        user_page_url(gateway, f"CN=Bob Kelly,{NORTHWIND}") + "administrator/", {"action": "add"}
    )
    assert response.status_code == 404
    assert members(read, f"CN=CustomerAdministrators,{NORTHWIND}") == set()


def test_user_lists_offer_delete_only_where_the_engine_allows_it(browser, gateway):
    client = browser("alpine-admin")
    page = client.get("/organizations/users/").content.decode()
    assert 'aria-label="Delete Jane Smith"' in page
    assert 'aria-label="Delete alpine-admin"' not in page  # its own account
    page = client.get(f"/organizations/{gateway.get(ALPINE).guid}/").content.decode()
    assert 'aria-label="Delete Jane Smith"' in page
    assert 'aria-label="Delete alpine-admin"' not in page
