"""The EngageIP SOAP door ``/adminportal/webservice.asmx``: SOAP 1.1, SOAP 1.2, the WSDL, and zeep
as a real client (through Django's test client)."""

from __future__ import annotations

import datetime as dt
import re
from xml.sax.saxutils import escape

import pytest
import zeep
from lxml import etree

from billing.models import Invoice, UserPackage
from tests.billing.conftest import SEED_DISCOUNTS, SEED_OPTIONAL
from tests.billing.soap_client import zeep_client
from tests.conftest import PASSWORD
from tests.fixtures.seeds import seeds

URL = "/adminportal/webservice.asmx"
NS = {
    "e": "Logisense_EngageIP",
    "s11": "http://schemas.xmlsoap.org/soap/envelope/",
    "s12": "http://www.w3.org/2003/05/soap-envelope",
}
AUTH = {"AuthHeader": {"Username": "administrator", "Password": PASSWORD}}

# The seed's SOAP 1.2 sample request: its HTTP head, then the envelope.
SEED_POST12 = seeds.example("AddPackageToUserWithOptionalServices", "SOAP 1.2").decode()


def seed_envelope(values: dict[str, str]) -> str:
    """The seed's SOAP 1.2 envelope with each placeholder (``string``, ``int``, ``boolean``,
    ``dateTime``) of the named elements replaced by a value."""
    envelope = SEED_POST12[SEED_POST12.index("<?xml") :]
    for name, value in values.items():
        envelope, replaced = re.subn(
            rf"<{name}>(?:string|int|boolean|dateTime)</{name}>", f"<{name}>{value}</{name}>", envelope
        )
        assert replaced == 1, f"the seed's envelope has no placeholder of <{name}>"
    return envelope


# The seed's SOAP 1.2 sample request, its placeholders filled (``_fill`` fills the braces).
SEED_SOAP12 = seed_envelope(
    {
        "Username": "{user}",
        "Password": "{password}",
        "username": "{username}",
        "packageID": "{package}",
        "chargeCreditCard": "false",
        "IsChildUser": "false",
        "NextBillDate": "0001-01-01T00:00:00",
        "billNow": "true",
        "xmlOptionalServices": "{optional}",
        "xmlServiceDiscounts": "{discounts}",
    }
)

SOAP11 = """<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Header>
    <AuthHeader xmlns="Logisense_EngageIP">
      <Username>{user}</Username><Password>{password}</Password>
    </AuthHeader>
  </soap:Header>
  <soap:Body>
    <AddPackageToUserWithOptionalServices xmlns="Logisense_EngageIP">
      <username>{username}</username>
      <packageID>{package}</packageID>
      <chargeCreditCard>false</chargeCreditCard>
      <IsChildUser>false</IsChildUser>
      <NextBillDate>2026-02-01T00:00:00</NextBillDate>
      <billNow>false</billNow>
      <xmlOptionalServices>{optional}</xmlOptionalServices>
      <xmlServiceDiscounts>{discounts}</xmlServiceDiscounts>
    </AddPackageToUserWithOptionalServices>
  </soap:Body>
</soap:Envelope>"""


def _fill(
    template: str,
    *,
    user="administrator",
    password=PASSWORD,
    username="northwind",
    package=1,
    optional=SEED_OPTIONAL,
    discounts=SEED_DISCOUNTS,
) -> bytes:
    return template.format(
        user=user,
        password=password,
        username=username,
        package=package,
        optional=escape(optional),
        discounts=escape(discounts),
    ).encode()


def _post11(client, body: bytes, action='"Logisense_EngageIP/AddPackageToUserWithOptionalServices"'):
    return client.post(URL, data=body, content_type="text/xml; charset=utf-8", HTTP_SOAPACTION=action)


def _post12(client, body: bytes):
    return client.post(URL, data=body, content_type="application/soap+xml; charset=utf-8")


