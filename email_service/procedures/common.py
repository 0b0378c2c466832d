"""What the Hosted Email 2007 procedures share: the namespace, the seed's texts, argument
declarations, security rules and the lookups every module uses."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from email_service.models import (
    FEATURES,
    OrganizationPlan,
    SmtpDomain,
    Subscription,
    UserPlan,
)
from hosting.models import CustomerRecord
from hosting.tree import entry_require
from portal.directory import Entry, dn_key, dn_to_path
from portal.engine import (
    BILLING_ADMINS,
    CUSTOMER_ADMINISTRATORS,
    DOMAIN_ADMINS,
    ORG_CREATORS,
    Arg,
    CallContext,
    Caller,
    Security,
    require_role,
)
from portal.errors import Conflict, InvalidArgument, NotFound

NAMESPACE = "Hosted Email 2007"

# Seed 001, "Error Handling", to the letter.
NEITHER_GUID_NOR_ORGANIZATION = "You must supply either a <GUID> or <organization> element."
GUID_FOUND = (
    "The object with GUID %GUID% was found in Active Directory. This GUID parameter should only be "
    "used when the corresponding Active Directory object has been deleted."
)
# Hosted Email 2007::DeleteSMTPDomainByGUID (dd251949), to the letter.
GUID_FOUND_PROCEDURE = (
    "The object with GUID %GUID% was found in Active Directory. This procedure should only be used "
    "when the corresponding Active Directory object has been deleted."
)
# Managed Email 2007::CreateSMTPDomain (dd251695), to the letter.
SMTP_DOMAIN_NOT_AVAILABLE = "The SMTP Domain %domainName% is not available."

# The service's registration (Hosted Email 2007::Initialize, dd278642).
SERVICE_ID = "299B3A26456B467591DBEED999C84809"
SERVICE_NAME = "HostedEmail"
SERVICE_DESCRIPTION = "Hosted Email 2007"
ORGANIZATION_PLAN_TYPE = ("ExchOrgHosting", "EB")
USER_PLAN_TYPE = ("ExchUserHosting", "EU")

ORGANIZATION = Arg("organization", "path", required=True, description="The LDAP path of the organization.")
FEATURE_LIST = Arg(
    "features",
    "list",
    item="feature",
    choices=FEATURES,
    description="The mailbox features enabled: <feature> elements among POP, IMAP, OWA, ActiveSync.",
)
GUID_OR_ORGANIZATION = ((("GUID", "organization"), NEITHER_GUID_NOR_ORGANIZATION),)

DOMAIN_ADMINS_ONLY = Security(roles=(DOMAIN_ADMINS,))
MANAGERS = Security(roles=(ORG_CREATORS,))
# Reads: every role inside its scope (docs/security.md, "Who reads what"), billing staff included.
READERS = Security(roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS, BILLING_ADMINS))
USER_PLAN_MANAGERS = Security(
    roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS),
    description="CustomerAdministrators of the user's own organization, OrgCreators of its reseller, "
    "DomainAdmins.",
)

DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def guid_form_needs_domain_admins(identity: Caller, args: dict) -> None:
    # Seed 001, "Security": a GUID assumes the organization is deleted, so its ownership cannot be
    # validated; the GUID form asks for the more restrictive DomainAdmins.
    if args.get("GUID") is not None:
        require_role(
            identity,
            DOMAIN_ADMINS,
            why="the GUID form acts on an organization whose directory entry is gone, so its "
            "ownership cannot be checked",
        )


GUID_SECURITY = Security(
    roles=(ORG_CREATORS,),
    check=guid_form_needs_domain_admins,
    description="OrgCreators for an existing organization; DomainAdmins for a GUID.",
)


# --- helpers ---------------------------------------------------------------------------------


def argument_text(ctx: CallContext, argument: str) -> str:
    """The value of an argument exactly as the caller gave it (for error texts)."""
    return str(ctx.raw.get(argument, "")).strip()


def positive_require(value: int, argument: str) -> int:
    if value < 1:
        raise InvalidArgument(f"<{argument}> must be at least 1; {value} is not.", field=argument)
    return value


def names_unique(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def organization_entry(ctx: CallContext, dn: str, *, argument: str = "organization") -> Entry:
    """The organization's entry; a missing entry or one that is no organization is refused."""
    entry = entry_require(ctx.directory, dn, argument=argument)
    if entry.kind != "organization":
        raise InvalidArgument(f"<{argument}> {dn_to_path(dn)} is not an organization.", field=argument)
    return entry


def user_entry(ctx: CallContext, dn: str) -> Entry:
    """The user's entry; a missing entry or one that is no user is refused."""
    entry = entry_require(ctx.directory, dn, argument="user")
    if entry.kind != "user":
        raise InvalidArgument(f"<user> {dn_to_path(dn)} is not a user.", field="user")
    return entry


def organization_plan_require(name: str, *, argument: str = "planName") -> OrganizationPlan:
    """The organization plan of that name (letter case ignored)."""
    plan = OrganizationPlan.objects.filter(name__iexact=name).first()
    if plan is None:
        raise NotFound(f"The organization plan '{name}' does not exist.", field=argument)
    return plan


