"""The hosted e-mail service (Hosted Email 2007): plans, subscriptions, SMTP domains, user plans.

Every record that names a directory object keeps the object's GUID and the DN where it was last
seen (with ``dn_key``, its normalized form for case-insensitive lookups and scope filters). The
GUID is what identifies the object, so that the records outlive a deleted entry: an orphaned
organization is still found, and unsubscribed, by GUID (seed 001, version 4.5).

Rows change only through the procedures of the ``email_service.procedures`` package.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from hosting.models import CustomerRecord
from portal.directory import guid_braced
from portal.models import DirectoryLinked

#: The mailbox features a plan may enable, as the procedures spell them.
FEATURES = ("POP", "IMAP", "OWA", "ActiveSync")
_FEATURE_FIELDS = {"POP": "pop", "IMAP": "imap", "OWA": "owa", "ActiveSync": "activesync"}


class FeatureSet(models.Model):
    """The four mailbox features as flags, readable as a list in the procedures' order."""

    pop = models.BooleanField("POP", default=False)
    imap = models.BooleanField("IMAP", default=False)
    owa = models.BooleanField("OWA", default=False)
    activesync = models.BooleanField("ActiveSync", default=False)

    class Meta:
        abstract = True

    @property
    def features(self) -> list[str]:
        """The enabled features, e.g. ``["POP", "OWA"]``."""
        return [name for name, attr in _FEATURE_FIELDS.items() if getattr(self, attr)]

    def set_features(self, names: list[str]) -> None:
        """Enable exactly ``names`` (which are members of :data:`FEATURES`)."""
        for name, attr in _FEATURE_FIELDS.items():
            setattr(self, attr, name in names)


class OrganizationPlan(FeatureSet):
    """A named offer of the service: how many mailboxes, how much storage, which features.

    Names are unique without regard to letter case (a database constraint). A user plan of this
    plan may enable only the features enabled here.
    """

    name = models.CharField(max_length=128)
    max_mailboxes = models.PositiveIntegerField()
    default_mailbox_size_mb = models.PositiveIntegerField()
    max_storage_mb = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organization_plan_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class UserPlan(FeatureSet):
    """A named mailbox configuration (size and features) inside one organization plan.

    Names are unique inside their organization plan without regard to letter case.
    """

    name = models.CharField(max_length=128)
    organization_plan = models.ForeignKey(
        OrganizationPlan, on_delete=models.PROTECT, related_name="user_plans"
    )
    mailbox_size_mb = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization_plan__name", "name"]
        constraints = [
            models.UniqueConstraint(
                "organization_plan", Lower("name"), name="user_plan_name_unique_ci_per_organization_plan"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization_plan.name})"


class AvailablePlan(DirectoryLinked):
    """An organization plan an organization may use: what a reseller may offer its customers, and
    what a customer may subscribe with. A customer's plans are always among its reseller's."""

    organization_guid = models.UUIDField(db_index=True)
    organization_plan = models.ForeignKey(OrganizationPlan, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dn_key", "organization_plan__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization_guid", "organization_plan"], name="available_plan_once_per_organization"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_plan.name} for {self.dn}"


class Subscription(DirectoryLinked):
    """An organization's subscription to the service, with its organization plan.

    One per organization (by GUID). It rests on the organization's Plans database record, which
    also holds the subscription's SMTP domains as assets.
    """

    customer_record = models.OneToOneField(
        CustomerRecord, on_delete=models.PROTECT, related_name="email_subscription"
    )
    organization_guid = models.UUIDField(unique=True)
    organization_plan = models.ForeignKey(
        OrganizationPlan, on_delete=models.PROTECT, related_name="subscriptions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["dn_key"]

    def __str__(self) -> str:
        return f"{self.dn} on {self.organization_plan.name}"

    @property
    def guid_braced(self) -> str:
        """``{xxxxxxxx-...}``."""
        return guid_braced(self.organization_guid)


class SmtpDomain(DirectoryLinked):
    """An SMTP domain: a Plans database asset of an organization's customer record.

    Unique across the whole service without regard to letter case (a database constraint); the
    name is kept in lower case. Unsubscribe finds the domains to delete from these assets alone,
    so that it can free them for an organization whose entry is gone (seed 001, "Remarks").
    """

    name = models.CharField(max_length=253)
    customer_record = models.ForeignKey(CustomerRecord, on_delete=models.PROTECT, related_name="smtp_domains")
    organization_guid = models.UUIDField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="smtp_domain_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class UserPlanAssignment(DirectoryLinked):
    """The user plan of one user (its mailbox), by the user's GUID; one per user.

    It belongs to the subscription of the user's organization and ends with it.
    """

    user_guid = models.UUIDField(unique=True)
    name = models.CharField(max_length=256)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="assignments")
    user_plan = models.ForeignKey(UserPlan, on_delete=models.PROTECT, related_name="assignments")
    assigned_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dn_key"]

    def __str__(self) -> str:
        return f"{self.name}: {self.user_plan.name}"
