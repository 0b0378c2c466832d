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
    ORGANIZATION_PLAN_TYPE,
    READERS,
    SERVICE_DESCRIPTION,
    SERVICE_ID,
    SERVICE_NAME,
    USER_PLAN_TYPE,
    argument_text,
    organization_entry,
    organization_plan_require,
    organization_users,
    subscription_require,
)
from email_service.procedures.mailboxes import organization_mail_end
from email_service.selectors import subscription_usage
from hosting.models import CustomerRecord, CustomerType
from hosting.tree import CUSTOMER, organization_check
from portal.directory import dn_to_path, guid_braced
from portal.engine import (
    PREFERRED_DOMAIN_CONTROLLER,
    Arg,
    CallContext,
    procedure,
    reserve,
)
from portal.errors import Conflict, NotFound, PrerequisiteFailed


@procedure(
    f"{NAMESPACE}::Subscribe",
    args=(
        ORGANIZATION,
        PREFERRED_DOMAIN_CONTROLLER,
        Arg(
            "planName", required=True, max_length=128, description="The organization plan to subscribe with."
        ),
    ),
    security=MANAGERS,
)
def subscription_create(
    ctx: CallContext, *, organization: str, preferredDomainController: str, planName: str
) -> dict:
    """Subscribe a customer organization to the service with an organization plan (dd251611); its
    SMTP domains come through ``CreateSMTPDomain``.

    The organization is compliant with the hosting prescription and has its Plans database record
    (``MPS Import::EnableCustomerForPlans``); the plan is available to it. Answers nothing
    (``<executeData/>``).
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
    reserve("subscription", str(entry.guid))  # a concurrent Subscribe waits, then sees this one
    existing = Subscription.objects.filter(organization_guid=entry.guid).first()
    if existing is not None:
        raise Conflict(
            f"The organization {path} is already subscribed to {NAMESPACE} "
            f"(organization plan '{existing.organization_plan.name}').",
            field="organization",
        )
    plan = organization_plan_require(planName)
    _plan_available_require(entry, plan)
    Subscription.objects.create(
        customer_record=record,
        organization_guid=entry.guid,
        dn=entry.dn,
        organization_plan=plan,
        created_by_id=ctx.caller.user_id,
    )
    return {}


def _plan_available_require(entry, plan) -> None:
    if not AvailablePlan.objects.filter(organization_guid=entry.guid, organization_plan=plan).exists():
        raise PrerequisiteFailed(
            f"The organization plan '{plan.name}' is not available to {dn_to_path(entry.dn)}; its reseller "
            f"makes plans available with {NAMESPACE}::AddAvailablePlans.",
            field="planName",
        )


@procedure(
    f"{NAMESPACE}::ChangeOrganizationPlanAssignment",
    args=(
        ORGANIZATION,
        PREFERRED_DOMAIN_CONTROLLER,
        Arg("planName", required=True, max_length=128, description="The organization plan to apply."),
    ),
    security=MANAGERS,
)
def organization_plan_change(
    ctx: CallContext, *, organization: str, preferredDomainController: str, planName: str
) -> dict:
    """Give a subscribed organization another organization plan (dd278574), available to it and
    large enough for what it uses. Its users keep their mailboxes: each moves to the new plan's
    user plan of the same name, else to the new plan's user plan whose size is nearest to its
    old one (the portal keeps user plans inside organization plans). Answers nothing
    (``<executeData/>``).
    """
    entry = organization_entry(ctx, organization)
    subscription = subscription_require(entry)
    plan = organization_plan_require(planName)
    _plan_available_require(entry, plan)
    if plan.pk == subscription.organization_plan_id:
        return {}
    assignments = list(subscription.assignments.select_related("user_plan"))
    targets = list(plan.user_plans.all())
    if assignments and not targets:
        raise PrerequisiteFailed(
            f"The organization plan '{plan.name}' has no user plan for the {len(assignments)} mailbox(es) of "
            f"{dn_to_path(entry.dn)}.",
            field="planName",
        )
    moves = []
    for assignment in assignments:
        same = [target for target in targets if target.name.lower() == assignment.user_plan.name.lower()]
        target = (
            same[0]
            if same
            else min(
                targets,
                key=lambda candidate: (
                    abs(candidate.mailbox_size_mb - assignment.user_plan.mailbox_size_mb),
                    candidate.name,
                ),
            )
        )
        moves.append((assignment, target))
    mailboxes = len(moves)
    storage = sum(target.mailbox_size_mb for _, target in moves)
    if mailboxes > plan.max_mailboxes or storage > plan.max_storage_mb:
        raise PrerequisiteFailed(
            f"{dn_to_path(entry.dn)} uses {mailboxes} mailbox(es) and {storage} MB; the organization plan "
            f"'{plan.name}' allows {plan.max_mailboxes} and {plan.max_storage_mb} MB.",
            field="planName",
        )
    for assignment, target in moves:
        assignment.user_plan = target
        assignment.save(update_fields=["user_plan", "assigned_at"])
    subscription.organization_plan = plan
    subscription.save(update_fields=["organization_plan"])
    return {}


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
    # Seed 001, "Remarks": DeleteSMTPDomain is still called, and the SMTP domains to delete come
    # from the Plans database assets alone.
    for domain in SmtpDomain.objects.filter(organization_guid=subscription.organization_guid):
        ctx.call(
            f"{NAMESPACE}::DeleteSMTPDomain",
            {**target, "domainName": domain.name, "preferredDomainController": preferredDomainController},
        )
    subscription.assignments.all().delete()
    subscription.delete()
    return ctx.mirror()


@procedure(
    f"{NAMESPACE}::GetServiceInformation",
    args=(
        PREFERRED_DOMAIN_CONTROLLER,
        Arg(
            "organization",
            "path",
            description="(optional) An organization: its subscription is answered too.",
        ),
    ),
    security=READERS,
)
def service_information_get(
    ctx: CallContext, *, preferredDomainController: str, organization: str | None
) -> dict:
    """The service's registration (Hosted Email 2007::Initialize, dd278642): ``serviceId``,
    ``serviceName``, ``serviceDescription`` and ``planTypes`` (ExchOrgHosting/EB,
    ExchUserHosting/EU). With ``organization``, its subscription too: ``planName`` (its
    organization plan), ``domainNames`` (``domainName`` elements), ``userCount`` and ``usage``
    (``mailboxes`` and ``storageMB``, each ``used`` and ``limit``), with the organization's
    ``name``, ``path`` and ``GUID``.
    """
    out: dict = {
        "serviceId": SERVICE_ID,
        "serviceName": SERVICE_NAME,
        "serviceDescription": SERVICE_DESCRIPTION,
        "planTypes": {
            "planType": [
                {"planTypeName": name, "planTypeCode": code}
                for name, code in (ORGANIZATION_PLAN_TYPE, USER_PLAN_TYPE)
            ]
        },
    }
    if organization is None:
        return out
    entry = organization_entry(ctx, organization)
    subscription = subscription_require(entry)
    out["name"] = entry.name
    out["path"] = dn_to_path(entry.dn)
    out["GUID"] = guid_braced(entry.guid)
    out["planName"] = subscription.organization_plan.name
    out["domainNames"] = {
        "domainName": list(
            SmtpDomain.objects.filter(organization_guid=entry.guid).values_list("name", flat=True)
        )
    }
    out["userCount"] = len(organization_users(ctx, entry))
    out["usage"] = subscription_usage(subscription).describe()
    return out
