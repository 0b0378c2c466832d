"""The lifecycle operations of the EngageIP door (each on its "SOAP API - <Method>" page): through
zeep (SOAP 1.1 and 1.2), raw SOAP 1.1 and 1.2 envelopes, and the ASMX HTTP POST form, each with
the exceptions its page documents, to the letter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import pytest
import zeep
from lxml import etree

from billing.models import BillingAccount, Invoice, Payment, UserPackage, UserService
from tests.billing.conftest import SEED_OPTIONAL
from tests.billing.soap_client import zeep_client
from tests.conftest import PASSWORD, basic

URL = "/adminportal/webservice.asmx"
NS = "Logisense_EngageIP"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
AUTH = {"AuthHeader": {"Username": "administrator", "Password": PASSWORD}}
MIN = "0001-01-01T00:00:00"
TRANSPORTS = ["zeep11", "zeep12", "raw11", "raw12", "post"]


@pytest.fixture
def account(add_package):
    """northwind with package 1 and its optional My Service, invoiced at once (16.50 open)."""
    up = add_package(
        billNow=True, NextBillDate=MIN, xmlOptionalServices=SEED_OPTIONAL, xmlServiceDiscounts=""
    )
    return UserPackage.objects.get(pk=up["userPackageID"])


def _envelope(version: str, operation: str, args: dict) -> bytes:
    fields = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in args.items())
    prefix = "soap" if version == SOAP11 else "soap12"
    return (
        f'<?xml version="1.0" encoding="utf-8"?><{prefix}:Envelope xmlns:{prefix}="{version}">'
        f'<{prefix}:Header><AuthHeader xmlns="{NS}"><Username>administrator</Username>'
        f"<Password>{PASSWORD}</Password></AuthHeader></{prefix}:Header>"
        f'<{prefix}:Body><{operation} xmlns="{NS}">{fields}</{operation}></{prefix}:Body></{prefix}:Envelope>'
    ).encode()


class Fault(Exception):
    """A fault as the test sees it, whatever the transport."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def call(client, transport: str, operation: str, args: dict):
    """Call ``operation`` with ``args`` through ``transport``; answers the result as text (or a
    list of dicts for arrays, None for void); raises :class:`Fault` with the exception's text."""
    if transport.startswith("zeep"):
        service = zeep_client(client, soap12=transport == "zeep12")
        try:
            result = getattr(service, operation)(**args, _soapheaders=AUTH)
        except zeep.exceptions.Fault as fault:
            raise Fault(fault.message) from fault
        if result is not None and not isinstance(result, bool | str | int | float | Decimal):
            # an ArrayOfX comes back as the list of X (or an object holding it)
            items = zeep.helpers.serialize_object(result)
            if isinstance(items, dict):
                (items,) = items.values()
            return [dict(item) for item in items or []]
        if isinstance(result, bool):
            return "true" if result else "false"
        return None if result is None else str(result)
    if transport == "post":
        fields = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in args.items()}
        response = client.post(
            f"{URL}/{operation}",
            data=urlencode(fields),
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=basic("administrator"),
        )
        if response.status_code == 500:
            text = response.content.decode()
            assert text.startswith("System.Exception: ")
            raise Fault(text.removeprefix("System.Exception: ").strip())
        assert response.status_code == 200, response.content
        if not response.content:
            return None
        root = etree.fromstring(response.content)
        assert etree.QName(root).namespace == NS
        return _value(root)
    version = SOAP11 if transport == "raw11" else SOAP12
    body = _envelope(version, operation, {k: _raw(v) for k, v in args.items()})
    if version == SOAP11:
        response = client.post(
            URL, data=body, content_type="text/xml; charset=utf-8", HTTP_SOAPACTION=f'"{NS}/{operation}"'
        )
    else:
        response = client.post(URL, data=body, content_type="application/soap+xml; charset=utf-8")
    root = etree.fromstring(response.content)
    fault = root.find(f"{{{version}}}Body/{{{version}}}Fault")
    if fault is not None:
        assert response.status_code == 500
        if version == SOAP11:
            assert fault.findtext("faultcode") == "soap:Server"
            raise Fault(fault.findtext("faultstring"))
        assert fault.findtext(f"{{{SOAP12}}}Code/{{{SOAP12}}}Value") == "soap:Receiver"
        raise Fault(fault.findtext(f"{{{SOAP12}}}Reason/{{{SOAP12}}}Text"))
    answer = root.find(f"{{{version}}}Body/{{{NS}}}{operation}Response")
    assert answer is not None, response.content
    result = answer.find(f"{{{NS}}}{operation}Result")
    return None if result is None else _value(result)


