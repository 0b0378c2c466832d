"""Read-only REST resources of the hosted e-mail service; writes go through /api/procedures/."""

from __future__ import annotations

from email_service.api.serializers import (
    OrganizationPlanSerializer,
    SmtpDomainSerializer,
    SubscriptionSerializer,
)
from email_service.models import OrganizationPlan, SmtpDomain, Subscription
from email_service.selectors import organization_plan_list, smtp_domain_list, subscription_list
from portal.api.scoped import ScopedViewSet


class SubscriptionViewSet(ScopedViewSet):
    """Subscriptions of organizations inside the caller's scope, with usage against limits."""

    queryset = Subscription.objects.none()
    serializer_class = SubscriptionSerializer
    selector = subscription_list


class OrganizationPlanViewSet(ScopedViewSet):
    """Organization plans with their user plans: all for DomainAdmins, else those available to or
    subscribed by an organization inside the caller's scope."""

    queryset = OrganizationPlan.objects.none()
    serializer_class = OrganizationPlanSerializer
    selector = organization_plan_list


class SmtpDomainViewSet(ScopedViewSet):
    """SMTP domains of organizations inside the caller's scope."""

    queryset = SmtpDomain.objects.none()
    serializer_class = SmtpDomainSerializer
    selector = smtp_domain_list
