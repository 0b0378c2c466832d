"""Serializers of the billing REST resources; money as strings of Decimal."""

from __future__ import annotations

from rest_framework import serializers

from billing.models import (
    BillingAccount,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    Package,
    Payment,
    ServiceDiscount,
    UserPackage,
)


class BillingAccountSerializer(serializers.ModelSerializer):
    """An account: its username, parent, linked customer record (path) and default card's last4."""

    parent = serializers.CharField(source="parent.username", default=None, read_only=True, allow_null=True)
    path = serializers.CharField(source="customer_record.path", default=None, read_only=True, allow_null=True)
    card = serializers.SerializerMethodField()

    statusReason = serializers.CharField(source="status_reason", read_only=True)  # noqa: N815
    statusAmount = serializers.DecimalField(  # noqa: N815
        source="status_amount", max_digits=14, decimal_places=2, read_only=True, allow_null=True
    )
    mailSuspended = serializers.BooleanField(source="mail_suspended", read_only=True)  # noqa: N815

    class Meta:
        model = BillingAccount
        fields = [
            "id",
            "username",
            "name",
            "currency",
            "parent",
            "path",
            "card",
            "status",
            "statusReason",
            "statusAmount",
            "mailSuspended",
        ]

    def get_card(self, account: BillingAccount) -> str | None:
        method = account.default_payment_method
        return str(method) if method else None


class PackageSerializer(serializers.ModelSerializer):
    """A package with its services and optional services (with their default)."""

    ID = serializers.IntegerField(source="pk", read_only=True)
    billCycle = serializers.CharField(source="bill_cycle", read_only=True)  # noqa: N815
    services = serializers.SerializerMethodField()
    optionalServices = serializers.SerializerMethodField()  # noqa: N815

    class Meta:
        model = Package
        fields = ["ID", "name", "billCycle", "services", "optionalServices"]

    def get_services(self, package: Package) -> list[dict]:
        return [
            {"ServiceID": s.pk, "name": s.name, "recurring": s.recurring, "price": str(s.price)}
            for s in package.services.all()
        ]

    def get_optionalServices(self, package: Package) -> list[dict]:  # noqa: N802
        return [
            {
                "ServiceID": item.service.pk,
                "name": item.service.name,
                "price": str(item.service.price),
                "default": item.default_on,
            }
            for item in package.optional_services.all()
        ]


class ServiceDiscountSerializer(serializers.ModelSerializer):
    ServiceName = serializers.CharField(source="service.name")
    discountType = serializers.CharField(source="discount_type")  # noqa: N815
    discountAmount = serializers.DecimalField(source="amount", max_digits=14, decimal_places=2)  # noqa: N815
    discountOccur = serializers.IntegerField(source="occurrences")  # noqa: N815
    discountNote = serializers.CharField(source="note")  # noqa: N815
    occurrencesLeft = serializers.IntegerField(source="occurrences_left", allow_null=True)  # noqa: N815

    class Meta:
        model = ServiceDiscount
        fields = [
            "ServiceName",
            "discountType",
            "discountAmount",
            "discountOccur",
            "discountNote",
            "occurrencesLeft",
        ]


class UserPackageSerializer(serializers.ModelSerializer):
    """A user package: account, package, optional services, next bill date, child flag, discounts."""

    account = serializers.CharField(source="account.username")
    packageID = serializers.IntegerField(source="package_id")  # noqa: N815
    package = serializers.CharField(source="package.name")
    optionalServices = serializers.SerializerMethodField()  # noqa: N815
    nextBillDate = serializers.DateField(source="next_bill_date")  # noqa: N815
    IsChildUser = serializers.BooleanField(source="is_child")
    cancelDate = serializers.DateField(source="cancel_date", allow_null=True)  # noqa: N815
    canceledDate = serializers.DateField(source="canceled_on", allow_null=True)  # noqa: N815
    discounts = ServiceDiscountSerializer(many=True)

    class Meta:
        model = UserPackage
        fields = [
            "id",
            "account",
            "packageID",
            "package",
            "optionalServices",
            "nextBillDate",
            "IsChildUser",
            "active",
            "status",
            "cancelDate",
            "canceledDate",
            "discounts",
        ]

    def get_optionalServices(self, up: UserPackage) -> list[int]:  # noqa: N802
        return [service.pk for service in up.optional_services.all()]


class InvoiceLineSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount = serializers.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        model = InvoiceLine
        fields = ["description", "amount", "gross", "discount", "period_start", "period_end", "user_package"]


class InvoiceSerializer(serializers.ModelSerializer):
    """An invoice: ``account`` (the username), its ``lines`` and ``total`` (strings of Decimal)."""

    account = serializers.CharField(source="account.username")
    number = serializers.CharField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = InvoiceLineSerializer(many=True)

    class Meta:
        model = Invoice
        fields = ["id", "number", "account", "issued_on", "currency", "status", "total", "lines"]


class PaymentSerializer(serializers.ModelSerializer):
    """A payment: ``account``, amount (string of Decimal), type, reference, what it was dispersed
    to (``dispersals``: invoice and amount)."""

    account = serializers.CharField(source="account.username")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    paymentType = serializers.CharField(source="payment_type")  # noqa: N815
    checkNumber = serializers.IntegerField(source="check_number", allow_null=True)  # noqa: N815
    cardType = serializers.CharField(source="card_type")  # noqa: N815
    paidOn = serializers.DateField(source="paid_on", allow_null=True)  # noqa: N815
    dispersals = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "account",
            "amount",
            "currency",
            "paymentType",
            "method",
            "reference",
            "detail",
            "checkNumber",
            "cardType",
            "paidOn",
            "dispersals",
        ]

    def get_dispersals(self, payment: Payment) -> list[dict]:
        return [{"invoice": d.invoice_id, "amount": str(d.amount)} for d in payment.dispersals.all()]


class CreditNoteLineSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        model = CreditNoteLine
        fields = ["description", "amount", "period_start", "period_end", "user_package", "invoice_line"]


class CreditNoteSerializer(serializers.ModelSerializer):
    """A credit note: its number, ``account``, ``total`` and ``lines`` (strings of Decimal)."""

    account = serializers.CharField(source="account.username")
    number = serializers.CharField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = CreditNoteLineSerializer(many=True)

    class Meta:
        model = CreditNote
        fields = ["id", "number", "account", "issued_on", "currency", "total", "reason", "lines"]
