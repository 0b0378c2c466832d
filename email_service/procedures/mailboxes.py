"""Mailboxes and distribution lists: what the mail servers serve, written into the directory.

A mailbox is a user's entry with its SMTP addresses, alias and quota (the attributes of
:mod:`portal.directory.mail`); the private Postfix and Dovecot (or a provider's own) read them over
LDAP, so a change takes effect for the next message. Every write goes through the call's directory
session: a call that fails leaves the entries, and so the mail servers, as they were. The Plans
database keeps the user plan assignment (``ModifyUserPlan``), which the plan limits count.
"""

from __future__ import annotations

import dataclasses
import os
import re

from django.conf import settings

from email_service.models import SmtpDomain, Subscription, UserPlanAssignment
from email_service.procedures.common import (
    NAMESPACE,
    READERS,
    USER_PLAN_MANAGERS,
    organization_entry,
    smtp_domain_create,
    smtp_domain_normalize,
    user_entry,
)
from hosting.tree import smtp_domain_free, user_check
from portal.directory import Entry, dn_child, dn_key, dn_to_path, filter_escape
from portal.directory.mail import (
    DISABLED_TYPE,
    ENABLED_TYPE,
    MailAttributes,
    mail_attributes,
    proxy_addresses_others,
    proxy_addresses_read,
    proxy_addresses_write,
)
from portal.engine import PREFERRED_DOMAIN_CONTROLLER, Arg, CallContext, procedure, reserve
from portal.errors import Conflict, InvalidArgument, NotFound, PrerequisiteFailed
from portal.mailservers import mailbox_usage

USER = Arg("user", "path", required=True, description="The LDAP path of the user.")
ALIAS = Arg(
    "alias",
    max_length=64,
    description="The mail alias: dot-separated words of letters, digits, '-' and '_'.",
)
ADDRESSES = Arg(
    "emailAddresses",
    "list",
    item="value",
    description="The SMTP addresses (<value> elements, optionally with the SMTP: prefix); the first "
    "is the primary address. Each lies in one of the organization's SMTP domains and is used nowhere "
    "else.",
)
#: the quota overrides of the seed's planOverrides; only the limit Dovecot enforces is kept
QUOTA_OVERRIDE = "prohibitSendReceiveQuota"
UNSUPPORTED_OVERRIDES = ("issueWarningQuota", "prohibitSendQuota", "maxSendSize", "maxReceiveSize")
OVERRIDES = Arg(
    "planOverrides",
    "record",
    fields=(QUOTA_OVERRIDE, *UNSUPPORTED_OVERRIDES),
    description="Overrides of the user plan: <prohibitSendReceiveQuota> in bytes, the mailbox size "
    "the mail server enforces (at most the user plan's).",
)

ALIAS_PATTERN = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
KIB_PER_MB = 1024


# --- what a mailbox is in the directory ---------------------------------------------------------


def mail_names(ctx: CallContext) -> MailAttributes:
    return mail_attributes(ctx.directory.flavor)


def mailbox_read(ctx: CallContext, entry: Entry):
    """The entry's SMTP addresses (primary first) and whether they are enabled; None: no mailbox."""
    return proxy_addresses_read(entry.attrs.get(mail_names(ctx).addresses.lower(), []))


def mailbox_require(ctx: CallContext, entry: Entry):
    mailbox = mailbox_read(ctx, entry)
    if mailbox is None:
        raise NotFound(f"The user {dn_to_path(entry.dn)} has no mailbox.", field="user")
    return mailbox


def alias_check(alias: str) -> str:
    if not ALIAS_PATTERN.match(alias):
        raise InvalidArgument(
            f"<alias> {alias!r} is not an alias: use dot-separated words of letters, digits, '-' and '_', "
            "without spaces.",
            field="alias",
        )
    return alias


def organization_domains(organization: Entry) -> list[str]:
    """The organization's SMTP domains (its assets in the Plans database), oldest first."""
    return list(
        SmtpDomain.objects.filter(organization_guid=organization.guid)
        .order_by("id")
        .values_list("name", flat=True)
    )


