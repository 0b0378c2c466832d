"""The EngageIP SOAP door: ``POST /adminportal/webservice.asmx`` (seed 004).

SOAP 1.1 (``text/xml``, ``SOAPAction: "Logisense_EngageIP/<Operation>"``) and SOAP 1.2
(``application/soap+xml``), namespace ``Logisense_EngageIP``, the credentials in the
``AuthHeader`` SOAP header, as an ASMX web service takes them. ``GET ?WSDL`` describes the service
with both bindings and ``AuthHeader`` declared as a header of each operation; it imports nothing.

The door is thin: it parses the envelope with the hardened parser, authenticates the
``AuthHeader`` against the directory, runs the operation's procedure through the engine and
renders its result, or a SOAP fault carrying the error's text, as an ASMX service answers: an
envelope that cannot be read is a SOAP 1.1 ``soap:Client`` / SOAP 1.2 ``soap:Sender`` fault; an
exception of the operation (``INVALID USERNAME``, ``INVALID PACKAGE``, refused credentials) is a
``soap:Server`` / ``soap:Receiver`` fault with HTTP 500, its text exactly the exception's.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from lxml import etree

from portal.auth import authenticate_basic
from portal.engine import Caller, run
from portal.errors import InvalidRequest, NotAuthenticated, PortalError
from portal.xml import xml_parse_hardened

NS = "Logisense_EngageIP"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CONTENT_TYPES = {SOAP11: "text/xml; charset=utf-8", SOAP12: "application/soap+xml; charset=utf-8"}
MAX_REQUEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SoapOperation:
    """One operation of the web service: its parameters (name, XSD type, minOccurs) as the seed
    lists them, the procedure it runs, and which output key is its ``<...Result>``."""

    name: str
    procedure: str
    parameters: tuple[tuple[str, str, int], ...]
    result_type: str
    result_key: str


OPERATIONS = {
    op.name: op
    for op in (
        SoapOperation(
            name="AddPackageToUserWithOptionalServices",
            procedure="Billing::AddPackageToUserWithOptionalServices",
            parameters=(
                ("username", "s:string", 0),
                ("packageID", "s:int", 1),
                ("chargeCreditCard", "s:boolean", 1),
                ("IsChildUser", "s:boolean", 1),
                ("NextBillDate", "s:dateTime", 1),
                ("billNow", "s:boolean", 1),
                ("xmlOptionalServices", "s:string", 0),
                ("xmlServiceDiscounts", "s:string", 0),
            ),
            result_type="s:int",
            result_key="userPackageID",
        ),
    )
}


# --- WSDL ----------------------------------------------------------------------------------------


def _wsdl_operation_types(op: SoapOperation) -> str:
    params = "".join(
        f'<s:element minOccurs="{min_occurs}" maxOccurs="1" name="{name}" type="{xsd}"/>'
        for name, xsd, min_occurs in op.parameters
    )
    return (
        f'<s:element name="{op.name}"><s:complexType><s:sequence>{params}</s:sequence>'
        "</s:complexType></s:element>"
        f'<s:element name="{op.name}Response"><s:complexType><s:sequence>'
        f'<s:element minOccurs="1" maxOccurs="1" name="{op.name}Result" type="{op.result_type}"/>'
        "</s:sequence></s:complexType></s:element>"
    )


def _wsdl_binding(op: SoapOperation, prefix: str) -> str:
    return (
        f'<wsdl:operation name="{op.name}">'
        f'<{prefix}:operation soapAction="{NS}/{op.name}" style="document"/>'
        f'<wsdl:input><{prefix}:body use="literal"/>'
        f'<{prefix}:header message="tns:{op.name}AuthHeader" part="AuthHeader" use="literal"/></wsdl:input>'
        f'<wsdl:output><{prefix}:body use="literal"/></wsdl:output>'
        "</wsdl:operation>"
    )


def wsdl(location: str) -> bytes:
    """The service description, with ``location`` as the address of both ports."""
    ops = list(OPERATIONS.values())
    types = "".join(_wsdl_operation_types(op) for op in ops)
    messages = "".join(
        f'<wsdl:message name="{op.name}SoapIn">'
        f'<wsdl:part name="parameters" element="tns:{op.name}"/></wsdl:message>'
        f'<wsdl:message name="{op.name}SoapOut">'
        f'<wsdl:part name="parameters" element="tns:{op.name}Response"/></wsdl:message>'
        f'<wsdl:message name="{op.name}AuthHeader">'
        '<wsdl:part name="AuthHeader" element="tns:AuthHeader"/></wsdl:message>'
        for op in ops
    )
    port_ops = "".join(
        f'<wsdl:operation name="{op.name}"><wsdl:input message="tns:{op.name}SoapIn"/>'
        f'<wsdl:output message="tns:{op.name}SoapOut"/></wsdl:operation>'
        for op in ops
    )
    address = quoteattr(location)
    text = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<wsdl:definitions xmlns:s="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"'
        ' xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"'
        ' xmlns:http="http://schemas.xmlsoap.org/wsdl/http/"'
        f' xmlns:tns="{NS}" targetNamespace="{NS}"'
        ' xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">'
        f'<wsdl:types><s:schema elementFormDefault="qualified" targetNamespace="{NS}">'
        f"{types}"
        '<s:element name="AuthHeader" type="tns:AuthHeader"/>'
        '<s:complexType name="AuthHeader"><s:sequence>'
        '<s:element minOccurs="0" maxOccurs="1" name="Username" type="s:string"/>'
        '<s:element minOccurs="0" maxOccurs="1" name="Password" type="s:string"/>'
        "</s:sequence><s:anyAttribute/></s:complexType>"
        "</s:schema></wsdl:types>"
        f"{messages}"
        f'<wsdl:portType name="WebServiceSoap">{port_ops}</wsdl:portType>'
        '<wsdl:binding name="WebServiceSoap" type="tns:WebServiceSoap">'
        '<soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>'
        + "".join(_wsdl_binding(op, "soap") for op in ops)
        + "</wsdl:binding>"
        '<wsdl:binding name="WebServiceSoap12" type="tns:WebServiceSoap">'
        '<soap12:binding transport="http://schemas.xmlsoap.org/soap/http"/>'
        + "".join(_wsdl_binding(op, "soap12") for op in ops)
        + "</wsdl:binding>"
        '<wsdl:service name="WebService">'
        '<wsdl:port name="WebServiceSoap" binding="tns:WebServiceSoap">'
        f"<soap:address location={address}/></wsdl:port>"
        '<wsdl:port name="WebServiceSoap12" binding="tns:WebServiceSoap12">'
        f"<soap12:address location={address}/></wsdl:port>"
        "</wsdl:service></wsdl:definitions>"
    )
    return text.encode("utf-8")


# --- envelopes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoapCall:
    """A parsed request: SOAP version (its envelope namespace), credentials, operation, arguments."""

    envelope: str
    username: str | None
    password: str | None
    operation: SoapOperation
    arguments: dict[str, str]


def _version(content_type: str) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/soap+xml":
        return SOAP12
    return SOAP11


def _text(element: etree._Element | None) -> str | None:
    return None if element is None else (element.text or "")


def _argument_value(element: etree._Element) -> str | None:
    if element.get(f"{{{XSI}}}nil") in ("true", "1"):
        return None
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        return element.text or ""
    # An XML argument sent as markup rather than escaped text: the markup itself is the value.
    parts = [element.text or ""]
    for child in element:
        clone = etree.fromstring(etree.tostring(child, with_tail=False))
        etree.cleanup_namespaces(clone)
        parts.append(etree.tostring(clone, encoding="unicode", with_tail=False))
        parts.append(child.tail or "")
    return "".join(parts)


def soap_parse(body: bytes, content_type: str, soap_action: str | None) -> SoapCall:
    """The call in a SOAP envelope; an :class:`InvalidRequest` says what is wrong with it."""
    envelope_ns = _version(content_type)
    root = xml_parse_hardened(body, what="The SOAP request")
    if etree.QName(root).localname != "Envelope" or etree.QName(root).namespace not in (SOAP11, SOAP12):
        raise InvalidRequest("The request is not a SOAP envelope.")
    if etree.QName(root).namespace != envelope_ns:
        expected = "application/soap+xml" if etree.QName(root).namespace == SOAP12 else "text/xml"
        raise InvalidRequest(f"This SOAP envelope version must be sent as Content-Type {expected}.")
    header = root.find(f"{{{envelope_ns}}}Header")
    auth = header.find(f"{{{NS}}}AuthHeader") if header is not None else None
    username = _text(auth.find(f"{{{NS}}}Username")) if auth is not None else None
    password = _text(auth.find(f"{{{NS}}}Password")) if auth is not None else None
    body_el = root.find(f"{{{envelope_ns}}}Body")
    calls = [child for child in body_el if isinstance(child.tag, str)] if body_el is not None else []
    if len(calls) != 1:
        raise InvalidRequest("The SOAP Body must hold exactly one operation element.")
    call = calls[0]
    qname = etree.QName(call)
    operation = OPERATIONS.get(qname.localname)
    if operation is None or qname.namespace != NS:
        raise InvalidRequest(
            f"The web service has no operation {{{qname.namespace or ''}}}{qname.localname}."
        )
    action = (soap_action or "").strip().strip('"')
    if envelope_ns == SOAP11 and action and action != f"{NS}/{operation.name}":
        raise InvalidRequest(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.")
    arguments: dict[str, str] = {}
    for child in call:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child)
        if name.namespace not in (NS, None):
            raise InvalidRequest(f"<{name.localname}> is not in the namespace {NS}.")
        value = _argument_value(child)
        if value is not None:
            arguments[name.localname] = value
    return SoapCall(envelope_ns, username, password, operation, arguments)


def _envelope(envelope_ns: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{envelope_ns}" xmlns:xsi="{XSI}" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def soap_result(call: SoapCall, result: dict) -> bytes:
    """The ``<OperationResponse><OperationResult>`` envelope of a result."""
    value = result.get(call.operation.result_key)
    name = call.operation.name
    return _envelope(
        call.envelope,
        f'<{name}Response xmlns="{NS}"><{name}Result>{escape(str(value))}</{name}Result></{name}Response>',
    )


def soap_fault(envelope_ns: str, err: PortalError) -> tuple[bytes, int]:
    """A SOAP fault carrying the error's text, and its HTTP status."""
    text = escape(err.text)
    # As an ASMX service answers: an envelope it cannot read is the sender's fault; an exception
    # thrown by the operation (INVALID USERNAME, refused credentials, ...) is a server fault.
    caller_fault = isinstance(err, InvalidRequest)
    # A login refused by the lockout keeps its own status, so that clients can tell it apart.
    status = err.status if err.status == 429 else (400 if caller_fault else 500)
    if envelope_ns == SOAP12:
        code = "soap:Sender" if caller_fault else "soap:Receiver"
        body = (
            f"<soap:Fault><soap:Code><soap:Value>{code}</soap:Value></soap:Code>"
            f'<soap:Reason><soap:Text xml:lang="en">{text}</soap:Text></soap:Reason>'
            f"<soap:Detail><error xmlns={quoteattr(NS)} code={quoteattr(err.hex_code)}"
            f" name={quoteattr(err.name)}/></soap:Detail></soap:Fault>"
        )
        return _envelope(envelope_ns, body), status
    code = "soap:Client" if caller_fault else "soap:Server"
    body = (
        f"<soap:Fault><faultcode>{code}</faultcode><faultstring>{text}</faultstring>"
        f"<detail><error xmlns={quoteattr(NS)} code={quoteattr(err.hex_code)}"
        f" name={quoteattr(err.name)}/></detail></soap:Fault>"
    )
    return _envelope(envelope_ns, body), 500 if status == 400 else status


