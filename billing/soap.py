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

import base64
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from lxml import etree

from portal.auth import authenticate_basic
from portal.engine import Caller, run
from portal.errors import InvalidRequest, NotAuthenticated, PortalError
from portal.failures import portal_error
from portal.xml import xml_parse_hardened

NS = "Logisense_EngageIP"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CONTENT_TYPES = {SOAP11: "text/xml; charset=utf-8", SOAP12: "application/soap+xml; charset=utf-8"}
MAX_REQUEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SoapOperation:
    """One operation of the web service: its parameters (name, XSD type, minOccurs) as its
    EngageIP page lists them, the procedure it runs, and its result: nothing (``void``), one
    value of ``result_type`` (``s:int``, ``s:double``, ``s:boolean``), or an array of
    ``item_type`` objects with ``item_fields``; ``result_key`` is the output key that holds it."""

    name: str
    procedure: str
    parameters: tuple[tuple[str, str, int], ...]
    result_type: str | None = None
    result_key: str = ""
    item_type: str | None = None
    item_fields: tuple[tuple[str, str], ...] = ()

    @property
    def http_post_element(self) -> str | None:
        """The bare element an ASMX HTTP POST answers with (``double``, ``ArrayOfViewInvoice``)."""
        if self.item_type:
            return f"ArrayOf{self.item_type}"
        if self.result_type:
            return self.result_type.split(":", 1)[1]
        return None


# EngageIP's enumerations (DisableOption of CancelUserPackage, CancelOption of
# UpdateUserStatusWithOption, DeleteOption of DeleteOptionalUserService).
_IMMEDIATE = (
    "ImmediatelyWithFullTransaction",
    "ImmediatelyWithProratedTransaction",
    "ImmediatelyWithNoTransaction",
)
ENUMERATIONS = {
    "DisableOption": (*_IMMEDIATE, "PeriodEnd", "SpecificDate"),
    "CancelOption": (*_IMMEDIATE, "PeriodEnd", "SpecificDate"),
    "DeleteOption": _IMMEDIATE,
}
USERNAME = ("username", "s:string", 0)

VIEW_INVOICE = (
    ("ID", "s:int"),
    ("UserID", "s:int"),
    ("Name", "s:string"),
    ("Date", "s:dateTime"),
    ("InvoiceDate", "s:dateTime"),
    ("DueDate", "s:dateTime"),
    ("User", "s:string"),
    ("UserStatus", "s:string"),
    ("Balance", "s:double"),
    ("Total", "s:double"),
    ("InvoiceStatusType", "s:string"),
    ("InvoiceID", "s:int"),
    ("BillRunHistoryID", "s:int"),
    ("CreatedDate", "s:dateTime"),
)
VIEW_PAYMENT = (
    ("ID", "s:int"),
    ("Date", "s:dateTime"),
    ("Amount", "s:double"),
    ("UserID", "s:int"),
    ("Disbursed", "s:boolean"),
    ("Detail", "s:string"),
    ("PaymentType", "s:string"),
    ("User", "s:string"),
    ("CheckNumber", "s:string"),
    ("AutomaticDisburse", "s:boolean"),
    ("Credit", "s:boolean"),
    ("Void", "s:boolean"),
    ("AddedBy_User", "s:string"),
    ("PostingDate", "s:dateTime"),
    ("CardType", "s:string"),
    ("TransactionNumber", "s:string"),
)
VIEW_USER_PACKAGE = (
    ("ID", "s:int"),
    ("UserID", "s:int"),
    ("User", "s:string"),
    ("PackageID", "s:int"),
    ("Package", "s:string"),
    ("Amount", "s:double"),
    ("CreatedDate", "s:dateTime"),
    ("NextBillDate", "s:dateTime"),
    ("Name", "s:string"),
    ("Current_StatusTypeID", "s:int"),
    ("EffectiveDate", "s:dateTime"),
    ("CanceledDate", "s:dateTime"),
    ("EffectiveCancelDate", "s:dateTime"),
)
VIEW_USER_SERVICE = (
    ("ID", "s:int"),
    ("ServiceID", "s:int"),
    ("UserID", "s:int"),
    ("CreatedDate", "s:dateTime"),
    ("UserPackageID", "s:int"),
    ("Service", "s:string"),
    ("User", "s:string"),
    ("Amount", "s:double"),
    ("Optional", "s:boolean"),
    ("Canceled", "s:boolean"),
    ("OneTimeAmount", "s:double"),
    ("CanceledDate", "s:dateTime"),
    ("PackageID", "s:int"),
)

