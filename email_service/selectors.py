"""Reads of the hosted e-mail service, already filtered by the caller's scope.

Rows that name a directory object are in scope when the object's last-seen DN lies inside the
caller's scope, so that an orphaned organization stays visible to those who reached it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from email_service.models import (
    AvailablePlan,
    OrganizationPlan,
    SmtpDomain,
    Subscription,
    UserPlan,
    UserPlanAssignment,
)
from portal.engine import DOMAIN_ADMINS, Caller


@dataclass(frozen=True)
class Usage:
    """What a subscription uses against its organization plan's limits."""

    mailboxes_used: int
    mailboxes_limit: int
    storage_used_mb: int
    storage_limit_mb: int

    @staticmethod
    def _percent(used: int, limit: int) -> int:
        return min(100, round(100 * used / limit)) if limit else 100

    @property
    def mailboxes_percent(self) -> int:
        """Mailboxes in use, in percent of the limit (at most 100)."""
        return self._percent(self.mailboxes_used, self.mailboxes_limit)

    @property
    def storage_percent(self) -> int:
        """Storage allocated to mailboxes, in percent of the limit (at most 100)."""
        return self._percent(self.storage_used_mb, self.storage_limit_mb)

    def describe(self) -> dict:
        """The usage as the procedures and the REST door answer it."""
        return {
            "mailboxes": {"used": self.mailboxes_used, "limit": self.mailboxes_limit},
            "storageMB": {"used": self.storage_used_mb, "limit": self.storage_limit_mb},
        }


def subscription_usage(subscription: Subscription) -> Usage:
    """Mailboxes (users with a user plan) and storage (the sum of their mailbox sizes) in use."""
    assignments = UserPlanAssignment.objects.filter(subscription=subscription)
    storage = assignments.aggregate(total=Sum("user_plan__mailbox_size_mb"))["total"] or 0
    plan = subscription.organization_plan
    return Usage(
        mailboxes_used=assignments.count(),
        mailboxes_limit=plan.max_mailboxes,
        storage_used_mb=storage,
        storage_limit_mb=plan.max_storage_mb,
    )


def subscription_list(caller: Caller) -> QuerySet[Subscription]:
    """Subscriptions of organizations inside the caller's scope."""
    return (
        Subscription.objects.restrict(caller)
        .select_related("organization_plan")
        .prefetch_related("customer_record__smtp_domains")
    )


def smtp_domain_list(caller: Caller) -> QuerySet[SmtpDomain]:
    """SMTP domains of organizations inside the caller's scope."""
    return SmtpDomain.objects.restrict(caller)


def organization_plan_list(caller: Caller) -> QuerySet[OrganizationPlan]:
    """Organization plans the caller may see: every plan for DomainAdmins; for others the plans
    available to, or subscribed by, an organization inside their scope."""
    plans = OrganizationPlan.objects.prefetch_related("user_plans")
    if DOMAIN_ADMINS in caller.roles:
        return plans.all()
    if caller.scope_dn is None:
        return plans.none()
    available = AvailablePlan.objects.restrict(caller).values("organization_plan")
    subscribed = Subscription.objects.restrict(caller).values("organization_plan")
    return plans.filter(Q(pk__in=available) | Q(pk__in=subscribed))


def user_plan_list(caller: Caller) -> QuerySet[UserPlan]:
    """User plans of the organization plans the caller may see."""
    return UserPlan.objects.filter(organization_plan__in=organization_plan_list(caller)).select_related(
        "organization_plan"
    )


def available_plan_list(caller: Caller) -> QuerySet[AvailablePlan]:
    """Which organization inside the caller's scope may use which plan."""
    return AvailablePlan.objects.restrict(caller).select_related("organization_plan")
