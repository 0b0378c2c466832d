"""The REST door: /api/procedures/, /api/customer-records/, the OpenAPI schema."""

from __future__ import annotations

import pytest
from lxml import etree

from hosting.models import CustomerRecord
from tests.conftest import ALPINE, CM, DC, JANE, NORTHWIND
from tests.mps.test_door import SEED_ENABLE

pytestmark = pytest.mark.django_db
URL = "/api/procedures/"


def enable(path, customer_type=None):
    data = {"path": f"LDAP://{path}", "preferredDomainController": DC}
    if customer_type:
        data["customerTypeName"] = customer_type
    return {"namespace": "MPS Import", "procedure": "EnableCustomerForPlans", "executeData": data}


def test_procedure_runs_through_the_engine_and_answers_json(api):
    response = api("post", URL, json=enable(ALPINE), user="cm-admin")
    assert response.status_code == 200
    assert response.json() == {
        "executeData": {
            "path": f"LDAP://{ALPINE}",
            "preferredDomainController": DC,
            "customerTypeName": "BusinessOrganization",
        }
    }
    assert CustomerRecord.objects.get().name == "AlpineSkiHouse"


def test_errors_have_the_same_text_and_status_as_the_xml_door(api, mps):
    xml = etree.fromstring(mps(SEED_ENABLE, "contoso-admin").content)
    seed_args = {
        "path": "LDAP://OU=alpineskihouse,OU=consolidatedmessenger,OU=Hosting,DC=fabrikam,DC=Com",
        "preferredDomainController": "AD01.fabrikam.Com",
        "customerTypeName": "BusinessOrganization",
    }
    call = {"namespace": "MPS Import", "procedure": "EnableCustomerForPlans", "executeData": seed_args}
    response = api("post", URL, json=call, user="contoso-admin")
    assert response.status_code == 403
    body = response.json()["error"]
    assert body["code"] == xml.get("code") == "0x80070005"
    assert body["description"] == xml.findtext("description")
    assert "outside the scope of contoso-admin" in body["description"]
    assert body["sources"] == [{"namespace": "MPS Import", "procedure": "EnableCustomerForPlans"}]


def test_missing_namespace_is_a_clear_400(api):
    response = api("post", URL, json={"procedure": "EnableCustomerForPlans"})
    assert response.status_code == 400
    assert response.json()["error"]["description"] == "namespace: This field is required."


def test_invalid_argument_names_the_field(api):
    response = api("post", URL, json={**enable(ALPINE), "executeData": {"preferredDomainController": DC}})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "path"
    assert response.json()["error"]["description"] == "The argument <path> is required."


def test_unauthenticated_is_401_with_the_error_shape(api):
    response = api("post", URL, json=enable(ALPINE), user=None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "0x8007052E"
    response = api("post", URL, json=enable(ALPINE), password="nope")
    assert response.status_code == 401


def test_procedures_are_listed_with_their_input_schemas(api):
    response = api("get", URL)
    assert response.status_code == 200
    listed = {f"{p['namespace']}::{p['procedure']}": p for p in response.json()}
    enable_schema = listed["MPS Import::EnableCustomerForPlans"]["input"]
    assert [(a["name"], a["cardinality"]) for a in enable_schema] == [
        ("path", "1..1"),
        ("preferredDomainController", "1..1"),
        ("customerTypeName", "0..1"),
    ]
    assert enable_schema[2]["choices"] == [
        "BusinessUser",
        "ConsumerUser",
        "BusinessOrganization",
        "ResellerOrganization",
    ]
    assert "Managed Hosting::GetOrgType" in listed
    assert "Managed Helpers::CreateCustomerRecord_" not in listed  # private


def test_customer_records_are_scoped_to_the_caller(api):
    for path in (ALPINE, JANE, NORTHWIND, CM):
        assert api("post", URL, json=enable(path)).status_code == 200
    everything = api("get", "/api/customer-records/").json()["results"]
    assert len(everything) == 4
    reseller = api("get", "/api/customer-records/", user="cm-admin").json()["results"]
    assert sorted(r["path"] for r in reseller) == sorted(f"LDAP://{p}" for p in (ALPINE, JANE, CM))
    other = api("get", "/api/customer-records/", user="contoso-admin").json()["results"]
    assert [r["path"] for r in other] == [f"LDAP://{NORTHWIND}"]
    customer = api("get", "/api/customer-records/", user="alpine-admin").json()["results"]
    assert sorted(r["customerTypeName"] for r in customer) == ["BusinessOrganization", "BusinessUser"]


def test_customer_record_shows_path_braced_guid_and_type_and_filters_by_path(api, gateway):
    api("post", URL, json=enable(ALPINE))
    api("post", URL, json=enable(JANE))
    found = api(
        "get",
        "/api/customer-records/?path=ldap://ou=alpineskihouse,ou=consolidatedmessenger,ou=hosting,dc=fabrikam,dc=com",
    )
    results = found.json()["results"]
    assert len(results) == 1
    assert results[0]["guid"] == "{" + str(gateway.get(ALPINE).guid) + "}"
    assert results[0]["customerTypeName"] == "BusinessOrganization"
    assert results[0]["path"] == f"LDAP://{ALPINE}"


def test_another_resellers_record_is_not_found_by_id(api):
    api("post", URL, json=enable(NORTHWIND))
    record = CustomerRecord.objects.get()
    assert api("get", f"/api/customer-records/{record.pk}/", user="contoso-admin").status_code == 200
    assert api("get", f"/api/customer-records/{record.pk}/", user="cm-admin").status_code == 404


def test_openapi_schema_and_docs_are_served_without_a_cdn(api, client):
    schema = api("get", "/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/procedures/" in schema.json()["paths"]
    assert "/api/customer-records/" in schema.json()["paths"]
    schemes = schema.json()["components"]["securitySchemes"]
    assert schemes["basicAuth"]["scheme"] == "basic"  # directory credentials, as every door takes them
    assert {"basicAuth": []} in schema.json()["paths"]["/api/procedures/"]["post"]["security"]
    docs = api("get", "/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
