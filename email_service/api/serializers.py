"""Read-only representations of the hosted e-mail service for the REST door."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from email_service.models import OrganizationPlan, SmtpDomain, Subscription, UserPlan
from email_service.selectors import subscription_usage


class UserPlanSerializer(serializers.ModelSerializer):
    """A user plan (ExchUserHosting), named as ``CreateUserPlan`` names its input: a mailbox size
    and protocols."""

    planName = serializers.CharField(source="name", read_only=True)  # noqa: N815
    mailboxMegabytes = serializers.IntegerField(source="mailbox_size_mb", read_only=True)  # noqa: N815
    protocols = serializers.ListField(source="features", child=serializers.CharField(), read_only=True)

    class Meta:
        model = UserPlan
        fields = ["id", "planName", "description", "mailboxMegabytes", "protocols"]


class OrganizationPlanSerializer(serializers.ModelSerializer):
    """An organization plan: its limits, the features it allows and its user plans."""

    planName = serializers.CharField(source="name", read_only=True)  # noqa: N815
    maxMailboxes = serializers.IntegerField(source="max_mailboxes", read_only=True)  # noqa: N815
    defaultMailboxMegabytes = serializers.IntegerField(  # noqa: N815
        source="default_mailbox_size_mb", read_only=True
    )
    megabytes = serializers.IntegerField(source="max_storage_mb", read_only=True)
    protocols = serializers.ListField(source="features", child=serializers.CharField(), read_only=True)
    userPlans = UserPlanSerializer(source="user_plans", many=True, read_only=True)  # noqa: N815

    class Meta:
        model = OrganizationPlan
        fields = [
            "id",
            "planName",
            "description",
            "maxMailboxes",
            "defaultMailboxMegabytes",
            "megabytes",
            "protocols",
            "userPlans",
        ]


class LimitSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField()


class UsageSerializer(serializers.Serializer):
    mailboxes = LimitSerializer()
    storageMB = LimitSerializer()  # noqa: N815


class SubscriptionSerializer(serializers.ModelSerializer):
    """An organization's subscription: its plan, SMTP domains and usage against the plan's limits."""

    organization = serializers.CharField(source="path", read_only=True)
    guid = serializers.CharField(source="guid_braced", read_only=True)
    planName = serializers.CharField(source="organization_plan.name", read_only=True)  # noqa: N815
    domainNames = serializers.SerializerMethodField()  # noqa: N815
    usage = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = ["id", "organization", "guid", "planName", "domainNames", "usage", "created_at"]

    def get_domainNames(self, subscription: Subscription) -> list[str]:  # noqa: N802
        return [domain.name for domain in subscription.customer_record.smtp_domains.all()]

    @extend_schema_field(UsageSerializer)
    def get_usage(self, subscription: Subscription) -> dict:
        return subscription_usage(subscription).describe()


class SmtpDomainSerializer(serializers.ModelSerializer):
    """An SMTP domain and the organization (path and GUID) whose Plans database record holds it."""

    organization = serializers.CharField(source="path", read_only=True)
    guid = serializers.SerializerMethodField()

    class Meta:
        model = SmtpDomain
        fields = ["id", "name", "organization", "guid", "created_at"]

    def get_guid(self, domain: SmtpDomain) -> str:
        return "{" + str(domain.organization_guid) + "}"
