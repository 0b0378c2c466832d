"""The hosted e-mail service's resources (``/api/v1/email/``)."""

from rest_framework.routers import SimpleRouter

from email_service.api.views import OrganizationPlanViewSet, SmtpDomainViewSet, SubscriptionViewSet

#: ``/api/v1/email/…`` (portal/api/versions.py); before version 1 ``/api/…``
API_PREFIX = "email"
API_PREFIX_BEFORE_V1 = ""
API_RESOURCES_BEFORE_V1 = ("subscriptions", "plans", "smtp-domains")

router = SimpleRouter()
router.register("subscriptions", SubscriptionViewSet, basename="subscription")
router.register("plans", OrganizationPlanViewSet, basename="plan")
router.register("smtp-domains", SmtpDomainViewSet, basename="smtp-domain")
urlpatterns = router.urls