def test_seed_soap12_envelope_adds_the_package_and_answers_its_id(client, billing_demo):
    assert SEED_POST12.startswith(f"POST {URL} HTTP/1.1 ")
    assert " Content-Type: application/soap+xml; charset=utf-8 " in SEED_POST12
    response = _post12(client, _fill(SEED_SOAP12))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/soap+xml")
    doc = etree.fromstring(response.content)
    result = doc.find(
        "s12:Body/e:AddPackageToUserWithOptionalServicesResponse/"
        "e:AddPackageToUserWithOptionalServicesResult",
        NS,
    )
    up = UserPackage.objects.get(pk=int(result.text))
    assert up.account.username == "northwind"
    assert sorted(up.optional_services.values_list("pk", flat=True)) == [23, 24]
    assert Invoice.objects.filter(account__username="northwind").count() == 1  # billNow true


def test_soap11_call_adds_the_package(client, billing_demo):
    response = _post11(client, _fill(SOAP11))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    result = etree.fromstring(response.content).find(
        "s11:Body/e:AddPackageToUserWithOptionalServicesResponse/e:AddPackageToUserWithOptionalServicesResult",
        NS,
    )
    up = UserPackage.objects.get(pk=int(result.text))
    assert up.next_bill_date == dt.date(2026, 2, 1)
    assert up.discounts.get().note == "Renewal discount"


@pytest.mark.parametrize(
    ("username", "package", "text"), [("nobody", 1, "INVALID USERNAME"), ("northwind", 42, "INVALID PACKAGE")]
)
def test_soap11_exceptions_are_faults_with_the_seed_text(client, billing_demo, username, package, text):
    response = _post11(client, _fill(SOAP11, username=username, package=package))
    assert response.status_code == 500
    fault = etree.fromstring(response.content).find("s11:Body/s11:Fault", NS)
    assert fault.findtext("faultcode") == "soap:Server"
    assert fault.findtext("faultstring") == text
    assert UserPackage.objects.count() == 0


@pytest.mark.parametrize(
    ("username", "package", "text"), [("nobody", 1, "INVALID USERNAME"), ("northwind", 42, "INVALID PACKAGE")]
)
def test_soap12_exceptions_are_faults_with_the_seed_text(client, billing_demo, username, package, text):
    response = _post12(client, _fill(SEED_SOAP12, username=username, package=package))
    assert response.status_code == 500
    fault = etree.fromstring(response.content).find("s12:Body/s12:Fault", NS)
    assert fault.findtext("s12:Code/s12:Value", namespaces=NS) == "soap:Receiver"
    assert fault.findtext("s12:Reason/s12:Text", namespaces=NS) == text
    assert UserPackage.objects.count() == 0


def test_wrong_password_is_a_fault_of_the_operation(client, billing_demo):
    response = _post11(client, _fill(SOAP11, password="wrong"))
    fault = etree.fromstring(response.content).find("s11:Body/s11:Fault", NS)
    assert fault.findtext("faultcode") == "soap:Server"
    assert "AuthHeader" in fault.findtext("faultstring")
    assert UserPackage.objects.count() == 0


def test_user_without_billing_rights_is_refused(client, billing_demo):
    response = _post12(client, _fill(SEED_SOAP12, user="cm-admin", username="alpineskihouse"))
    fault = etree.fromstring(response.content).find("s12:Body/s12:Fault", NS)
    assert fault.findtext("s12:Code/s12:Value", namespaces=NS) == "soap:Receiver"
    assert "BillingAdmins" in fault.findtext("s12:Reason/s12:Text", namespaces=NS)
    assert UserPackage.objects.count() == 0


def test_envelope_with_a_doctype_is_refused_before_anything_runs(client, billing_demo):
    body = _fill(SOAP11).replace(
        b'<?xml version="1.0" encoding="utf-8"?>',
        b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    )
    response = _post11(client, body)
    fault = etree.fromstring(response.content).find("s11:Body/s11:Fault", NS)
    assert fault.findtext("faultcode") == "soap:Client"
    assert "DTD" in fault.findtext("faultstring")
    assert UserPackage.objects.count() == 0


