"""Subscriptions: an organization subscribes with an organization plan and leaves the service
(seed ``001``, ``Hosted Email 2007::Unsubscribe``); what its subscription holds."""

from __future__ import annotations

import uuid

from email_service.models import (
    AvailablePlan,
    SmtpDomain,
    Subscription,
)
from email_service.procedures.common import (
    GUID_FOUND,
    GUID_OR_ORGANIZATION,
    GUID_SECURITY,
    MANAGERS,
    NAMESPACE,
    ORGANIZATION,
    READERS,
    argument_text,
    organization_entry,
    organization_plan_require,
    organization_users,
    smtp_domain_create,
    smtp_domain_normalize,
    subscription_require,
)
from email_service.procedures.mailboxes import accepted_domains, accepted_domains_set, organization_mail_end
from email_service.selectors import subscription_usage
from hosting.models import CustomerRecord, CustomerType
from hosting.tree import CUSTOMER, organization_check
from portal.directory import dn_to_path, guid_braced
from portal.engine import (
    PREFERRED_DOMAIN_CONTROLLER,
    Arg,
    CallContext,
    procedure,
)
from portal.errors import Conflict, NotFound, PrerequisiteFailed


@procedure(
    f"{NAMESPACE}::Subscribe",
    args=(
        ORGANIZATION,
        PREFERRED_DOMAIN_CONTROLLER,
        Arg("organizationPlan", required=True, description="The organization plan to subscribe with."),
        Arg("smtpDomain", required=True, max_length=253, description="The organization's SMTP domain."),
    ),
    security=MANAGERS,
)
def subscription_create(
    ctx: CallContext,
    *,
    organization: str,
    preferredDomainController: str,
    organizationPlan: str,
    smtpDomain: str,
) -> dict:
    """Subscribe a customer organization to the service with an organization plan and an SMTP
    domain.

    The organization is compliant with the hosting prescription and has its Plans database record
    (``MPS Import::EnableCustomerForPlans``); the plan is available to it; the SMTP domain is in use
    nowhere in the service. The domain is registered as an asset of the Plans database record and
    added to the organization's ``uPNSuffixes``: the mail server accepts mail for it. Answers the
    input.
    """
    entry = organization_entry(ctx, organization)
    org_type = organization_check(ctx.directory, entry)
    path = dn_to_path(entry.dn)
    if org_type != CUSTOMER:
        raise PrerequisiteFailed(
            f"Only a customer organization subscribes to {NAMESPACE}; {path} is a {org_type}.",
            field="organization",
        )
    record = CustomerRecord.objects.filter(guid=entry.guid).first()
    if record is None or record.customer_type != CustomerType.BUSINESS_ORGANIZATION:
        raise PrerequisiteFailed(
            f"The organization {path} has no BusinessOrganization record in the Plans database; "
            "run MPS Import::EnableCustomerForPlans for it first.",
            field="organization",
        )
    existing = Subscription.objects.filter(organization_guid=entry.guid).first()
    if existing is not None:
        raise Conflict(
            f"The organization {path} is already subscribed to {NAMESPACE} "
            f"(organization plan '{existing.organization_plan.name}').",
            field="organization",
        )
    plan = organization_plan_require(organizationPlan)
    if not AvailablePlan.objects.filter(organization_guid=entry.guid, organization_plan=plan).exists():
        raise PrerequisiteFailed(
            f"The organization plan '{plan.name}' is not available to {path}; its reseller makes plans "
            f"available with {NAMESPACE}::AddAvailablePlans.",
            field="organizationPlan",
        )
    domain = smtp_domain_normalize(smtpDomain)
    Subscription.objects.create(
        customer_record=record,
        organization_guid=entry.guid,
        dn=entry.dn,
        organization_plan=plan,
        created_by_id=ctx.caller.user_id,
    )
    smtp_domain_create(record, entry, domain)
    accepted = accepted_domains(ctx, entry)
    if domain not in {item.lower() for item in accepted}:
        accepted_domains_set(ctx, entry, [*accepted, domain])
    return ctx.mirror()


