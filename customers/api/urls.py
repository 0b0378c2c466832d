"""Organizations, users and Plans database records (``/api/v1/customers/``)."""

from rest_framework.routers import SimpleRouter

from customers.api.views import CustomerRecordViewSet, OrganizationViewSet, UserViewSet

#: ``/api/v1/customers/…`` (portal/api/versions.py); before version 1 ``/api/…``
API_PREFIX = "customers"
API_PREFIX_BEFORE_V1 = ""
API_RESOURCES_BEFORE_V1 = ("customer-records", "organizations", "users")

router = SimpleRouter()
router.register("customer-records", CustomerRecordViewSet, basename="customer-record")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("users", UserViewSet, basename="user")
urlpatterns = router.urls