def plan_require(name: str, *, argument: str = "planName") -> tuple[OrganizationPlan, UserPlan | None]:
    """The plan of that name, of either type (letter case ignored): an organization plan
    (ExchOrgHosting), or a user plan (ExchUserHosting) with the organization plan it belongs to.
    An organization plan's name wins over a user plan's; a user plan name that several
    organization plans use is refused as ambiguous."""
    plan = OrganizationPlan.objects.filter(name__iexact=name).first()
    if plan is not None:
        return plan, None
    user_plans = list(UserPlan.objects.select_related("organization_plan").filter(name__iexact=name))
    if not user_plans:
        raise NotFound(f"The plan '{name}' does not exist.", field=argument)
    if len(user_plans) > 1:
        owners = ", ".join(sorted(user_plan.organization_plan.name for user_plan in user_plans))
        raise InvalidArgument(
            f"The user plan name '{name}' is used in several organization plans ({owners}); name the "
            "organization plan instead.",
            field=argument,
        )
    return user_plans[0].organization_plan, user_plans[0]


def subscription_require(entry: Entry, *, argument: str = "organization") -> Subscription:
    """The subscription of the organization at ``entry``."""
    subscription = (
        Subscription.objects.select_related("organization_plan").filter(organization_guid=entry.guid).first()
    )
    if subscription is None:
        raise NotFound(
            f"The organization {dn_to_path(entry.dn)} is not subscribed to {NAMESPACE}.", field=argument
        )
    if subscription.dn_key != dn_key(entry.dn):
        subscription.dn = entry.dn
        subscription.save(update_fields=["dn", "dn_key"])
    return subscription


def smtp_domain_normalize(value: str, *, argument: str = "domainName") -> str:
    """The SMTP domain in lower case; anything that is not a host name of two labels or more is
    refused."""
    domain = value.strip().lower().rstrip(".")
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidArgument(
            f"<{argument}> {value!r} is not a domain name such as alpineskihouse.com.", field=argument
        )
    return domain


def smtp_domain_create(record: CustomerRecord, entry: Entry, domain: str) -> SmtpDomain:
    """Register ``domain`` as an asset of the organization's Plans database record.

    The database refuses a domain that is in use anywhere in the service, in any letter case.
    """
    try:
        with transaction.atomic():
            return SmtpDomain.objects.create(
                name=domain, customer_record=record, organization_guid=entry.guid, dn=entry.dn
            )
    except IntegrityError as exc:
        raise Conflict(SMTP_DOMAIN_NOT_AVAILABLE.replace("%domainName%", domain), field="domainName") from exc


MEBIBYTE = 1024 * 1024


def plan_describe(plan: OrganizationPlan) -> dict:
    """An organization plan as ``GetOrganizationPlanAssignment`` answers it (dd279176):
    ``planName``, ``description``, ``features/mailStore`` and ``features/publicStore``, and the
    portal's limits and its user plans."""
    return {
        "planName": plan.name,
        "description": plan.description,
        "features": {
            "mailStore": {
                "dynamicQuota": 0,
                "megabytes": plan.max_storage_mb,
                "shared": 1,
                "algorithm": "level",
            },
            "maxMailboxes": plan.max_mailboxes,
            "defaultMailboxMegabytes": plan.default_mailbox_size_mb,
            "protocols": {"protocol": plan.features},
        },
        "userPlans": {"plan": [user_plan_describe(user_plan) for user_plan in plan.user_plans.all()]},
    }


def user_plan_describe(user_plan: UserPlan) -> dict:
    """A user plan in the shape of ``CreateUserPlan``'s input (dd251582): sizes in bytes."""
    size = user_plan.mailbox_size_mb * MEBIBYTE
    return {
        "planName": user_plan.name,
        "description": user_plan.description,
        "organizationPlanName": user_plan.organization_plan.name,
        "features": {
            "prohibitSendQuota": size,
            "prohibitSendReceiveQuota": size,
            "mailboxMegabytes": user_plan.mailbox_size_mb,
            "protocols": {"protocol": user_plan.features},
        },
    }


def available_plan_describe(plan: OrganizationPlan | UserPlan) -> dict:
    """One ``availablePlans/plan`` of ``GetOrganizationAvailablePlans`` (dd252343)."""
    is_user_plan = isinstance(plan, UserPlan)
    return {
        "planName": plan.name,
        "planDescription": plan.description,
        "planStatus": "Enabled",
        "dateCreated": plan.created_at.isoformat(),
        "dateLastUpdated": plan.updated_at.isoformat(),
        "planTypeName": (USER_PLAN_TYPE if is_user_plan else ORGANIZATION_PLAN_TYPE)[0],
    }


def organization_users(ctx: CallContext, organization: Entry) -> list[Entry]:
    found = ctx.directory.search(
        organization.dn,
        "(|(objectClass=hostingUser)(objectClass=user)(objectClass=inetOrgPerson))",
        scope="onelevel",
    )
    return sorted((entry for entry in found if entry.kind == "user"), key=lambda entry: entry.name.lower())


# --- plans -----------------------------------------------------------------------------------