def _raw(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _value(element):
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        return element.text
    return [{etree.QName(field).localname: field.text for field in item} for item in children]


def _ok(client, transport, operation, args):
    return call(client, transport, operation, args)


def _fault(client, transport, operation, args) -> str:
    with pytest.raises(Fault) as caught:
        call(client, transport, operation, args)
    return caught.value.text


def cancel_args(up: UserPackage, **changes) -> dict:
    return {
        "username": "northwind",
        "userPackageID": up.pk,
        "cancelOpt": "PeriodEnd",
        "specificDate": dt.datetime(1, 1, 1),
        **changes,
    }


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_cancel_user_package(client, account, transport):
    assert _ok(client, transport, "CancelUserPackage", cancel_args(account)) is None
    account.refresh_from_db()
    assert account.cancel_date == account.next_bill_date and account.cancel_option == "PeriodEnd"


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"username": "nobody"}, "INVALID USERNAME"),
        ({"userPackageID": 999999}, "INVALID USER PACKAGE ID"),
        ({"cancelOpt": "SpecificDate"}, "DATE NOT SUPPLIED WHEN REQUIRED"),
    ],
)
def test_cancel_user_package_exceptions(client, account, transport, changes, text):
    assert _fault(client, transport, "CancelUserPackage", cancel_args(account, **changes)) == text
    account.refresh_from_db()
    assert account.cancel_date is None and account.status == "Active"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_cancel_user_package_not_active(client, account, transport):
    args = cancel_args(account, cancelOpt="ImmediatelyWithNoTransaction")
    _ok(client, transport, "CancelUserPackage", args)
    assert _fault(client, transport, "CancelUserPackage", args) == "USER PACKAGE NOT ACTIVE"


def _optional(up: UserPackage) -> UserService:
    return UserService.objects.get(user_package=up, optional=True, service__name="My Service")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_delete_optional_user_service(client, account, transport):
    user_service = _optional(account)
    args = {"userServiceID": user_service.pk, "deleteOption": "ImmediatelyWithProratedTransaction"}
    assert _ok(client, transport, "DeleteOptionalUserService", args) is None
    user_service.refresh_from_db()
    assert user_service.canceled_on is not None
    assert "My Service" not in account.optional_services.values_list("name", flat=True)
    assert _fault(client, transport, "DeleteOptionalUserService", args) == "INVALID SERVICE"


@pytest.mark.parametrize("transport", ["raw11", "raw12", "post"])  # zeep refuses it before sending
def test_delete_optional_user_service_invalid_option(client, account, transport):
    args = {"userServiceID": _optional(account).pk, "deleteOption": "Eventually"}
    assert _fault(client, transport, "DeleteOptionalUserService", args) == "INVALID DELETE OPTION"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_update_user_package_status(client, account, transport):
    args = {"userPackageID": account.pk, "userPackageStatusTypeName": "Suspended"}
    assert _ok(client, transport, "UpdateUserPackageStatus", args) is None
    account.refresh_from_db()
    assert (account.status, account.active) == ("Suspended", False)
    args["userPackageStatusTypeName"] = "Paused"
    assert (
        _fault(client, transport, "UpdateUserPackageStatus", args) == "INVALID USER PACKAGE STATUS TYPE NAME"
    )
    args.update(userPackageID=999999, userPackageStatusTypeName="Active")
    assert _fault(client, transport, "UpdateUserPackageStatus", args) == "INVALID USER PACKAGE ID"


def status_args(**changes) -> dict:
    return {
        "username": "northwind",
        "userstatustypename": "Suspended",
        "cancelopt": "ImmediatelyWithNoTransaction",
        "specificdate": dt.datetime(1, 1, 1),
        **changes,
    }


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_update_user_status_with_option(client, account, transport):
    assert _ok(client, transport, "UpdateUserStatusWithOption", status_args()) is None
    northwind = BillingAccount.objects.get(username="northwind")
    assert northwind.status == "Suspended" and northwind.status_amount == Decimal("16.50")
    assert (
        _ok(client, transport, "UpdateUserStatusWithOption", status_args(userstatustypename="Enabled"))
        is None
    )
    assert BillingAccount.objects.get(username="northwind").status == "Enabled"


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"username": "nobody"}, "INVALID USERNAME"),
        ({"userstatustypename": "Hibernating"}, "INVALID STATUS"),
        ({"cancelopt": "SpecificDate"}, "INVALID DATE"),
        ({"userstatustypename": "Prospect"}, "CANNOT ASSIGN"),  # it has been invoiced
    ],
)
def test_update_user_status_with_option_exceptions(client, account, transport, changes, text):
    assert _fault(client, transport, "UpdateUserStatusWithOption", status_args(**changes)) == text
    assert BillingAccount.objects.get(username="northwind").status == "Enabled"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_cancelled_account_cannot_be_assigned_another_status(client, account, transport):
    _ok(client, transport, "UpdateUserStatusWithOption", status_args(userstatustypename="Cancelled"))
    account.refresh_from_db()
    assert account.status == "Canceled"
    assert _fault(client, transport, "UpdateUserStatusWithOption", status_args()) == "CANNOT ASSIGN"


