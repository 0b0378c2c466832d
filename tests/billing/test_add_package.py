"""``Billing::AddPackageToUserWithOptionalServices`` through the engine (seed 004)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from billing.models import ChargeAttempt, Invoice, Payment, ServiceDiscount, UserPackage
from portal.errors import AccessDenied, InvalidArgument, NotFound
from portal.models import AuditRecord
from tests.billing.conftest import SEED_DISCOUNTS


def _nothing_written() -> None:
    assert UserPackage.objects.count() == 0
    assert ServiceDiscount.objects.count() == 0
    assert Invoice.objects.count() == 0


def test_seed_call_returns_the_new_user_package_with_its_optional_services_and_discount(add_package):
    out = add_package()

    up = UserPackage.objects.get(pk=out["userPackageID"])
    assert up.account.username == "northwind"
    assert up.package_id == 1
    assert up.next_bill_date == dt.date(2026, 1, 1)
    assert up.is_child is False
    discount = up.discounts.get()
    assert (discount.service.name, discount.discount_type, discount.amount) == (
        "My Service",
        "Fixed",
        Decimal("10.00"),
    )
    assert (discount.occurrences, discount.occurrences_left, discount.note) == (0, None, "Renewal discount")
    assert out["invoiceID"] is None  # billNow false: billed with the regular cycle


def test_default_optional_services_are_always_included(add_package):
    out = add_package(xmlOptionalServices="", xmlServiceDiscounts="")
    names = sorted(
        UserPackage.objects.get(pk=out["userPackageID"]).optional_services.values_list("name", flat=True)
    )
    assert names == ["Archiving"]  # on by default, although not asked for

    out = add_package(
        xmlOptionalServices="<OptionalServices><ServiceID>23</ServiceID></OptionalServices>",
        xmlServiceDiscounts="",
    )
    names = sorted(
        UserPackage.objects.get(pk=out["userPackageID"]).optional_services.values_list("name", flat=True)
    )
    assert names == ["Archiving", "My Service"]


def test_several_service_ids_and_several_discount_groups(add_package):
    out = add_package(
        xmlOptionalServices="<OptionalServices><ServiceID>23</ServiceID><ServiceID>24</ServiceID></OptionalServices>",
        xmlServiceDiscounts=(
            "<ServiceDiscounts>"
            "<ServiceName>My Service</ServiceName><discountType>Percent</discountType>"
            "<discountAmount>50</discountAmount><discountOccur>2</discountOccur><discountNote>Intro</discountNote>"
            "<ServiceName>Mailbox</ServiceName><discountType>Fixed</discountType>"
            "<discountAmount>1.00</discountAmount><discountOccur>0</discountOccur><discountNote></discountNote>"
            "</ServiceDiscounts>"
        ),
    )
    discounts = ServiceDiscount.objects.filter(user_package_id=out["userPackageID"]).order_by("id")
    assert [(d.service.name, d.discount_type, d.amount, d.occurrences) for d in discounts] == [
        ("My Service", "Percent", Decimal("50.00"), 2),
        ("Mailbox", "Fixed", Decimal("1.00"), 0),
    ]


def test_unknown_username_fails_with_invalid_username_and_writes_nothing(add_package):
    with pytest.raises(NotFound) as err:
        add_package(username="nobody")
    assert err.value.text == "INVALID USERNAME"
    _nothing_written()
    assert AuditRecord.objects.filter(
        procedure="AddPackageToUserWithOptionalServices", status="failed"
    ).exists()


def test_unknown_package_fails_with_invalid_package_and_writes_nothing(add_package):
    with pytest.raises(NotFound) as err:
        add_package(packageID=999)
    assert err.value.text == "INVALID PACKAGE"
    _nothing_written()


def test_unknown_service_id_is_refused_clearly(add_package):
    with pytest.raises(InvalidArgument) as err:
        add_package(xmlOptionalServices="<OptionalServices><ServiceID>77</ServiceID></OptionalServices>")
    assert "ServiceID 77" in err.value.text and "no such service" in err.value.text
    assert err.value.field == "xmlOptionalServices"
    with pytest.raises(InvalidArgument) as err:
        add_package(xmlOptionalServices="<OptionalServices><ServiceID>22</ServiceID></OptionalServices>")
    assert "Mailbox is not one of its optional services" in err.value.text
    _nothing_written()


@pytest.mark.parametrize(
    ("argument", "value", "text"),
    [
        ("xmlOptionalServices", "<OptionalServices><ServiceID>23</ServiceID>", "not well-formed"),
        (
            "xmlOptionalServices",
            "<Services><ServiceID>23</ServiceID></Services>",
            "must be <OptionalServices>",
        ),
        (
            "xmlOptionalServices",
            "<OptionalServices><ServiceID>x</ServiceID></OptionalServices>",
            "whole number",
        ),
        (
            "xmlServiceDiscounts",
            "<ServiceDiscounts><ServiceName>My Service</ServiceName>"
            "<discountType>Half</discountType><discountAmount>1</discountAmount></ServiceDiscounts>",
            "Fixed or Percent",
        ),
        (
            "xmlServiceDiscounts",
            "<ServiceDiscounts><ServiceName>My Service</ServiceName>"
            "<discountType>Percent</discountType><discountAmount>120</discountAmount></ServiceDiscounts>",
            "exceed 100",
        ),
        (
            "xmlServiceDiscounts",
            "<ServiceDiscounts><ServiceName>My Service</ServiceName>"
            "<discountType>Fixed</discountType><discountAmount>-1</discountAmount></ServiceDiscounts>",
            "at least 0",
        ),
        (
            "xmlServiceDiscounts",
            "<ServiceDiscounts><ServiceName>Nope</ServiceName>"
            "<discountType>Fixed</discountType><discountAmount>1</discountAmount></ServiceDiscounts>",
            "not billed",
        ),
        ("xmlServiceDiscounts", '<!DOCTYPE x [<!ENTITY a "b">]><ServiceDiscounts/>', "DTDs"),
        (
            "xmlOptionalServices",
            '<?xml version="1.0"?><!DOCTYPE OptionalServices SYSTEM "http://example.invalid/x.dtd">'
            "<OptionalServices/>",
            "DTDs",
        ),
    ],
)
def test_malformed_xml_arguments_are_refused_and_nothing_is_written(add_package, argument, value, text):
    with pytest.raises(InvalidArgument) as err:
        add_package(**{argument: value})
    assert text in err.value.text
    assert err.value.field == argument
    _nothing_written()


def test_next_bill_date_min_value_means_now_and_bill_now_invoices_at_once(add_package):
    out = add_package(NextBillDate="0001-01-01T00:00:00", billNow=True, xmlServiceDiscounts="")
    today = timezone.localdate()
    up = UserPackage.objects.get(pk=out["userPackageID"])
    assert up.start_date == today
    invoice = Invoice.objects.get(pk=out["invoiceID"])
    assert invoice.account.username == "northwind"
    # Mailbox 4.00 + My Service 10.00 + Archiving 2.50 (default), first period from today.
    assert invoice.total == Decimal("16.50")
    assert sorted(line.amount for line in invoice.lines.all()) == [
        Decimal("2.50"),
        Decimal("4.00"),
        Decimal("10.00"),
    ]
    assert all(line.period_start == today for line in invoice.lines.all())
    assert up.next_bill_date > today  # the first period is billed; the next one is a month on


def test_charge_credit_card_charges_the_default_card_after_commit(
    add_package, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        out = add_package(username="alpineskihouse", chargeCreditCard=True, xmlServiceDiscounts="")
    invoice = Invoice.objects.get(pk=out["invoiceID"])
    assert invoice.status == "paid"
    payment = Payment.objects.get(invoice=invoice)
    assert payment.amount == invoice.total == Decimal("16.50")
    assert payment.method == "Visa ending 4242"
    attempt = ChargeAttempt.objects.get(invoice=invoice)
    assert attempt.approved and attempt.idempotency_key == f"invoice-{invoice.pk}-attempt-1"


def test_charge_credit_card_without_a_card_charges_nothing(add_package, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        out = add_package(chargeCreditCard=True)
    assert out["invoiceID"] is None and callbacks == []
    assert ChargeAttempt.objects.count() == 0


def test_refused_without_billing_rights(add_package):
    with pytest.raises(AccessDenied):
        add_package(user="cm-admin", username="alpineskihouse")
    _nothing_written()


def test_billing_admins_group_gives_billing_rights(add_package, login):
    user = login("cm-admin")
    user.groups.add(Group.objects.get_or_create(name="BillingAdmins")[0])
    out = add_package(user="cm-admin", username="northwind", xmlServiceDiscounts=SEED_DISCOUNTS)
    assert UserPackage.objects.filter(pk=out["userPackageID"]).exists()
