"""/api/organizations/ and /api/users/: read-only, filtered by the caller's scope."""

from __future__ import annotations

import pytest

from tests.conftest import ALPINE, CM, CONTOSO, NORTHWIND

pytestmark = pytest.mark.django_db


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["name"] for item in response.json()["results"]}


def test_reseller_sees_its_own_customers_and_none_of_another_resellers(api):
    seen = names(api("get", "/api/organizations/", user="cm-admin"))
    assert {"ConsolidatedMessenger", "AlpineSkiHouse", "Litware"} <= seen
    assert not seen & {"Contoso", "Northwind", "Hosting"}
    users = names(api("get", "/api/users/", user="cm-admin"))
    assert "Jane Smith" in users
    assert "Bob Kelly" not in users and "contoso-admin" not in users


def test_domain_admins_see_the_whole_tree(api):
    seen = names(api("get", "/api/organizations/?limit=500", user="administrator"))
    assert {"Hosting", "ConsolidatedMessenger", "Contoso", "AlpineSkiHouse", "Northwind", "Litware"} <= seen


def test_customer_administrator_sees_its_own_users_only(api):
    assert names(api("get", "/api/users/", user="alpine-admin")) == {"Jane Smith", "alpine-admin"}
    assert names(api("get", "/api/organizations/", user="alpine-admin")) == {"AlpineSkiHouse"}


def test_retrieve_by_guid_in_both_forms(api, gateway):
    guid = gateway.get(ALPINE).guid
    braced = api("get", f"/api/organizations/{{{guid}}}/", user="cm-admin")
    assert braced.status_code == 200
    assert braced.json()["organizationType"] == "Customer"
    assert braced.json()["parent"] == f"LDAP://{CM}"
    octets = api("get", f"/api/organizations/{guid.bytes_le.hex()}/", user="cm-admin")
    assert octets.json()["path"] == braced.json()["path"]


def test_retrieve_of_another_resellers_object_is_not_found(api, gateway):
    guid = gateway.get(NORTHWIND).guid
    assert api("get", f"/api/organizations/{{{guid}}}/", user="cm-admin").status_code == 404
    bob = gateway.get(f"CN=Bob Kelly,{NORTHWIND}").guid
    assert api("get", f"/api/users/{{{bob}}}/", user="cm-admin").status_code == 404
    assert api("get", f"/api/users/{{{bob}}}/", user="contoso-admin").status_code == 200


def test_filter_by_parent_and_name(api, gateway):
    assert names(api("get", f"/api/organizations/?parent=LDAP://{CM}", user="cm-admin")) == {
        "AlpineSkiHouse",
        "Litware",
    }
    guid = gateway.get(ALPINE).guid
    assert names(api("get", f"/api/users/?parent={{{guid}}}", user="cm-admin")) == {
        "Jane Smith",
        "alpine-admin",
    }
    assert names(api("get", "/api/users/?name=jane smith", user="cm-admin")) == {"Jane Smith"}
    # a parent outside the caller's scope shows nothing
    assert names(api("get", f"/api/organizations/?parent=LDAP://{CONTOSO}", user="cm-admin")) == set()


def test_hostile_name_filter_matches_nothing_extra(api):
    assert names(api("get", "/api/users/?name=*", user="administrator")) == set()
    assert names(api("get", "/api/users/?name=x)(cn=*", user="administrator")) == set()


def test_user_resource_never_shows_the_password(api, gateway):
    jane = gateway.get(f"CN=Jane Smith,{ALPINE}").guid
    body = api("get", f"/api/users/{{{jane}}}/", user="alpine-admin").json()
    assert body["userPrincipalName"] == "jane.smith@alpineskihouse.com"
    assert "SSHA" not in str(body) and "password" not in str(body).lower()


def test_resources_are_in_the_openapi_schema(api):
    response = api("get", "/api/schema/", user="administrator")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/organizations/{guid}/" in text and "/api/users/" in text
