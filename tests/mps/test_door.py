"""POST /mps/: the MPS XML door end to end, through the engine and the real slapd."""

from __future__ import annotations

import pytest
from lxml import etree

from hosting.models import CustomerRecord
from portal.models import AuditRecord
from tests.conftest import ALPINE, JANE, NORTHWIND
from tests.fixtures.seeds import seeds

pytestmark = pytest.mark.django_db

# Seed 000, "Example XML Request", byte for byte (trailing spaces included).
SEED_ENABLE = seeds.example("EnableCustomerForPlans", "Example XML Request")


def xml(response):
    return etree.fromstring(response.content)


def values(element):
    return {child.tag: (child.text or "") for child in element}


def error(response):
    root = xml(response)
    assert root.tag == "errorContext"
    return (
        root.get("code"),
        root.findtext("description"),
        [(s.get("namespace"), s.get("procedure")) for s in root.findall("errorSource")],
    )


def test_seed_request_byte_for_byte_registers_the_organization(mps, gateway):
    response = mps(SEED_ENABLE, "cm-admin")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = xml(response)
    assert root.tag == "response"
    assert values(root.find("executeData")) == {
        "path": "LDAP://OU=alpineskihouse,OU=consolidatedmessenger,OU=Hosting,DC=fabrikam,DC=Com",
        "preferredDomainController": "AD01.fabrikam.Com",
        "customerTypeName": "BusinessOrganization",
    }
    record = CustomerRecord.objects.get()
    assert record.guid == gateway.get(ALPINE).guid
    assert record.customer_type == "BusinessOrganization"
    audit = AuditRecord.objects.get(procedure="EnableCustomerForPlans")
    assert (audit.door, audit.caller, audit.acting_as, audit.impersonate) == (
        "mps",
        "cm-admin",
        "cm-admin",
        1,
    )


def test_seed_request_twice_does_not_fail(mps):
    assert mps(SEED_ENABLE, "cm-admin").status_code == 200
    assert mps(SEED_ENABLE, "administrator").status_code == 200
    assert CustomerRecord.objects.count() == 1


def test_another_reseller_is_refused_with_403_and_the_error_shape(mps):
    response = mps(SEED_ENABLE, "contoso-admin")
    assert response.status_code == 403
    code, text, sources = error(response)
    assert code == "0x80070005"
    assert "outside the scope of contoso-admin" in text
    assert sources == [("MPS Import", "EnableCustomerForPlans")]
    assert CustomerRecord.objects.count() == 0


def test_missing_or_wrong_credentials_are_401(mps):
    anonymous = mps(SEED_ENABLE, None)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Basic")
    assert error(anonymous)[0] == "0x8007052E"
    assert mps(SEED_ENABLE, "cm-admin", "wrong").status_code == 401
    assert CustomerRecord.objects.count() == 0


def request_with(
    execute_body: str, data: str = "", namespace="MPS Import", procedure="EnableCustomerForPlans"
):
    data_node = f"<data>{data}</data>" if data else ""
    return (
        f'<request>{data_node}<procedure><execute namespace="{namespace}" procedure="{procedure}" '
        f'impersonate="1">{execute_body}</execute></procedure></request>'
    )


DATA = (
    f"<path>LDAP://{JANE}</path><preferredDomainController>AD01.fabrikam.com</preferredDomainController>"
    "<note>kept</note>"
)


def test_before_insert_copies_and_after_merge_returns_the_output(mps):
    body = request_with(
        '<before source="data" sourcePath="path" destination="executeData"/>'
        '<before source="data" sourcePath="preferredDomainController" destination="executeData" mode="insert"/>'
        '<after source="executeData" destination="data" mode="merge"/>',
        DATA,
    )
    response = mps(body)
    assert response.status_code == 200, response.content
    data = values(xml(response).find("data"))
    assert data == {
        "path": f"LDAP://{JANE}",
        "preferredDomainController": "AD01.fabrikam.com",
        "note": "kept",
        "customerTypeName": "BusinessUser",
    }


def test_before_move_takes_the_node_out_of_data(mps):
    body = request_with(
        '<before source="data" sourcePath="path" destination="executeData" mode="move"/>'
        '<before source="data" sourcePath="preferredDomainController" destination="executeData" mode="move"/>',
        DATA,
    )
    response = mps(body)
    assert response.status_code == 200, response.content
    assert values(xml(response).find("data")) == {"note": "kept"}
    assert CustomerRecord.objects.get().customer_type == "BusinessUser"


def test_before_replace_overrides_what_execute_data_had(mps):
    body = request_with(
        "<executeData><customerTypeName>BusinessUser</customerTypeName></executeData>"
        '<before source="data" sourcePath="path" destination="executeData"/>'
        '<before source="data" sourcePath="preferredDomainController" destination="executeData"/>'
        '<before source="data" sourcePath="customerTypeName" destination="executeData" mode="replace"/>',
        DATA + "<customerTypeName>ConsumerUser</customerTypeName>",
    )
    response = mps(body)
    assert response.status_code == 200, response.content
    assert CustomerRecord.objects.get().customer_type == "ConsumerUser"


