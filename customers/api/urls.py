from rest_framework.routers import SimpleRouter

from customers.api.views import CustomerRecordViewSet, OrganizationViewSet, UserViewSet

router = SimpleRouter()
router.register("customer-records", CustomerRecordViewSet, basename="customer-record")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("users", UserViewSet, basename="user")
urlpatterns = router.urls