def payment_args(**changes) -> dict:
    return {
        "username": "northwind",
        "amount": Decimal("16.50"),
        "detail": "cheque received",
        "paymenttype": "Check",
        "paymentDate": dt.datetime(2026, 11, 30),
        "isAutoDisperse": True,
        "cardType": "",
        "CheckNumber": 1042,
        **changes,
    }


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_add_payment_pays_the_oldest_invoice_and_a_retry_records_it_once(client, account, transport):
    assert _ok(client, transport, "AddPayment", payment_args()) is None
    assert _ok(client, transport, "AddPayment", payment_args()) is None  # same check number: a retry
    payment = Payment.objects.get()
    assert (payment.amount, payment.check_number, payment.paid_on) == (
        Decimal("16.50"),
        1042,
        dt.date(2026, 11, 30),
    )
    assert Invoice.objects.get().status == "paid"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_add_payment_as_its_page_documents_it_without_a_reference_still_works(client, account, transport):
    # the page's eight elements in its order, no reference: each call is a payment of its own
    cash = payment_args(amount=Decimal("8.25"), paymenttype="Cash", CheckNumber=0, detail="counter")
    assert list(cash) == [
        "username",
        "amount",
        "detail",
        "paymenttype",
        "paymentDate",
        "isAutoDisperse",
        "cardType",
        "CheckNumber",
    ]
    assert _ok(client, transport, "AddPayment", cash) is None
    assert Invoice.objects.get().status == "open"
    assert _ok(client, transport, "AddPayment", cash) is None
    payments = list(Payment.objects.order_by("pk"))
    assert [(p.amount, p.payment_type, p.reference) for p in payments] == [
        (Decimal("8.25"), "Cash", ""),
        (Decimal("8.25"), "Cash", ""),
    ]
    assert Invoice.objects.get().status == "paid"  # 16.50 = 8.25 + 8.25


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_add_payment_with_the_portals_reference_records_a_retry_once(client, account, transport):
    cash = payment_args(paymenttype="Cash", CheckNumber=0, reference="bank-2026-11-30-17")
    assert _ok(client, transport, "AddPayment", cash) is None
    assert _ok(client, transport, "AddPayment", cash) is None
    payment = Payment.objects.get()
    assert (payment.amount, payment.reference) == (Decimal("16.50"), "bank-2026-11-30-17")
    text = _fault(client, transport, "AddPayment", {**cash, "amount": Decimal("5.00")})
    assert (
        text
        == "The payment reference 'bank-2026-11-30-17' of northwind was recorded with another amount (16.50)."
    )
    assert Payment.objects.count() == 1


def test_the_wsdl_declares_the_reference_optional_after_the_pages_elements(client, db):
    wsdl = etree.fromstring(client.get(f"{URL}?WSDL").content)
    xs = "http://www.w3.org/2001/XMLSchema"
    (operation,) = [e for e in wsdl.iter(f"{{{xs}}}element") if e.get("name") == "AddPayment"]
    fields = [
        (e.get("name"), e.get("minOccurs")) for e in operation.iter(f"{{{xs}}}element") if e is not operation
    ]
    assert [name for name, _ in fields] == [
        "username",
        "amount",
        "detail",
        "paymenttype",
        "paymentDate",
        "isAutoDisperse",
        "cardType",
        "CheckNumber",
        "reference",
    ]
    assert fields[-1] == ("reference", "0")


