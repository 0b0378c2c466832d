"""Billing's resources (``/api/v1/billing/``)."""

from rest_framework.routers import SimpleRouter

from billing.api.views import (
    BillingAccountViewSet,
    CreditNoteViewSet,
    InvoiceViewSet,
    PackageViewSet,
    PaymentViewSet,
    UserPackageViewSet,
)

#: ``/api/v1/billing/…`` (portal/api/versions.py); before version 1 ``/api/billing/…``
API_PREFIX = "billing"
API_PREFIX_BEFORE_V1 = "billing/"
API_RESOURCES_BEFORE_V1 = (
    "accounts",
    "packages",
    "user-packages",
    "invoices",
    "payments",
    "credit-notes",
)

router = SimpleRouter()
router.register("accounts", BillingAccountViewSet, basename="billing-account")
router.register("packages", PackageViewSet, basename="billing-package")
router.register("user-packages", UserPackageViewSet, basename="billing-user-package")
router.register("invoices", InvoiceViewSet, basename="billing-invoice")
router.register("payments", PaymentViewSet, basename="billing-payment")
router.register("credit-notes", CreditNoteViewSet, basename="billing-credit-note")
urlpatterns = router.urls
