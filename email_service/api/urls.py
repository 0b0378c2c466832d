from rest_framework.routers import SimpleRouter

from email_service.api.views import OrganizationPlanViewSet, SmtpDomainViewSet, SubscriptionViewSet

router = SimpleRouter()
router.register("subscriptions", SubscriptionViewSet, basename="subscription")
router.register("plans", OrganizationPlanViewSet, basename="plan")
router.register("smtp-domains", SmtpDomainViewSet, basename="smtp-domain")
urlpatterns = router.urls