OPERATIONS = {
    op.name: op
    for op in (
        SoapOperation(
            name="AddPackageToUserWithOptionalServices",
            procedure="Billing::AddPackageToUserWithOptionalServices",
            parameters=(
                USERNAME,
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
        SoapOperation(
            name="CancelUserPackage",
            procedure="Billing::CancelUserPackage",
            parameters=(
                USERNAME,
                ("userPackageID", "s:int", 1),
                ("cancelOpt", "tns:DisableOption", 1),
                ("specificDate", "s:dateTime", 1),
            ),
        ),
        SoapOperation(
            name="DeleteOptionalUserService",
            procedure="Billing::DeleteOptionalUserService",
            parameters=(("userServiceID", "s:int", 1), ("deleteOption", "tns:DeleteOption", 1)),
        ),
        SoapOperation(
            name="UpdateUserPackageStatus",
            procedure="Billing::UpdateUserPackageStatus",
            parameters=(("userPackageID", "s:int", 1), ("userPackageStatusTypeName", "s:string", 0)),
        ),
        SoapOperation(
            name="UpdateUserStatusWithOption",
            procedure="Billing::UpdateUserStatusWithOption",
            parameters=(
                USERNAME,
                ("userstatustypename", "s:string", 0),
                ("cancelopt", "tns:CancelOption", 1),
                ("specificdate", "s:dateTime", 1),
            ),
        ),
        SoapOperation(
            name="AddPayment",
            procedure="Billing::AddPayment",
            parameters=(
                USERNAME,
                ("amount", "s:double", 1),
                ("detail", "s:string", 0),
                ("paymenttype", "s:string", 0),
                ("paymentDate", "s:dateTime", 1),
                ("isAutoDisperse", "s:boolean", 1),
                ("cardType", "s:string", 0),
                ("CheckNumber", "s:int", 1),
                # the portal's own, optional (minOccurs 0): one payment per reference; an envelope
                # of EngageIP's page, without it, is read as before
                ("reference", "s:string", 0),
            ),
        ),
        SoapOperation(
            name="MakePayment",
            procedure="Billing::MakePayment",
            parameters=(USERNAME, ("amount", "s:double", 1)),
            result_type="s:boolean",
            result_key="approved",
        ),
        SoapOperation(
            name="GetUserBalanceDue",
            procedure="Billing::GetUserBalanceDue",
            parameters=(USERNAME, ("dueDate", "s:dateTime", 1)),
            result_type="s:double",
            result_key="balanceDue",
        ),
        SoapOperation(
            name="GetInvoices",
            procedure="Billing::GetInvoices",
            parameters=(USERNAME,),
            result_key="invoices",
            item_type="ViewInvoice",
            item_fields=VIEW_INVOICE,
        ),
        SoapOperation(
            name="GetPayments",
            procedure="Billing::GetPayments",
            parameters=(USERNAME,),
            result_key="payments",
            item_type="ViewPayment",
            item_fields=VIEW_PAYMENT,
        ),
        SoapOperation(
            name="GetUserPackages",
            procedure="Billing::GetUserPackages",
            parameters=(USERNAME,),
            result_key="userPackages",
            item_type="ViewUserPackage",
            item_fields=VIEW_USER_PACKAGE,
        ),
        SoapOperation(
            name="GetUserServices",
            procedure="Billing::GetUserServices",
            parameters=(USERNAME,),
            result_key="userServices",
            item_type="ViewUserService",
            item_fields=VIEW_USER_SERVICE,
        ),
    )
}


# --- WSDL ----------------------------------------------------------------------------------------


def _wsdl_operation_types(op: SoapOperation) -> str:
    params = "".join(
        f'<s:element minOccurs="{min_occurs}" maxOccurs="1" name="{name}" type="{xsd}"/>'
        for name, xsd, min_occurs in op.parameters
    )
    if op.item_type:
        array = f"tns:ArrayOf{op.item_type}"
        result = f'<s:element minOccurs="0" maxOccurs="1" name="{op.name}Result" type="{array}"/>'
    elif op.result_type:
        result = f'<s:element minOccurs="1" maxOccurs="1" name="{op.name}Result" type="{op.result_type}"/>'
    else:
        result = ""
    response = (
        f"<s:complexType><s:sequence>{result}</s:sequence></s:complexType>" if result else "<s:complexType/>"
    )
    return (
        f'<s:element name="{op.name}"><s:complexType><s:sequence>{params}</s:sequence>'
        "</s:complexType></s:element>"
        f'<s:element name="{op.name}Response">{response}</s:element>'
    )


def _wsdl_shared_types(ops: list[SoapOperation]) -> str:
    """The enumerations and the array types of the operations' results."""
    out = [
        f'<s:simpleType name="{name}"><s:restriction base="s:string">'
        + "".join(f'<s:enumeration value="{value}"/>' for value in values)
        + "</s:restriction></s:simpleType>"
        for name, values in ENUMERATIONS.items()
    ]
    for op in ops:
        if not op.item_type:
            continue
        fields = "".join(
            f'<s:element minOccurs="0" maxOccurs="1" name="{name}" type="{xsd}"/>'
            if xsd == "s:string"
            else f'<s:element minOccurs="1" maxOccurs="1" name="{name}" nillable="true" type="{xsd}"/>'
            for name, xsd in op.item_fields
        )
        out.append(
            f'<s:complexType name="ArrayOf{op.item_type}"><s:sequence>'
            f'<s:element minOccurs="0" maxOccurs="unbounded" name="{op.item_type}" nillable="true"'
            f' type="tns:{op.item_type}"/></s:sequence></s:complexType>'
            f'<s:complexType name="{op.item_type}"><s:sequence>{fields}</s:sequence></s:complexType>'
            f'<s:element name="ArrayOf{op.item_type}" nillable="true" type="tns:ArrayOf{op.item_type}"/>'
        )
    for xsd in sorted({op.result_type for op in ops if op.result_type}):
        local = xsd.split(":", 1)[1]
        out.append(f'<s:element name="{local}" type="{xsd}"/>')
    return "".join(out)


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
        f"{types}{_wsdl_shared_types(ops)}"
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
            arguments[parameter_name(operation, name.localname)] = value
    return SoapCall(envelope_ns, username, password, operation, arguments)


def parameter_name(operation: SoapOperation, given: str) -> str:
    """The parameter's name as the operation declares it. EngageIP's own samples spell some
    elements in another letter case (``userpackageid``, ``cancelopt``), so the case is ignored."""
    for name, _, _ in operation.parameters:
        if name.lower() == given.lower():
            return name
    return given


def _value_text(value: object, xsd: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if xsd == "s:dateTime" and isinstance(value, str) and len(value) == 10:
        return value + "T00:00:00"
    return escape(str(value))


def result_xml(operation: SoapOperation, result: dict, element: str) -> str:
    """The result as the element ``element`` (``<OpResult>`` in SOAP, the bare typed element of
    the HTTP POST form); an empty string for a void operation."""
    if operation.item_type:
        items = []
        for row in result.get(operation.result_key) or []:
            fields = []
            for name, xsd in operation.item_fields:
                value = row.get(name)
                if value is None:
                    if xsd != "s:string":
                        fields.append(f'<{name} xsi:nil="true"/>')
                    continue
                fields.append(f"<{name}>{_value_text(value, xsd)}</{name}>")
            items.append(f"<{operation.item_type}>{''.join(fields)}</{operation.item_type}>")
        return f"<{element}>{''.join(items)}</{element}>"
    if operation.result_type:
        return (
            f"<{element}>{_value_text(result.get(operation.result_key), operation.result_type)}</{element}>"
        )
    return ""


def _envelope(envelope_ns: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{envelope_ns}" xmlns:xsi="{XSI}" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def soap_result(call: SoapCall, result: dict) -> bytes:
    """The ``<OperationResponse><OperationResult>`` envelope of a result (an empty
    ``<OperationResponse/>`` for a void operation)."""
    name = call.operation.name
    inner = result_xml(call.operation, result, f"{name}Result")
    if not inner:
        return _envelope(call.envelope, f'<{name}Response xmlns="{NS}"/>')
    return _envelope(call.envelope, f'<{name}Response xmlns="{NS}">{inner}</{name}Response>')


def soap_fault(envelope_ns: str, err: PortalError) -> tuple[bytes, int]:
    """A SOAP fault carrying the error's text, and its HTTP status."""
    text = escape(err.text)
    # As an ASMX service answers: an envelope it cannot read is the sender's fault; an exception
    # thrown by the operation (INVALID USERNAME, refused credentials, ...) is a server fault.
    caller_fault = isinstance(err, InvalidRequest)
    # A login refused by the lockout, and a database or directory that did not answer (try again),
    # keep their own status, so that clients can tell them apart.
    status = err.status if err.status in (429, 503) else (400 if caller_fault else 500)
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


def fault_response(request: HttpRequest, err: PortalError) -> HttpResponse:
    """The SOAP fault of ``err`` in the envelope version the request spoke."""
    envelope_ns = _version(request.content_type or request.META.get("CONTENT_TYPE", ""))
    body, status = soap_fault(envelope_ns, err)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[envelope_ns])


def form_error_response(err: PortalError) -> HttpResponse:
    """The ASMX HTTP POST form's answer to ``err``: its text, HTTP 500 (401 for credentials, 503
    for a database or directory that did not answer), as ASMX does."""
    status = err.status if err.status in (401, 503) else 500
    response = HttpResponse(
        f"System.Exception: {err.text}\n", status=status, content_type="text/plain; charset=utf-8"
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="EngageIP web service"'
    return response


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
    try:
        if len(request.body) > MAX_REQUEST_BYTES:
            raise InvalidRequest("The request is larger than 1 MB.")
        call = soap_parse(
            request.body, request.META.get("CONTENT_TYPE", ""), request.META.get("HTTP_SOAPACTION")
        )
        result = run(_caller(request, call), call.operation.procedure, call.arguments, door="soap")
        return HttpResponse(soap_result(call, result), content_type=CONTENT_TYPES[call.envelope])
    except Exception as exc:  # every failure answers a fault (portal.failures)
        return fault_response(request, portal_error(exc, where="a SOAP call"))


# --- the ASMX HTTP POST form ---------------------------------------------------------------------


@csrf_exempt
def webservice_method(request: HttpRequest, method: str) -> HttpResponse:
    """``POST /adminportal/webservice.asmx/<Method>`` with form fields, as an ASMX service offers
    besides SOAP: credentials by HTTP Basic (the form has no SOAP header); the answer is the bare
    typed element (``<double xmlns="Logisense_EngageIP">``, ``<ArrayOfViewInvoice ...>``), or
    nothing for a void operation. An exception answers HTTP 500 with its text, as ASMX does."""
    operation = OPERATIONS.get(method)
    if operation is None:
        return HttpResponse(
            f"{method} Web Service method name is not valid.",
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    if request.method != "POST":
        response = HttpResponse(status=405)
        response["Allow"] = "POST"
        return response
    try:
        if len(request.body) > MAX_REQUEST_BYTES:
            raise InvalidRequest("The request is larger than 1 MB.")
        if (request.content_type or "") not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            raise InvalidRequest("The HTTP POST form takes Content-Type application/x-www-form-urlencoded.")
        arguments: dict[str, str] = {}
        for key in request.POST:
            values = request.POST.getlist(key)
            if len(values) != 1:
                raise InvalidRequest(f"The field {key} is given more than once.")
            arguments[parameter_name(operation, key)] = values[0]
        user = _basic_user(request)
        result = run(Caller.from_user(user), operation.procedure, arguments, door="soap")
    except Exception as exc:  # every failure answers the form's text (portal.failures)
        return form_error_response(portal_error(exc, where="an HTTP POST form call"))
    element = operation.http_post_element
    if element is None:
        return HttpResponse(b"", content_type="text/xml; charset=utf-8")
    inner = result_xml(operation, result, element)
    body = inner.replace(f"<{element}>", f'<{element} xmlns:xsi="{XSI}" xmlns="{NS}">', 1)
    return HttpResponse(
        ('<?xml version="1.0" encoding="utf-8"?>' + body).encode(), content_type="text/xml; charset=utf-8"
    )


def _basic_user(request: HttpRequest):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    user = None
    if scheme.lower() == "basic" and encoded:
        try:
            username, _, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            username = password = ""
        if username:
            user = authenticate_basic(request, username, password)
    if user is None:
        raise NotAuthenticated(
            "The HTTP POST form needs the Username and Password of a portal user (HTTP Basic)."
        )
    return user
