"""The billing REST resources: read-only, scoped by the caller (``billing.selectors``).

Changes go through ``/api/procedures/`` (``Billing::AddPackageToUserWithOptionalServices``,
``Billing::RunBillCycle``, ``Billing::AddPayment``, ``Billing::CancelUserPackage``, ...).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets

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
from portal.engine import Caller

ACCOUNT_FILTER = OpenApiParameter("account", str, description="Only those of this account (its username).")


class _Scoped(viewsets.ReadOnlyModelViewSet):
    filter_backends: list = []

    @property
    def caller(self) -> Caller:
        return Caller.from_user(self.request.user)

    @property
    def account_filter(self) -> str | None:
        return self.request.query_params.get("account") or None


class BillingAccountViewSet(_Scoped):
    """Billing accounts inside the caller's scope."""

    queryset = BillingAccount.objects.none()  # for the schema; get_queryset scopes the real one
    serializer_class = BillingAccountSerializer
    lookup_field = "username"

    def get_queryset(self):
        return selectors.account_list(self.caller)


class PackageViewSet(_Scoped):
    """The catalogue's packages."""

    queryset = Package.objects.none()  # for the schema; get_queryset scopes the real one
    serializer_class = PackageSerializer

    def get_queryset(self):
        return selectors.package_list(self.caller)


@extend_schema(parameters=[ACCOUNT_FILTER])
class UserPackageViewSet(_Scoped):
    """User packages of the accounts inside the caller's scope."""

    queryset = UserPackage.objects.none()  # for the schema; get_queryset scopes the real one
    serializer_class = UserPackageSerializer

    def get_queryset(self):
        return selectors.user_package_list(self.caller, account=self.account_filter)


@extend_schema(parameters=[ACCOUNT_FILTER])
class InvoiceViewSet(_Scoped):
    """Invoices of the accounts inside the caller's scope, with their lines."""

    queryset = Invoice.objects.none()  # for the schema; get_queryset scopes the real one
    serializer_class = InvoiceSerializer

    def get_queryset(self):
        return selectors.invoice_list(self.caller, account=self.account_filter)


@extend_schema(parameters=[ACCOUNT_FILTER])
class PaymentViewSet(_Scoped):
    """Payments of the accounts inside the caller's scope, with what each was dispersed to.
    Record one with ``Billing::AddPayment`` (idempotent by ``reference``) or ``Billing::MakePayment``."""

    queryset = Payment.objects.none()  # for the schema; get_queryset scopes the real one
    serializer_class = PaymentSerializer

    def get_queryset(self):
        return selectors.payment_list(self.caller, account=self.account_filter).prefetch_related("dispersals")


@extend_schema(parameters=[ACCOUNT_FILTER])
class CreditNoteViewSet(_Scoped):
    """Credit notes of the accounts inside the caller's scope, with their lines (issued by
    ``Billing::CancelUserPackage`` and ``Billing::DeleteOptionalUserService`` with a prorated
    transaction)."""

    queryset = CreditNote.objects.none()  # for the schema; get_queryset scopes the real one
    serializer_class = CreditNoteSerializer

    def get_queryset(self):
        return selectors.credit_note_list(self.caller, account=self.account_filter)