def test_after_with_destination_path_puts_the_output_where_asked(mps):
    body = request_with(
        f"<executeData><path>LDAP://{JANE}</path>"
        "<preferredDomainController>AD01.fabrikam.com</preferredDomainController></executeData>"
        '<after source="executeData" sourcePath="customerTypeName" destination="data" '
        'destinationPath="result" mode="insert"/>',
        "<result/>",
    )
    response = mps(body)
    assert response.status_code == 200, response.content
    assert xml(response).findtext("data/result/customerTypeName") == "BusinessUser"


def test_source_path_that_matches_nothing_moves_nothing(mps):
    body = request_with(
        '<before source="data" sourcePath="GUID" destination="executeData" mode="move"/>'
        '<before source="data" sourcePath="path" destination="executeData" mode="move"/>'
        '<before source="data" sourcePath="preferredDomainController" destination="executeData" mode="move"/>',
        DATA,
    )
    assert mps(body).status_code == 200


def test_several_executes_run_in_order_in_one_transaction(mps):
    two = (
        "<request><procedure>"
        f'<execute namespace="MPS Import" procedure="EnableCustomerForPlans"><executeData><path>LDAP://{ALPINE}</path>'
        "<preferredDomainController>AD01.fabrikam.com</preferredDomainController></executeData></execute>"
        f'<execute namespace="MPS Import" procedure="EnableCustomerForPlans"><executeData><path>LDAP://{JANE}</path>'
        "<preferredDomainController>AD01.fabrikam.com</preferredDomainController></executeData></execute>"
        "</procedure></request>"
    )
    response = mps(two, "cm-admin")
    assert response.status_code == 200, response.content
    assert values(xml(response).find("executeData"))["path"] == f"LDAP://{JANE}"
    assert sorted(CustomerRecord.objects.values_list("customer_type", flat=True)) == [
        "BusinessOrganization",
        "BusinessUser",
    ]


def test_failing_second_execute_rolls_back_the_first(mps):
    two = (
        "<request><procedure>"
        f'<execute namespace="MPS Import" procedure="EnableCustomerForPlans"><executeData><path>LDAP://{ALPINE}</path>'
        "<preferredDomainController>AD01.fabrikam.com</preferredDomainController></executeData></execute>"
        f'<execute namespace="MPS Import" procedure="EnableCustomerForPlans"><executeData><path>LDAP://{NORTHWIND}</path>'
        "<preferredDomainController>AD01.fabrikam.com</preferredDomainController></executeData></execute>"
        "</procedure></request>"
    )
    response = mps(two, "cm-admin")
    assert response.status_code == 403
    assert CustomerRecord.objects.count() == 0
    assert list(
        AuditRecord.objects.filter(parent=None).order_by("sequence").values_list("status", flat=True)
    ) == [
        "rolled back",
        "failed",
    ]


def test_error_sources_list_nested_procedures_innermost_first(mps):
    body = request_with(
        f"<executeData><path>LDAP://{JANE}</path><preferredDomainController>AD01.fabrikam.com"
        "</preferredDomainController><customerTypeName>ConsumerUser</customerTypeName></executeData>"
    )
    assert mps(body).status_code == 200
    response = mps(body.replace("ConsumerUser", "BusinessUser"))
    assert response.status_code == 409
    _code, text, sources = error(response)
    assert "already has a Plans database record of type ConsumerUser" in text
    assert sources == [("Managed Helpers", "CreateCustomerRecord_"), ("MPS Import", "EnableCustomerForPlans")]


def test_impersonate_2_is_for_domain_admins_only(mps):
    body = SEED_ENABLE.replace(b'impersonate="1"', b'impersonate="2"')
    assert mps(body, "cm-admin").status_code == 403
    assert mps(body, "administrator").status_code == 200
    assert AuditRecord.objects.get(status="succeeded", parent=None).acting_as == "portal-service"


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE request [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<request><procedure><execute namespace="MPS Import" procedure="EnableCustomerForPlans">
<executeData><path>&xxe;</path><preferredDomainController>AD01.fabrikam.com</preferredDomainController>
</executeData></execute></procedure></request>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<request><procedure><execute namespace="MPS Import" procedure="EnableCustomerForPlans">
<executeData><path>&lol3;</path></executeData></execute></procedure></request>"""


@pytest.mark.parametrize("payload", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_entity_payloads_are_refused_before_anything_runs(mps, payload):
    response = mps(payload)
    assert response.status_code == 400
    _code, text, _ = error(response)
    assert text == "DTDs and entity declarations are not allowed in a request."
    assert b"root:" not in response.content
    assert AuditRecord.objects.count() == 0


def test_malformed_xml_is_400(mps):
    response = mps(b"<request><procedure>")
    assert response.status_code == 400
    assert error(response)[0] == "0x8004100E"


def test_unknown_procedure_is_404(mps):
    response = mps(request_with("<executeData/>", namespace="Nowhere", procedure="Nothing"))
    assert response.status_code == 404
    assert error(response)[1] == "The procedure Nowhere::Nothing does not exist."


def test_get_is_not_allowed(client, db):
    assert client.get("/mps/").status_code == 405