@pytest.mark.parametrize("transport", ["zeep11", "raw12", "post"])
def test_current_status_type_ids_are_the_portals_own_fixed_numbers(client, account, transport):
    for status, number in (("Suspended", "4"), ("Prospect", "3"), ("Active", "1"), ("Canceled", "2")):
        _ok(
            client,
            transport,
            "UpdateUserPackageStatus",
            {"userPackageID": account.pk, "userPackageStatusTypeName": status},
        )
        (package,) = _ok(client, transport, "GetUserPackages", {"username": "northwind"})
        assert str(package["Current_StatusTypeID"]) == number, status


def test_the_engines_answer_names_the_status_beside_its_number(bill, account):
    for status, number in (("Suspended", 4), ("Prospect", 3), ("Active", 1), ("Canceled", 2)):
        bill("UpdateUserPackageStatus", {"userPackageID": account.pk, "userPackageStatusTypeName": status})
        (package,) = bill("GetUserPackages", {"username": "northwind"})["userPackages"]
        assert (package["Current_StatusTypeID"], package["Status"]) == (number, status)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"username": "nobody"}, "INVALID USERNAME"),
        ({"amount": Decimal("0")}, "INVALID AMOUNT"),
        ({"amount": Decimal("-3.00")}, "INVALID AMOUNT"),
        ({"amount": Decimal("1E+3")}, "INVALID AMOUNT"),
        ({"paymenttype": "Barter"}, "INVALID PAYMENT TYPE"),
        ({"paymenttype": "Credit Card", "cardType": "Store card", "CheckNumber": 0}, "INVALID CARD TYPE"),
        ({"CheckNumber": 0}, "INVALID CHECK NUMBER"),
    ],
)
def test_add_payment_exceptions(client, account, transport, changes, text):
    assert _fault(client, transport, "AddPayment", payment_args(**changes)) == text
    assert not Payment.objects.exists()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_add_payment_user_status_does_not_allow_payment(client, bill, billing_demo, transport):
    bill("UpdateUserStatusWithOption", {"username": "northwind", "userstatustypename": "Prospect"})
    assert _fault(client, transport, "AddPayment", payment_args()) == "USER STATUS DOES NOT ALLOW PAYMENT"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_make_payment_charges_the_card_on_file(client, add_package, transport):
    add_package(username="alpineskihouse", billNow=True, NextBillDate=MIN, xmlServiceDiscounts="")
    assert (
        _ok(client, transport, "MakePayment", {"username": "alpineskihouse", "amount": Decimal("6.50")})
        == "true"
    )
    payment = Payment.objects.get(account__username="alpineskihouse")
    assert payment.amount == Decimal("6.50") and payment.charge.approved
    assert (
        _ok(client, transport, "MakePayment", {"username": "northwind", "amount": Decimal("1.00")}) == "false"
    )
    assert _fault(client, transport, "MakePayment", {"username": "nobody", "amount": Decimal("1")}) == (
        "INVALID USERNAME"
    )
    assert _fault(client, transport, "MakePayment", {"username": "northwind", "amount": Decimal("0")}) == (
        "PAYMENT OF NON-POSITIVE AMOUNT"
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_get_user_balance_due(client, account, transport):
    today = dt.datetime.combine(dt.date.today(), dt.time())
    assert Decimal(
        _ok(client, transport, "GetUserBalanceDue", {"username": "northwind", "dueDate": today})
    ) == (Decimal("16.50"))
    before = today - dt.timedelta(days=400)
    assert (
        Decimal(_ok(client, transport, "GetUserBalanceDue", {"username": "northwind", "dueDate": before}))
        == 0
    )
    assert _fault(client, transport, "GetUserBalanceDue", {"username": "nobody", "dueDate": today}) == (
        "INVALID USERNAME"
    )


@pytest.mark.parametrize("transport", ["raw11", "raw12", "post"])
def test_get_user_balance_due_invalid_date(client, account, transport):
    assert _fault(
        client, transport, "GetUserBalanceDue", {"username": "northwind", "dueDate": "someday"}
    ) == ("INVALID DATE")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_get_lists(client, account, transport):
    _ok(client, transport, "AddPayment", payment_args(amount=Decimal("6.50")))
    (invoice,) = _ok(client, transport, "GetInvoices", {"username": "northwind"})
    assert (str(invoice["ID"]), Decimal(str(invoice["Total"])), Decimal(str(invoice["Balance"]))) == (
        str(Invoice.objects.get().pk),
        Decimal("16.50"),
        Decimal("10.00"),
    )
    assert invoice["User"] == "northwind" and invoice["InvoiceStatusType"] == "Open"
    (payment,) = _ok(client, transport, "GetPayments", {"username": "northwind"})
    assert Decimal(str(payment["Amount"])) == Decimal("6.50") and payment["PaymentType"] == "Check"
    (package,) = _ok(client, transport, "GetUserPackages", {"username": "northwind"})
    assert str(package["ID"]) == str(account.pk) and package["Package"] == "Hosted Email Business"
    assert str(package["Current_StatusTypeID"]) == "1"
    services = _ok(client, transport, "GetUserServices", {"username": "northwind"})
    assert sorted(s["Service"] for s in services) == ["Archiving", "Mailbox", "My Service"]
    assert {s["Service"]: str(s["Optional"]).lower() for s in services}["Mailbox"] == "false"
    for operation in ("GetInvoices", "GetPayments", "GetUserPackages", "GetUserServices"):
        assert _fault(client, transport, operation, {"username": "nobody"}) == "INVALID USERNAME"


def test_http_post_answers_the_bare_typed_element(client, account):
    response = client.post(
        f"{URL}/GetUserBalanceDue",
        data={"username": "northwind", "dueDate": dt.date.today().isoformat()},
        HTTP_AUTHORIZATION=basic("administrator"),
    )
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{NS}}}double" and root.text == "16.50"
    response = client.post(
        f"{URL}/GetInvoices", data={"username": "northwind"}, HTTP_AUTHORIZATION=basic("administrator")
    )
    assert etree.fromstring(response.content).tag == f"{{{NS}}}ArrayOfViewInvoice"