def addresses_check(
    ctx: CallContext, values: list[str], organization: Entry, *, owner: Entry | None, argument: str
) -> list[str]:
    """The addresses, without SMTP: prefixes and with the domain in lower case; each must lie in one
    of the organization's SMTP domains and be used by no other directory entry."""
    if not values:
        raise InvalidArgument(f"<{argument}> must hold at least one <value> element.", field=argument)
    domains = organization_domains(organization)
    found: dict[str, str] = {}
    for value in values:
        kind, sep, rest = value.partition(":")
        if sep and "@" not in kind:
            if kind.lower() != ENABLED_TYPE:
                raise InvalidArgument(
                    f"<{argument}> {value!r}: this mail service serves SMTP addresses only.", field=argument
                )
            value = rest
        local, at, domain = value.strip().rpartition("@")
        domain = domain.lower()
        if not at or not LOCAL_PART.match(local) or len(value) > 254:
            raise InvalidArgument(f"<{argument}> {value!r} is not an e-mail address.", field=argument)
        if domain not in domains:
            listed = ", ".join(domains) or "none"
            raise InvalidArgument(
                f"<{argument}> {value.strip()} is not in an SMTP domain of the organization "
                f"{dn_to_path(organization.dn)} (its SMTP domains: {listed}).",
                field=argument,
            )
        address = f"{local}@{domain}"
        found.setdefault(address.lower(), address)
    addresses = list(found.values())
    reserve("mail-address", *addresses)  # a concurrent call giving one of them waits, then sees it
    names = mail_names(ctx)
    for address in addresses:
        escaped = filter_escape(address)
        taken = ctx.directory.search(
            ctx.directory.suffix,
            f"(|({names.addresses}={ENABLED_TYPE}:{escaped})({names.addresses}={DISABLED_TYPE}:{escaped})"
            f"({names.primary}={escaped}))",
            limit=3,
        )
        others = [entry for entry in taken if owner is None or dn_key(entry.dn) != dn_key(owner.dn)]
        if others:
            raise Conflict(f"The e-mail address {address} is already in use.", field=argument)
    return addresses


