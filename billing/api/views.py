"""The billing REST resources: read-only, scoped by the caller (``billing.selectors``).

Changes go through ``/api/procedures/`` (``Billing::AddPackageToUserWithOptionalServices``,
``Billing::RunBillCycle``, ``Billing::AddPayment``, ``Billing::CancelUserPackage``, ...).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema

from billing import selectors
from billing.api.serializers import (
    BillingAccountSerializer,
    CreditNoteSerializer,
    InvoiceSerializer,
    PackageSerializer,
    PaymentSerializer,
    UserPackageSerializer,
)
from billing.models import BillingAccount, CreditNote, Invoice, Package, Payment, UserPackage
from portal.api.scoped import ScopedViewSet

ACCOUNT_FILTER = OpenApiParameter("account", str, description="Only those of this account (its username).")


class BillingAccountViewSet(ScopedViewSet):
    """Billing accounts inside the caller's scope."""

    queryset = BillingAccount.objects.none()
    serializer_class = BillingAccountSerializer
    lookup_field = "username"
    selector = selectors.account_list


class PackageViewSet(ScopedViewSet):
    """The catalogue's packages."""

    queryset = Package.objects.none()
    serializer_class = PackageSerializer
    selector = selectors.package_list


@extend_schema(parameters=[ACCOUNT_FILTER])
class UserPackageViewSet(ScopedViewSet):
    """User packages of the accounts inside the caller's scope."""

    queryset = UserPackage.objects.none()
    serializer_class = UserPackageSerializer
    selector = selectors.user_package_list
    filters = ("account",)


@extend_schema(parameters=[ACCOUNT_FILTER])
class InvoiceViewSet(ScopedViewSet):
    """Invoices of the accounts inside the caller's scope, with their lines."""

    queryset = Invoice.objects.none()
    serializer_class = InvoiceSerializer
    selector = selectors.invoice_list
    filters = ("account",)


@extend_schema(parameters=[ACCOUNT_FILTER])
class PaymentViewSet(ScopedViewSet):
    """Payments of the accounts inside the caller's scope, with what each was dispersed to.
    Record one with ``Billing::AddPayment`` (idempotent by ``reference``) or ``Billing::MakePayment``."""

    queryset = Payment.objects.none()
    serializer_class = PaymentSerializer
    selector = selectors.payment_list
    filters = ("account",)


@extend_schema(parameters=[ACCOUNT_FILTER])
class CreditNoteViewSet(ScopedViewSet):
    """Credit notes of the accounts inside the caller's scope, with their lines (issued by
    ``Billing::CancelUserPackage`` and ``Billing::DeleteOptionalUserService`` with a prorated
    transaction)."""

    queryset = CreditNote.objects.none()
    serializer_class = CreditNoteSerializer
    selector = selectors.credit_note_list
    filters = ("account",)