@procedure(
    f"{NAMESPACE}::Unsubscribe",
    args=(
        Arg("organization", "path", description="The LDAP path of the organization (version 4.0)."),
        Arg(
            "GUID",
            "guid",
            description="The GUID of an orphaned organization, whose directory entry was deleted "
            "(version 4.5); {08fd2bcd-dcd6-4d80-9cd4-1e88069e37f8} or cd2bfd08d6dc804d9cd41e88069e37f8.",
        ),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    one_of=GUID_OR_ORGANIZATION,
    security=GUID_SECURITY,
)
def subscription_end(
    ctx: CallContext, *, organization: str | None, GUID: uuid.UUID | None, preferredDomainController: str
) -> dict:
    """Unsubscribe an organization from the service (seed 001).

    By ``organization`` (OrgCreators): the organization's entry is read. By ``GUID`` (DomainAdmins;
    it overrides ``organization``): the organization is assumed deleted with its children, so the
    only directory call is the check that no object with that GUID exists any more; everything
    else comes from the Plans database. By ``organization``, every mailbox and distribution list of
    the organization loses its addresses first (its mail is refused, its IMAP log-in too). In both
    cases each SMTP domain asset of the organization's
    Plans database record is deleted through ``Hosted Email 2007::DeleteSMTPDomain`` (so it can
    be subscribed again), user plan assignments end, and the subscription ends. A successful call
    mirrors its input.
    """
    if GUID is not None:
        given = argument_text(ctx, "GUID")
        # Notes for 4.5, 1: no call to Active Directory but this one.
        if ctx.directory.find_guid(GUID) is not None:
            raise PrerequisiteFailed(GUID_FOUND.replace("%GUID%", given), field="GUID")
        if not CustomerRecord.objects.filter(guid=GUID).exists():
            raise NotFound(
                f"No organization with GUID {given} has a record in the Plans database, so there is "
                f"nothing to unsubscribe.",
                field="GUID",
            )
        subscription = Subscription.objects.filter(organization_guid=GUID).first()
        if subscription is None:
            raise NotFound(
                f"The organization with GUID {given} is not subscribed to {NAMESPACE}.", field="GUID"
            )
        target = {"GUID": guid_braced(GUID)}
    else:
        entry = organization_entry(ctx, organization)
        subscription = subscription_require(entry)
        target = {"organization": entry.dn}
        # its mail ends first: the mailboxes' and lists' addresses leave the directory, then the
        # domains the mail server accepts for it
        organization_mail_end(ctx, entry)
    # Seed 001, "Remarks": the SMTP domains to delete come from the Plans database assets alone.
    for domain in SmtpDomain.objects.filter(organization_guid=subscription.organization_guid):
        ctx.call(
            f"{NAMESPACE}::DeleteSMTPDomain",
            {**target, "smtpDomain": domain.name, "preferredDomainController": preferredDomainController},
        )
    subscription.assignments.all().delete()
    subscription.delete()
    return ctx.mirror()


@procedure(
    f"{NAMESPACE}::GetServiceInformation", args=(ORGANIZATION, PREFERRED_DOMAIN_CONTROLLER), security=READERS
)
def service_information_get(ctx: CallContext, *, organization: str, preferredDomainController: str) -> dict:
    """An organization's subscription: its plan, SMTP domains, user count and usage against the
    plan's limits.

    Answers the input with the organization's ``name``, ``path`` and ``GUID``, ``organizationPlan``,
    ``smtpDomains`` (``smtpDomain``
    elements), ``userCount`` (users in the organization), and ``usage`` (``mailboxes`` and
    ``storageMB``, each ``used`` and ``limit``) added.
    """
    entry = organization_entry(ctx, organization)
    subscription = subscription_require(entry)
    out = ctx.mirror()
    out["name"] = entry.name
    out["path"] = dn_to_path(entry.dn)
    out["GUID"] = guid_braced(entry.guid)
    out["organizationPlan"] = subscription.organization_plan.name
    out["smtpDomains"] = {
        "smtpDomain": list(
            SmtpDomain.objects.filter(organization_guid=entry.guid).values_list("name", flat=True)
        )
    }
    out["userCount"] = len(organization_users(ctx, entry))
    out["usage"] = subscription_usage(subscription).describe()
    return out