def test_http_post_needs_credentials_and_a_known_method(client, account):
    response = client.post(f"{URL}/GetInvoices", data={"username": "northwind"})
    assert response.status_code == 401
    response = client.post(
        f"{URL}/GetInvoices",
        data={"username": "northwind"},
        HTTP_AUTHORIZATION=basic("administrator", "wrong"),
    )
    assert response.status_code == 401
    response = client.post(f"{URL}/DropAllTables", data={}, HTTP_AUTHORIZATION=basic("administrator"))
    assert response.status_code == 500 and b"not valid" in response.content


def test_element_names_are_read_in_any_letter_case(client, account):
    body = _envelope(
        SOAP12,
        "CancelUserPackage",
        {"username": "northwind", "userpackageid": account.pk, "cancelopt": "PeriodEnd"},
    )
    response = client.post(URL, data=body, content_type="application/soap+xml; charset=utf-8")
    assert response.status_code == 200, response.content
    account.refresh_from_db()
    assert account.cancel_option == "PeriodEnd"


def test_wsdl_declares_the_enumerations_and_array_types(client, db):
    doc = etree.fromstring(client.get(URL + "?WSDL").content)
    s = {"s": "http://www.w3.org/2001/XMLSchema"}
    assert doc.xpath("//s:simpleType[@name='DisableOption']//s:enumeration/@value", namespaces=s) == [
        "ImmediatelyWithFullTransaction",
        "ImmediatelyWithProratedTransaction",
        "ImmediatelyWithNoTransaction",
        "PeriodEnd",
        "SpecificDate",
    ]
    assert doc.xpath("//s:complexType[@name='ArrayOfViewInvoice']//s:element/@type", namespaces=s) == [
        "tns:ViewInvoice"
    ]
    assert doc.xpath("//s:element[@name='MakePaymentResponse']//s:element/@type", namespaces=s) == [
        "s:boolean"
    ]


def test_a_reseller_reads_its_customer_but_may_not_change_billing(client, account):
    body = _envelope(SOAP11, "GetInvoices", {"username": "northwind"}).replace(
        b"<Username>administrator</Username>", b"<Username>contoso-admin</Username>"
    )
    response = client.post(URL, data=body, content_type="text/xml", HTTP_SOAPACTION=f'"{NS}/GetInvoices"')
    assert response.status_code == 200
    other = body.replace(b"contoso-admin", b"cm-admin")
    response = client.post(URL, data=other, content_type="text/xml", HTTP_SOAPACTION=f'"{NS}/GetInvoices"')
    assert b"INVALID USERNAME" in response.content
    body = _envelope(SOAP11, "AddPayment", {k: _raw(v) for k, v in payment_args().items()}).replace(
        b"<Username>administrator</Username>", b"<Username>contoso-admin</Username>"
    )
    response = client.post(URL, data=body, content_type="text/xml", HTTP_SOAPACTION=f'"{NS}/AddPayment"')
    assert response.status_code == 500 and b"requires" in response.content
    assert not Payment.objects.exists()
