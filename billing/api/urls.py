from rest_framework.routers import SimpleRouter

from billing.api.views import BillingAccountViewSet, InvoiceViewSet, PackageViewSet, UserPackageViewSet

router = SimpleRouter()
router.register("accounts", BillingAccountViewSet, basename="billing-account")
router.register("packages", PackageViewSet, basename="billing-package")
router.register("user-packages", UserPackageViewSet, basename="billing-user-package")
router.register("invoices", InvoiceViewSet, basename="billing-invoice")
urlpatterns = router.urls