def quota_kib(ctx: CallContext, overrides: dict | None, plan_size_mb: int) -> int:
    """The quota Dovecot enforces, in KiB: the user plan's mailbox size, or the override."""
    overrides = overrides or {}
    unsupported = [name for name in UNSUPPORTED_OVERRIDES if overrides.get(name)]
    if unsupported:
        raise InvalidArgument(
            f"<planOverrides/{unsupported[0]}> is not supported by this mail service; it enforces "
            f"<planOverrides/{QUOTA_OVERRIDE}> only.",
            field="planOverrides",
        )
    value = overrides.get(QUOTA_OVERRIDE)
    if not value:
        return plan_size_mb * KIB_PER_MB
    field = f"planOverrides/{QUOTA_OVERRIDE}"
    if not value.isdigit() or int(value) < 1:
        raise InvalidArgument(
            f"<{field}> must be a number of bytes; {value!r} is not (unlimited is not offered: the "
            "organization's storage limit counts every mailbox).",
            field="planOverrides",
        )
    kib = -(-int(value) // 1024)
    if kib > plan_size_mb * KIB_PER_MB:
        raise InvalidArgument(
            f"<{field}> {value} bytes is more than the user plan's mailbox size of {plan_size_mb} MB.",
            field="planOverrides",
        )
    return kib


def assignment_of(entry: Entry) -> UserPlanAssignment | None:
    return UserPlanAssignment.objects.select_related("user_plan").filter(user_guid=entry.guid).first()


def mailbox_quota_sync(
    ctx: CallContext, entry: Entry, plan_size_mb: int, overrides: dict | None = None
) -> None:
    """Give an existing mailbox the quota of its (new) user plan; a user without one is left alone."""
    if mailbox_read(ctx, entry) is None:
        return
    ctx.directory.modify(entry.dn, {mail_names(ctx).quota_kib: str(quota_kib(ctx, overrides, plan_size_mb))})


def mailbox_end(ctx: CallContext, entry: Entry) -> None:
    """Take the mail attributes off the entry: the servers stop accepting its mail and its log-in.
    The stored mail stays with the mail server (keyed by the entry's GUID)."""
    names = mail_names(ctx)
    values = entry.attrs.get(names.addresses.lower(), [])
    ctx.directory.modify(
        entry.dn,
        {
            names.addresses: proxy_addresses_others(values),
            names.primary: None,
            names.alias: None,
            names.quota_kib: None,
        },
    )


def organization_mail_end(ctx: CallContext, organization: Entry) -> None:
    """End every mailbox and distribution list address of an organization (it leaves the service)."""
    names = mail_names(ctx)
    found = ctx.directory.search(organization.dn, f"({names.addresses}=*)", scope="onelevel")
    for entry in found:
        if proxy_addresses_read(entry.attrs.get(names.addresses.lower(), [])) is None:
            continue
        if entry.kind == "group":
            ctx.directory.modify(
                entry.dn,
                {
                    names.addresses: proxy_addresses_others(entry.attrs.get(names.addresses.lower(), [])),
                    names.primary: None,
                },
            )
        else:
            mailbox_end(ctx, entry)


def domain_in_use(ctx: CallContext, organization: Entry, domain: str) -> str | None:
    """The path of an entry of the organization with an address in ``domain``, or None."""
    names = mail_names(ctx)
    escaped = filter_escape(domain)
    found = ctx.directory.search(
        organization.dn,
        f"(|({names.addresses}={ENABLED_TYPE}:*@{escaped})({names.addresses}={DISABLED_TYPE}:*@{escaped}))",
        scope="onelevel",
        limit=1,
    )
    return dn_to_path(found[0].dn) if found else None


def accepted_domains_set(ctx: CallContext, organization: Entry, domains: list[str]) -> None:
    """Write the domains the mail server accepts for the organization."""
    ctx.directory.modify(organization.dn, {mail_names(ctx).domains: domains})


def accepted_domains(ctx: CallContext, organization: Entry) -> list[str]:
    return list(organization.attrs.get(mail_names(ctx).domains.lower(), []))


def usage_kib(entry: Entry) -> tuple[int, int] | None:
    """What the mail server counts for the mailbox now (KiB used, KiB limit), or None when it
    cannot tell (no Dovecot configuration here, or a mailbox that receives nothing)."""
    config = settings.MAIL.get("DOVECOT_CONFIG")
    logon = entry.first(mail_attributes(settings.DIRECTORY["FLAVOR"]).logon)
    if not config or not logon or not os.path.exists(config):
        return None
    try:
        return mailbox_usage(config, logon)
    except (OSError, ValueError):
        return None


# --- procedures -----------------------------------------------------------------------------------


@procedure(
    f"{NAMESPACE}::CreateMailbox",
    args=(
        USER,
        Arg("planName", required=True, description="The user plan of the mailbox."),
        dataclasses.replace(ALIAS, required=True),
        dataclasses.replace(ADDRESSES, required=True, min_items=1),
        OVERRIDES,
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=USER_PLAN_MANAGERS,
)
def mailbox_create(
    ctx: CallContext,
    *,
    user: str,
    planName: str,
    alias: str,
    emailAddresses: list[str],
    planOverrides: dict | None,
    preferredDomainController: str,
) -> dict:
    """Mailbox-enable an existing user of a subscribed organization: the user plan is assigned
    (``ModifyUserPlan``: within the organization plan's limits) and the user's entry gets its
    addresses, alias and quota, so the mail server accepts mail at every address and the user logs
    in over IMAP with its userPrincipalName and directory password. Answers the input."""
    entry = user_entry(ctx, user)
    if mailbox_read(ctx, entry) is not None:
        raise Conflict(f"The user {dn_to_path(entry.dn)} already has a mailbox.", field="user")
    organization, _ = user_check(ctx.directory, entry)
    alias_check(alias)
    addresses = addresses_check(ctx, emailAddresses, organization, owner=entry, argument="emailAddresses")
    ctx.call(
        f"{NAMESPACE}::ModifyUserPlan",
        {"user": entry.dn, "planName": planName, "preferredDomainController": preferredDomainController},
    )
    assignment = assignment_of(entry)
    kib = quota_kib(ctx, planOverrides, assignment.user_plan.mailbox_size_mb)
    names = mail_names(ctx)
    entry = ctx.directory.get(entry.dn)
    others = proxy_addresses_others(entry.attrs.get(names.addresses.lower(), []))
    ctx.directory.modify(
        entry.dn,
        {
            names.addresses: [*others, *proxy_addresses_write(addresses)],
            names.primary: addresses[0],
            names.alias: alias,
            names.quota_kib: str(kib),
        },
    )
    return ctx.mirror()


@procedure(
    f"{NAMESPACE}::DeleteMailbox", args=(USER, PREFERRED_DOMAIN_CONTROLLER), security=USER_PLAN_MANAGERS
)
def mailbox_delete(ctx: CallContext, *, user: str, preferredDomainController: str) -> dict:
    """Remove a user's mailbox (dd278484): its mail attributes leave the entry (the mail server
    refuses its addresses and its IMAP log-in) and its user plan assignment ends, freeing its place
    under the plan's limits. Answers nothing (``<executeData/>``), as the page documents."""
    entry = user_entry(ctx, user)
    mailbox_require(ctx, entry)
    mailbox_end(ctx, entry)
    UserPlanAssignment.objects.filter(user_guid=entry.guid).delete()
    return {}


def _mailbox_switch(ctx: CallContext, user: str, *, enabled: bool) -> dict:
    entry = user_entry(ctx, user)
    mailbox = mailbox_require(ctx, entry)
    if mailbox.enabled == enabled:
        return ctx.mirror()  # already so: nothing to change, safe to repeat
    names = mail_names(ctx)
    values = entry.attrs.get(names.addresses.lower(), [])
    ctx.directory.modify(
        entry.dn,
        {
            names.addresses: [
                *proxy_addresses_others(values),
                *proxy_addresses_write(list(mailbox.addresses), enabled=enabled),
            ]
        },
    )
    return ctx.mirror()


@procedure(
    f"{NAMESPACE}::DisableMailbox", args=(USER, PREFERRED_DOMAIN_CONTROLLER), security=USER_PLAN_MANAGERS
)
def mailbox_disable(ctx: CallContext, *, user: str, preferredDomainController: str) -> dict:
    """Disable a mailbox: it keeps its mail, addresses and plan, but the mail server refuses mail
    for it (550) and its IMAP log-in. Already disabled: nothing changes. Answers the input."""
    return _mailbox_switch(ctx, user, enabled=False)


@procedure(
    f"{NAMESPACE}::EnableMailbox", args=(USER, PREFERRED_DOMAIN_CONTROLLER), security=USER_PLAN_MANAGERS
)
def mailbox_enable(ctx: CallContext, *, user: str, preferredDomainController: str) -> dict:
    """Enable a disabled mailbox again: mail flows to its addresses and the old mail is still there.
    Already enabled: nothing changes. Answers the input."""
    return _mailbox_switch(ctx, user, enabled=True)


@procedure(
    f"{NAMESPACE}::ModifyMailbox",
    args=(USER, ALIAS, ADDRESSES, OVERRIDES, PREFERRED_DOMAIN_CONTROLLER),
    security=USER_PLAN_MANAGERS,
)
def mailbox_modify(
    ctx: CallContext,
    *,
    user: str,
    alias: str | None,
    emailAddresses: list[str],
    planOverrides: dict | None,
    preferredDomainController: str,
) -> dict:
    """Change a mailbox's alias, addresses (the first is the primary) or quota override; what is
    not given stays. Answers the input."""
    entry = user_entry(ctx, user)
    mailbox = mailbox_require(ctx, entry)
    names = mail_names(ctx)
    changes: dict = {}
    if alias:
        changes[names.alias] = alias_check(alias)
    if emailAddresses:
        organization, _ = user_check(ctx.directory, entry)
        addresses = addresses_check(ctx, emailAddresses, organization, owner=entry, argument="emailAddresses")
        values = entry.attrs.get(names.addresses.lower(), [])
        changes[names.addresses] = [
            *proxy_addresses_others(values),
            *proxy_addresses_write(addresses, enabled=mailbox.enabled),
        ]
        changes[names.primary] = addresses[0]
    if planOverrides is not None:
        assignment = assignment_of(entry)
        size = assignment.user_plan.mailbox_size_mb if assignment else int(entry.first(names.quota_kib) or 0)
        changes[names.quota_kib] = str(quota_kib(ctx, planOverrides, size))
    if changes:
        ctx.directory.modify(entry.dn, changes)
    return ctx.mirror()


@procedure(f"{NAMESPACE}::GetMailbox", args=(USER, PREFERRED_DOMAIN_CONTROLLER), security=READERS)
def mailbox_get(ctx: CallContext, *, user: str, preferredDomainController: str) -> dict:
    """A user's mailbox as the mail server sees it.

    Answers the input with ``alias``, ``emailAddresses`` (``value`` elements, the primary first),
    ``planName``, ``enabled`` (true or false), ``quotaKB`` (what the mail server enforces) and
    ``usedKB`` (the mail stored now, as Dovecot counts it; empty when it cannot tell, as for a
    disabled mailbox) added.
    """
    entry = user_entry(ctx, user)
    mailbox = mailbox_require(ctx, entry)
    names = mail_names(ctx)
    assignment = assignment_of(entry)
    usage = usage_kib(entry) if mailbox.enabled else None
    out = ctx.mirror()
    out["alias"] = entry.first(names.alias) or ""
    out["emailAddresses"] = {"value": list(mailbox.addresses)}
    out["planName"] = assignment.user_plan.name if assignment else ""
    out["enabled"] = "true" if mailbox.enabled else "false"
    out["quotaKB"] = entry.first(names.quota_kib) or ""
    out["usedKB"] = str(usage[0]) if usage else ""
    return out


@procedure(
    f"{NAMESPACE}::ChangeUserPlanAssignment",
    args=(
        USER,
        Arg("planName", required=True, description="The user plan to apply."),
        OVERRIDES,
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=USER_PLAN_MANAGERS,
)
def mailbox_plan_change(
    ctx: CallContext, *, user: str, planName: str, planOverrides: dict | None, preferredDomainController: str
) -> dict:
    """Give a user another user plan of its organization's plan (``ModifyUserPlan``: within the
    limits); a mailbox gets the new plan's quota (or the override), which the mail server enforces
    from the next message on. Answers the input."""
    entry = user_entry(ctx, user)
    ctx.call(
        f"{NAMESPACE}::ModifyUserPlan",
        {"user": entry.dn, "planName": planName, "preferredDomainController": preferredDomainController},
    )
    if planOverrides:
        mailbox_quota_sync(
            ctx, ctx.directory.get(entry.dn), assignment_of(entry).user_plan.mailbox_size_mb, planOverrides
        )
    return ctx.mirror()


@procedure(
    f"{NAMESPACE}::CreateDistributionList",
    args=(
        Arg("container", "path", required=True, description="The LDAP path of the organization."),
        Arg(
            "name",
            required=True,
            max_length=254,
            description="The name of the list: its address (Sales@AlpineSkiHouse.com), or a name that "
            "becomes an address in the organization's first SMTP domain.",
        ),
        Arg("managedBy", required=True, description="The userPrincipalName of the user who manages it."),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=USER_PLAN_MANAGERS,
)
def distribution_list_create(
    ctx: CallContext, *, container: str, name: str, managedBy: str, preferredDomainController: str
) -> dict:
    """Create a distribution list in a subscribed organization (dd251730): the group
    ``CN=<name>`` in the container; mail to its address reaches every member with an enabled
    mailbox (members come and go with ``Managed Active Directory::GroupAdd`` and ``GroupRemove``).
    Answers nothing (``<executeData/>``), as the page's schema documents."""
    organization = organization_entry(ctx, container, argument="container")
    if not Subscription.objects.filter(organization_guid=organization.guid).exists():
        raise PrerequisiteFailed(
            f"The organization {dn_to_path(organization.dn)} is not subscribed to {NAMESPACE}.",
            field="container",
        )
    address = name.strip()
    if "@" not in address:
        domains = organization_domains(organization)
        alias_check(address)
        address = f"{address}@{domains[0]}" if domains else address
    addresses = addresses_check(ctx, [address], organization, owner=None, argument="name")
    names = mail_names(ctx)
    managers = ctx.directory.search(
        organization.dn, f"({names.logon}={filter_escape(managedBy.strip())})", scope="onelevel", limit=2
    )
    managers = [entry for entry in managers if entry.kind == "user"]
    if not managers:
        raise NotFound(
            f"<managedBy> {managedBy} is not the userPrincipalName of a user of "
            f"{dn_to_path(organization.dn)}.",
            field="managedBy",
        )
    cn = name.strip()
    dn = dn_child("CN", cn, organization.dn)
    if ctx.directory.get(dn) is not None:
        raise Conflict(f"The directory object {dn_to_path(dn)} already exists.", field="name")
    ctx.directory.add(
        dn,
        {
            "objectClass": ["top", names.group_class],
            "cn": cn,
            names.primary: addresses[0],
            names.addresses: proxy_addresses_write(addresses),
            names.managed_by: managers[0].dn,
            "hostingProcessedBy": ctx.lineage,
        },
    )
    return {}


@procedure(
    f"{NAMESPACE}::CreateSMTPDomain",
    args=(
        Arg("organization", "path", required=True, description="The LDAP path of the organization."),
        Arg("domainName", required=True, max_length=253, description="The SMTP domain."),
        Arg(
            "domainType",
            choices=("Authoritative", "InternalRelay", "ExternalRelay"),
            description="Authoritative (the default; the only kind this mail service accepts mail for).",
        ),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=USER_PLAN_MANAGERS,
)
def smtp_domain_add(
    ctx: CallContext,
    *,
    organization: str,
    domainName: str,
    domainType: str | None,
    preferredDomainController: str,
) -> dict:
    """Give a subscribed organization another SMTP domain: an asset of its Plans database record,
    added to the organization's ``uPNSuffixes``, which the mail server accepts mail for. A domain the
    organization holds already is accepted again (safe to repeat), also when it came with
    ``Hosted Exchange::CreateBusinessOrganization`` (the asset is registered then); one another
    organization holds (its ``uPNSuffixes``, or an asset of the Plans database) is refused. Answers
    the input."""
    if domainType and domainType != "Authoritative":
        raise InvalidArgument(
            f"<domainType> {domainType} is not offered: this mail service relays for no one, so it takes "
            "Authoritative domains only.",
            field="domainType",
        )
    entry = organization_entry(ctx, organization)
    subscription = (
        Subscription.objects.select_related("customer_record").filter(organization_guid=entry.guid).first()
    )
    if subscription is None:
        raise PrerequisiteFailed(
            f"The organization {dn_to_path(entry.dn)} is not subscribed to {NAMESPACE}.", field="organization"
        )
    try:
        domain = smtp_domain_normalize(domainName)
    except InvalidArgument as exc:
        raise InvalidArgument(exc.text.replace("<smtpDomain>", "<domainName>"), field="domainName") from exc
    smtp_domain_free(ctx.directory, domain, holder_dn=entry.dn, argument="domainName")
    held = SmtpDomain.objects.filter(name=domain).first()
    if held is None:
        smtp_domain_create(subscription.customer_record, entry, domain)
    elif held.organization_guid != entry.guid:
        raise Conflict(f"The SMTP Domain {domain} is not available.", field="domainName")
    accepted = accepted_domains(ctx, entry)
    if domain not in {item.lower() for item in accepted}:
        accepted_domains_set(ctx, entry, [*accepted, domain])
    return ctx.mirror()
