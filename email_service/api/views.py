"""Read-only REST resources of the hosted e-mail service; writes go through /api/procedures/."""

from __future__ import annotations

from rest_framework import viewsets

from email_service.api.serializers import (
    OrganizationPlanSerializer,
    SmtpDomainSerializer,
    SubscriptionSerializer,
)
from email_service.models import OrganizationPlan, SmtpDomain, Subscription
from email_service.selectors import organization_plan_list, smtp_domain_list, subscription_list
from portal.engine import Caller


class SubscriptionViewSet(viewsets.ReadOnlyModelViewSet):
    """Subscriptions of organizations inside the caller's scope, with usage against limits."""

    serializer_class = SubscriptionSerializer
    queryset = Subscription.objects.none()  # the model, for the schema; rows come from get_queryset
    filter_backends: list = []

    def get_queryset(self):
        return subscription_list(Caller.from_user(self.request.user))


class OrganizationPlanViewSet(viewsets.ReadOnlyModelViewSet):
    """Organization plans with their user plans: all for DomainAdmins, else those available to or
    subscribed by an organization inside the caller's scope."""

    serializer_class = OrganizationPlanSerializer
    queryset = OrganizationPlan.objects.none()  # the model, for the schema; rows come from get_queryset
    filter_backends: list = []

    def get_queryset(self):
        return organization_plan_list(Caller.from_user(self.request.user))


class SmtpDomainViewSet(viewsets.ReadOnlyModelViewSet):
    """SMTP domains of organizations inside the caller's scope."""

    serializer_class = SmtpDomainSerializer
    queryset = SmtpDomain.objects.none()  # the model, for the schema; rows come from get_queryset
    filter_backends: list = []

    def get_queryset(self):
        return smtp_domain_list(Caller.from_user(self.request.user))
