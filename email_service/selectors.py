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


def _mail_usages() -> dict[str, tuple[int, int]] | None:
    """Every mailbox's usage as the mail server counts it, by user name; None when this host has
    no Dovecot configuration to ask."""
    import os

    from django.conf import settings

    from portal.mailservers import mailbox_usages

    config = settings.MAIL.get("DOVECOT_CONFIG")
    if not config or not os.path.exists(config):
        return None
    return mailbox_usages(config)


def mail_stored_mb(organization_dns: list[str]) -> dict[str, float | None]:
    """The mail stored in each organization's mailboxes in MB (by ``dn_key``), as the mail server
    counts it; None for all when it cannot tell."""
    from portal.directory import default_gateway, dn_key
    from portal.directory.mail import mail_attributes

    usages = _mail_usages() if organization_dns else None
    if usages is None:
        return {dn_key(dn): None for dn in organization_dns}
    gateway = default_gateway()
    names = mail_attributes(gateway.flavor)
    out: dict[str, float | None] = {}
    for dn in organization_dns:
        users = gateway.search(dn, names.login_filter("*"), scope="onelevel")
        kib = sum(usages.get((user.first(names.logon) or "").lower(), (0, 0))[0] for user in users)
        out[dn_key(dn)] = round(kib / 1024, 1)
    return out


def mail_recipients(organization_dn: str) -> tuple[list[dict], list[dict]]:
    """The mailboxes and distribution lists of an organization, as the directory holds them (the
    page showing them has checked the caller's scope): each with ``name``, ``dn``, ``addresses``
    (primary first), ``enabled``, for mailboxes ``used_mb`` and ``quota_mb`` as the mail server
    counts them (None when it cannot tell), and for lists ``members``."""
    from portal.directory import default_gateway
    from portal.directory.mail import mail_attributes, proxy_addresses_read

    gateway = default_gateway()
    names = mail_attributes(gateway.flavor)
    mailboxes, lists = [], []
    found_entries = gateway.search(organization_dn, f"({names.addresses}=*)", scope="onelevel")
    usages = (_mail_usages() if found_entries else None) or {}
    for entry in found_entries:
        found = proxy_addresses_read(entry.attrs.get(names.addresses.lower(), []))
        if found is None:
            continue
        item = {
            "name": entry.first("displayName") or entry.name,
            "dn": entry.dn,
            "entry": entry,
            "addresses": list(found.addresses),
            "enabled": found.enabled,
        }
        usage = usages.get((entry.first(names.logon) or "").lower())
        item["used_mb"] = round(usage[0] / 1024, 2) if usage else None
        item["quota_mb"] = round(usage[1] / 1024, 1) if usage else None
        if entry.kind == "group":
            item["members"] = len(entry.attrs.get(names.member.lower(), []))
            lists.append(item)
        else:
            mailboxes.append(item)
    key = lambda item: item["name"].lower()  # noqa: E731
    return sorted(mailboxes, key=key), sorted(lists, key=key)