def _caller(request: HttpRequest, call: SoapCall) -> Caller:
    user = authenticate_basic(request, call.username, call.password or "") if call.username else None
    if user is None:
        raise NotAuthenticated("The AuthHeader must carry the Username and Password of a portal user.")
    return Caller.from_user(user)


@csrf_exempt
def webservice(request: HttpRequest) -> HttpResponse:
    """``/adminportal/webservice.asmx``: the WSDL on ``GET ?WSDL``, SOAP calls on ``POST``."""
    if request.method == "GET":
        if any(key.lower() == "wsdl" for key in request.GET):
            return HttpResponse(
                wsdl(request.build_absolute_uri(request.path)), content_type="text/xml; charset=utf-8"
            )
        names = ", ".join(OPERATIONS)
        return HttpResponse(
            f"EngageIP web service ({NS}). Operations: {names}. Description: {request.path}?WSDL\n",
            content_type="text/plain; charset=utf-8",
        )
    if request.method != "POST":
        response = HttpResponse(status=405)
        response["Allow"] = "GET, POST"
        return response
    envelope_ns = _version(request.content_type or "")
    try:
        if len(request.body) > MAX_REQUEST_BYTES:
            raise InvalidRequest("The request is larger than 1 MB.")
        call = soap_parse(
            request.body, request.META.get("CONTENT_TYPE", ""), request.META.get("HTTP_SOAPACTION")
        )
        result = run(_caller(request, call), call.operation.procedure, call.arguments, door="soap")
        return HttpResponse(soap_result(call, result), content_type=CONTENT_TYPES[call.envelope])
    except PortalError as err:
        body, status = soap_fault(envelope_ns, err)
        return HttpResponse(body, status=status, content_type=CONTENT_TYPES[envelope_ns])