def test_wrong_soap_action_is_refused(client, billing_demo):
    response = _post11(client, _fill(SOAP11), action='"Logisense_EngageIP/DeleteEverything"')
    fault = etree.fromstring(response.content).find("s11:Body/s11:Fault", NS)
    assert "SOAPAction" in fault.findtext("faultstring")


def test_xml_argument_given_as_markup_is_read_too(client, billing_demo):
    body = _fill(SOAP11, optional="", discounts="").replace(
        b"<xmlOptionalServices></xmlOptionalServices>",
        b"<xmlOptionalServices><OptionalServices><ServiceID>23</ServiceID></OptionalServices></xmlOptionalServices>",
    )
    response = _post11(client, body)
    assert response.status_code == 200, response.content
    assert sorted(UserPackage.objects.get().optional_services.values_list("pk", flat=True)) == [23, 24]


def test_wsdl_declares_both_bindings_the_auth_header_and_imports_nothing(client, db):
    response = client.get(URL + "?WSDL")
    assert response.status_code == 200
    doc = etree.fromstring(response.content)
    wsdl = {
        "w": "http://schemas.xmlsoap.org/wsdl/",
        "soap": "http://schemas.xmlsoap.org/wsdl/soap/",
        "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/",
        "s": "http://www.w3.org/2001/XMLSchema",
    }
    assert doc.get("targetNamespace") == "Logisense_EngageIP"
    assert not doc.xpath("//w:import | //s:import | //s:include", namespaces=wsdl)
    for prefix in ("soap", "soap12"):
        op = doc.xpath(
            f"//w:binding[{prefix}:binding]/w:operation[@name='AddPackageToUserWithOptionalServices']",
            namespaces=wsdl,
        )[0]
        assert op.xpath(f"{prefix}:operation/@soapAction", namespaces=wsdl) == [
            "Logisense_EngageIP/AddPackageToUserWithOptionalServices"
        ]
        assert op.xpath(f"w:input/{prefix}:header/@part", namespaces=wsdl) == ["AuthHeader"]
    assert doc.xpath(
        "//s:element[@name='AddPackageToUserWithOptionalServicesResponse']//s:element/@name", namespaces=wsdl
    ) == ["AddPackageToUserWithOptionalServicesResult"]


@pytest.mark.parametrize("soap12", [False, True], ids=["soap11", "soap12"])
def test_zeep_calls_the_seed_operation(client, billing_demo, soap12):
    service = zeep_client(client, soap12=soap12)
    result = service.AddPackageToUserWithOptionalServices(
        username="northwind",
        packageID=1,
        chargeCreditCard=False,
        IsChildUser=False,
        NextBillDate=dt.datetime(1, 1, 1),
        billNow=False,
        xmlOptionalServices=SEED_OPTIONAL,
        xmlServiceDiscounts=SEED_DISCOUNTS,
        _soapheaders=AUTH,
    )
    up = UserPackage.objects.get(pk=result)
    assert up.package.name == "Hosted Email Business"
    assert sorted(up.optional_services.values_list("name", flat=True)) == ["Archiving", "My Service"]


@pytest.mark.parametrize("soap12", [False, True], ids=["soap11", "soap12"])
@pytest.mark.parametrize(
    ("username", "package", "text"), [("nobody", 1, "INVALID USERNAME"), ("northwind", 42, "INVALID PACKAGE")]
)
def test_zeep_sees_the_seed_exceptions_as_faults(client, billing_demo, soap12, username, package, text):
    service = zeep_client(client, soap12=soap12)
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.AddPackageToUserWithOptionalServices(
            username=username,
            packageID=package,
            chargeCreditCard=False,
            IsChildUser=False,
            NextBillDate=dt.datetime(2026, 1, 1),
            billNow=False,
            xmlOptionalServices="",
            xmlServiceDiscounts="",
            _soapheaders=AUTH,
        )
    assert fault.value.message == text
    assert UserPackage.objects.count() == 0
