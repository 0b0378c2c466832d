"""The Hosted Email 2007 namespace (seed ``001``: ``Hosted Email 2007::Unsubscribe`` and its
"See also" list): plans, plan availability, subscriptions, SMTP domains and user plans.

Reads answer their data inside ``executeData`` (the input mirrored, the data added), so that an
MPS ``<after source="executeData" destination="data" mode="merge"/>`` carries it into the
response's ``<data>``.
"""

from __future__ import annotations

import re
import uuid

from django.db import IntegrityError, transaction

from customers.hosting import CUSTOMER, RESELLER, entry_require, organization_check, user_check
from customers.models import CustomerRecord, CustomerType
from email_service.models import (
    FEATURES,
    AvailablePlan,
    OrganizationPlan,
    SmtpDomain,
    Subscription,
    UserPlan,
    UserPlanAssignment,
)
from email_service.selectors import subscription_usage
from portal.directory import Entry, dn_key, dn_parent, dn_to_path, guid_braced
from portal.engine import (
    CUSTOMER_ADMINISTRATORS,
    DOMAIN_ADMINS,
    ORG_CREATORS,
    Arg,
    CallContext,
    Caller,
    Security,
    procedure,
    require_role,
)
from portal.errors import Conflict, InvalidArgument, NotFound, PrerequisiteFailed

NAMESPACE = "Hosted Email 2007"

# Seed 001, "Error Handling", to the letter.
NEITHER_GUID_NOR_ORGANIZATION = "You must supply either a <GUID> or <organization> element."
GUID_FOUND = (
    "The object with GUID %GUID% was found in Active Directory. This GUID parameter should only be "
    "used when the corresponding Active Directory object has been deleted."
)

DC = Arg(
    "preferredDomainController",
    required=True,
    description="The domain controller to use for Active Directory actions (its FQDN).",
)
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
READERS = Security(roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS))
USER_PLAN_MANAGERS = Security(
    roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS),
    description="CustomerAdministrators of the user's own organization, OrgCreators of its reseller, "
    "DomainAdmins.",
)

_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _guid_form_needs_domain_admins(identity: Caller, args: dict) -> None:
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
    check=_guid_form_needs_domain_admins,
    description="OrgCreators for an existing organization; DomainAdmins for a GUID.",
)


# --- helpers ---------------------------------------------------------------------------------


def _name(ctx: CallContext, argument: str) -> str:
    """The value of an argument exactly as the caller gave it (for error texts)."""
    return str(ctx.raw.get(argument, "")).strip()


def _positive(value: int, argument: str) -> int:
    if value < 1:
        raise InvalidArgument(f"<{argument}> must be at least 1; {value} is not.", field=argument)
    return value


def _unique(names: list[str]) -> list[str]:
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


def organization_plan_require(name: str, *, argument: str = "organizationPlan") -> OrganizationPlan:
    """The organization plan of that name (letter case ignored)."""
    plan = OrganizationPlan.objects.filter(name__iexact=name).first()
    if plan is None:
        raise NotFound(f"The organization plan '{name}' does not exist.", field=argument)
    return plan


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


def smtp_domain_normalize(value: str) -> str:
    """The SMTP domain in lower case; anything that is not a host name of two labels or more is
    refused."""
    domain = value.strip().lower().rstrip(".")
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidArgument(
            f"<smtpDomain> {value!r} is not a domain name such as alpineskihouse.com.", field="smtpDomain"
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
        raise Conflict(f"The SMTP domain {domain} is already in use.", field="smtpDomain") from exc


def plan_describe(plan: OrganizationPlan) -> dict:
    """An organization plan with its user plans, in the shape the reads answer."""
    return {
        "name": plan.name,
        "maxMailboxes": plan.max_mailboxes,
        "defaultMailboxSizeMB": plan.default_mailbox_size_mb,
        "maxStorageMB": plan.max_storage_mb,
        "features": {"feature": plan.features},
        "userPlans": {"userPlan": [user_plan_describe(user_plan) for user_plan in plan.user_plans.all()]},
    }


def user_plan_describe(user_plan: UserPlan) -> dict:
    """A user plan in the shape the reads answer."""
    return {
        "name": user_plan.name,
        "organizationPlan": user_plan.organization_plan.name,
        "mailboxSizeMB": user_plan.mailbox_size_mb,
        "features": {"feature": user_plan.features},
    }


def _users_of(ctx: CallContext, organization: Entry) -> list[Entry]:
    found = ctx.directory.search(
        organization.dn,
        "(|(objectClass=hostingUser)(objectClass=user)(objectClass=inetOrgPerson))",
        scope="onelevel",
    )
    return sorted((entry for entry in found if entry.kind == "user"), key=lambda entry: entry.name.lower())


# --- plans -----------------------------------------------------------------------------------


@procedure(
    f"{NAMESPACE}::CreateOrganizationPlan",
    args=(
        Arg("name", required=True, max_length=128, description="The name of the organization plan."),
        Arg("maxMailboxes", "int", required=True, description="How many mailboxes an organization may have."),
        Arg("defaultMailboxSizeMB", "int", required=True, description="The default mailbox size in MB."),
        Arg(
            "maxStorageMB", "int", required=True, description="The storage of all mailboxes together, in MB."
        ),
        FEATURE_LIST,
        DC,
    ),
    security=DOMAIN_ADMINS_ONLY,
)
def organization_plan_create(
    ctx: CallContext,
    *,
    name: str,
    maxMailboxes: int,
    defaultMailboxSizeMB: int,
    maxStorageMB: int,
    features: list[str],
    preferredDomainController: str,
) -> dict:
    """Define an organization plan: a mailbox count limit, a default mailbox size, a storage limit
    and the features its user plans may enable. Names are unique (letter case ignored).

    Answers the input.
    """
    _positive(maxMailboxes, "maxMailboxes")
    _positive(defaultMailboxSizeMB, "defaultMailboxSizeMB")
    _positive(maxStorageMB, "maxStorageMB")
    if defaultMailboxSizeMB > maxStorageMB:
        raise InvalidArgument(
            f"<defaultMailboxSizeMB> {defaultMailboxSizeMB} is larger than <maxStorageMB> {maxStorageMB}.",
            field="defaultMailboxSizeMB",
        )
    if OrganizationPlan.objects.filter(name__iexact=name).exists():
        raise Conflict(f"An organization plan named '{name}' already exists.", field="name")
    plan = OrganizationPlan(
        name=name,
        max_mailboxes=maxMailboxes,
        default_mailbox_size_mb=defaultMailboxSizeMB,
        max_storage_mb=maxStorageMB,
    )
    plan.set_features(features)
    plan.save()
    return ctx.mirror()


@procedure(
    f"{NAMESPACE}::CreateUserPlan",
    args=(
        Arg("name", required=True, max_length=128, description="The name of the user plan."),
        Arg("organizationPlan", required=True, description="The organization plan it belongs to."),
        Arg(
            "mailboxSizeMB",
            "int",
            description="The mailbox size in MB (the organization plan's default when not given).",
        ),
        FEATURE_LIST,
        DC,
    ),
    security=DOMAIN_ADMINS_ONLY,
)
def user_plan_create(
    ctx: CallContext,
    *,
    name: str,
    organizationPlan: str,
    mailboxSizeMB: int | None,
    features: list[str],
    preferredDomainController: str,
) -> dict:
    """Define a user plan (a mailbox configuration) inside an organization plan. It may enable
    only features its organization plan enables, and its mailbox fits the plan's storage limit.

    Answers the input.
    """
    plan = organization_plan_require(organizationPlan)
    size = (
        plan.default_mailbox_size_mb if mailboxSizeMB is None else _positive(mailboxSizeMB, "mailboxSizeMB")
    )
    if size > plan.max_storage_mb:
        raise InvalidArgument(
            f"<mailboxSizeMB> {size} is larger than the storage limit of the organization plan "
            f"'{plan.name}' ({plan.max_storage_mb} MB).",
            field="mailboxSizeMB",
        )
    features = _unique(features)
    refused = [feature for feature in features if feature not in plan.features]
    if refused:
        allowed = ", ".join(plan.features) or "none"
        raise InvalidArgument(
            f"The organization plan '{plan.name}' does not enable {', '.join(refused)}; a user plan of it "
            f"may enable only: {allowed}.",
            field="features",
        )
    if plan.user_plans.filter(name__iexact=name).exists():
        raise Conflict(
            f"The organization plan '{plan.name}' already has a user plan named '{name}'.", field="name"
        )
    user_plan = UserPlan(name=name, organization_plan=plan, mailbox_size_mb=size)
    user_plan.set_features(features)
    user_plan.save()
    return ctx.mirror()


# --- availability ----------------------------------------------------------------------------

PLAN_LIST = Arg(
    "plans",
    "list",
    required=True,
    item="plan",
    min_items=1,
    description="The organization plans: one or more <plan> elements holding a plan's name.",
)


def _availability_target(ctx: CallContext, organization: str) -> tuple[Entry, str]:
    """The organization whose plans change, and its type; only DomainAdmins change a reseller's."""
    entry = organization_entry(ctx, organization)
    org_type = organization_check(ctx.directory, entry)
    if org_type == RESELLER:
        require_role(
            ctx.identity,
            DOMAIN_ADMINS,
            why="only the provider decides which plans a reseller may offer; a reseller passes them on "
            "to its customers",
        )
    return entry, org_type


@procedure(
    f"{NAMESPACE}::AddAvailablePlans",
    args=(ORGANIZATION, PLAN_LIST, DC),
    security=Security(
        roles=(ORG_CREATORS,),
        description="DomainAdmins for a reseller; OrgCreators of a reseller for its customers.",
    ),
)
def available_plans_add(
    ctx: CallContext, *, organization: str, plans: list[str], preferredDomainController: str
) -> dict:
    """Make organization plans available to an organization: to a reseller (DomainAdmins), or to a
    customer, which may receive only plans available to its reseller. Plans already available
    stay as they are.

    Answers the input.
    """
    entry, org_type = _availability_target(ctx, organization)
    chosen = [organization_plan_require(name, argument="plans") for name in _unique(plans)]
    if org_type == CUSTOMER:
        reseller = entry_require(ctx.directory, dn_parent(entry.dn))
        offered = set(
            AvailablePlan.objects.filter(organization_guid=reseller.guid).values_list(
                "organization_plan_id", flat=True
            )
        )
        missing = [plan.name for plan in chosen if plan.pk not in offered]
        if missing:
            raise PrerequisiteFailed(
                f"The organization plan(s) {', '.join(missing)} are not available to the reseller "
                f"{dn_to_path(reseller.dn)}, so they cannot be made available to its customer "
                f"{dn_to_path(entry.dn)}.",
                field="plans",
            )
    for plan in chosen:
        row, created = AvailablePlan.objects.get_or_create(
            organization_guid=entry.guid, organization_plan=plan, defaults={"dn": entry.dn}
        )
        if not created and row.dn != entry.dn:
            row.dn = entry.dn
            row.save(update_fields=["dn", "dn_key"])
    return ctx.mirror()


@procedure(
    f"{NAMESPACE}::RemoveAvailablePlans",
    args=(ORGANIZATION, PLAN_LIST, DC),
    security=Security(
        roles=(ORG_CREATORS,),
        description="DomainAdmins for a reseller; OrgCreators of a reseller for its customers.",
    ),
)
def available_plans_remove(
    ctx: CallContext, *, organization: str, plans: list[str], preferredDomainController: str
) -> dict:
    """Take organization plans back from an organization. A plan the organization subscribes with,
    or (for a reseller) one still available to any of its customers, cannot be taken back.

    Answers the input.
    """
    entry, org_type = _availability_target(ctx, organization)
    path = dn_to_path(entry.dn)
    for plan in (organization_plan_require(name, argument="plans") for name in _unique(plans)):
        row = AvailablePlan.objects.filter(organization_guid=entry.guid, organization_plan=plan).first()
        if row is None:
            raise NotFound(f"The organization plan '{plan.name}' is not available to {path}.", field="plans")
        if Subscription.objects.filter(organization_guid=entry.guid, organization_plan=plan).exists():
            raise Conflict(
                f"{path} subscribes to {NAMESPACE} with the organization plan '{plan.name}'; it cannot be "
                "taken back while the subscription lasts.",
                field="plans",
            )
        if org_type == RESELLER:
            customers = [
                row.path
                for row in AvailablePlan.objects.below(entry.dn)
                .filter(organization_plan=plan)
                .exclude(organization_guid=entry.guid)
            ]
            if customers:
                raise Conflict(
                    f"The organization plan '{plan.name}' is still available to customers of {path}: "
                    + ", ".join(customers)
                    + ". Take it back from them first.",
                    field="plans",
                )
        row.delete()
    return ctx.mirror()


@procedure(f"{NAMESPACE}::GetOrganizationAvailablePlans", args=(ORGANIZATION, DC), security=READERS)
def available_plans_get(ctx: CallContext, *, organization: str, preferredDomainController: str) -> dict:
    """The organization plans an organization may use.

    Answers the input with ``plans`` added: one ``plan`` element per plan name.
    """
    entry = organization_entry(ctx, organization)
    names = (
        AvailablePlan.objects.filter(organization_guid=entry.guid)
        .order_by("organization_plan__name")
        .values_list("organization_plan__name", flat=True)
    )
    out = ctx.mirror()
    out["plans"] = {"plan": list(names)}
    return out


# --- subscriptions and SMTP domains ----------------------------------------------------------


@procedure(
    f"{NAMESPACE}::Subscribe",
    args=(
        ORGANIZATION,
        DC,
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
    nowhere in the service. The domain is registered as an asset of the Plans database record.
    Answers the input.
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
        DC,
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
    else comes from the Plans database. In both cases each SMTP domain asset of the organization's
    Plans database record is deleted through ``Hosted Email 2007::DeleteSMTPDomain`` (so it can
    be subscribed again), user plan assignments end, and the subscription ends. A successful call
    mirrors its input.
    """
    if GUID is not None:
        given = _name(ctx, "GUID")
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
    f"{NAMESPACE}::DeleteSMTPDomain",
    args=(
        Arg("organization", "path", description="The LDAP path of the organization."),
        Arg("GUID", "guid", description="The GUID of an orphaned organization (DomainAdmins)."),
        Arg("smtpDomain", required=True, max_length=253, description="The SMTP domain to delete."),
        DC,
    ),
    one_of=GUID_OR_ORGANIZATION,
    security=GUID_SECURITY,
)
def smtp_domain_delete(
    ctx: CallContext,
    *,
    organization: str | None,
    GUID: uuid.UUID | None,
    smtpDomain: str,
    preferredDomainController: str,
) -> dict:
    """Delete an SMTP domain asset of an organization's Plans database record, so that the domain
    is free for use again. By ``GUID`` (DomainAdmins) no directory call is made: the asset alone
    says which domain to delete.

    Answers the input.
    """
    domain = smtp_domain_normalize(smtpDomain)
    if GUID is not None:
        guid, where = GUID, f"the organization with GUID {_name(ctx, 'GUID')}"
    else:
        entry = organization_entry(ctx, organization)
        guid, where = entry.guid, dn_to_path(entry.dn)
    asset = SmtpDomain.objects.filter(name=domain, organization_guid=guid).first()
    if asset is None:
        raise NotFound(f"The SMTP domain {domain} is not registered to {where}.", field="smtpDomain")
    asset.delete()
    return ctx.mirror()


# --- reads of a subscription and user plans --------------------------------------------------


@procedure(f"{NAMESPACE}::GetOrganizationPlan", args=(ORGANIZATION, DC), security=READERS)
def organization_plan_get(ctx: CallContext, *, organization: str, preferredDomainController: str) -> dict:
    """The organization plan an organization subscribes with, and its user plans.

    Answers the input with ``organizationPlan`` added (name, limits, features, user plans).
    """
    subscription = subscription_require(organization_entry(ctx, organization))
    out = ctx.mirror()
    out["organizationPlan"] = plan_describe(subscription.organization_plan)
    return out


@procedure(
    f"{NAMESPACE}::GetUserPlan",
    args=(Arg("user", "path", required=True, description="The LDAP path of the user."), DC),
    security=READERS,
)
def user_plan_get(ctx: CallContext, *, user: str, preferredDomainController: str) -> dict:
    """The user plan of one user.

    Answers the input with ``userPlan`` added (empty when the user has none).
    """
    entry = user_entry(ctx, user)
    assignment = (
        UserPlanAssignment.objects.select_related("user_plan__organization_plan")
        .filter(user_guid=entry.guid)
        .first()
    )
    out = ctx.mirror()
    out["userPlan"] = user_plan_describe(assignment.user_plan) if assignment else None
    return out


@procedure(f"{NAMESPACE}::GetUserPlanAssignment", args=(ORGANIZATION, DC), security=READERS)
def user_plan_assignment_get(ctx: CallContext, *, organization: str, preferredDomainController: str) -> dict:
    """The users of a subscribed organization with their user plans.

    Answers the input with ``users`` added: one ``user`` element per user (``path``, ``name``,
    ``GUID`` and ``userPlan``, empty when the user has none).
    """
    entry = organization_entry(ctx, organization)
    subscription = subscription_require(entry)
    plans = {
        assignment.user_guid: assignment.user_plan.name
        for assignment in subscription.assignments.select_related("user_plan")
    }
    out = ctx.mirror()
    out["users"] = {
        "user": [
            {
                "path": dn_to_path(user.dn),
                "name": user.first("displayName") or user.name,
                "GUID": guid_braced(user.guid),
                "userPlan": plans.get(user.guid, ""),
            }
            for user in _users_of(ctx, entry)
        ]
    }
    return out


@procedure(
    f"{NAMESPACE}::ModifyUserPlan",
    args=(
        Arg("user", "path", required=True, description="The LDAP path of the user."),
        Arg("userPlan", required=True, description="The user plan to give the user."),
        DC,
    ),
    security=USER_PLAN_MANAGERS,
)
def user_plan_assign(ctx: CallContext, *, user: str, userPlan: str, preferredDomainController: str) -> dict:
    """Give a user of a subscribed organization a user plan (its mailbox).

    The user plan belongs to the organization plan the organization subscribes with. A user without
    a plan counts against the plan's mailbox limit once given one, and the mailboxes together stay
    within the plan's storage limit. Answers the input.
    """
    entry = user_entry(ctx, user)
    organization, _ = user_check(ctx.directory, entry)
    org_path = dn_to_path(organization.dn)
    subscription = (
        Subscription.objects.select_for_update()
        .select_related("organization_plan")
        .filter(organization_guid=organization.guid)
        .first()
    )
    if subscription is None:
        raise PrerequisiteFailed(
            f"The organization {org_path} of the user is not subscribed to {NAMESPACE}.", field="user"
        )
    plan = subscription.organization_plan
    chosen = plan.user_plans.filter(name__iexact=userPlan).first()
    if chosen is None:
        offered = ", ".join(plan.user_plans.values_list("name", flat=True)) or "none"
        raise InvalidArgument(
            f"'{userPlan}' is not a user plan of the organization plan '{plan.name}' that {org_path} "
            f"subscribes with (its user plans: {offered}).",
            field="userPlan",
        )
    current = UserPlanAssignment.objects.filter(user_guid=entry.guid).first()
    others = subscription.assignments.exclude(user_guid=entry.guid)
    if current is None and others.count() >= plan.max_mailboxes:
        raise PrerequisiteFailed(
            f"The organization {org_path} has reached the mailbox limit of its organization plan "
            f"'{plan.name}': {plan.max_mailboxes} of {plan.max_mailboxes} mailboxes are in use.",
            field="user",
        )
    usage = subscription_usage(subscription)
    storage = usage.storage_used_mb - (current.user_plan.mailbox_size_mb if current else 0)
    if storage + chosen.mailbox_size_mb > plan.max_storage_mb:
        raise PrerequisiteFailed(
            f"The user plan '{chosen.name}' ({chosen.mailbox_size_mb} MB) does not fit the storage limit "
            f"of the organization plan '{plan.name}': {storage} of {plan.max_storage_mb} MB are allocated.",
            field="userPlan",
        )
    if current is None:
        current = UserPlanAssignment(user_guid=entry.guid)
    current.subscription = subscription
    current.user_plan = chosen
    current.dn = entry.dn
    current.name = entry.first("displayName") or entry.name
    current.save()
    return ctx.mirror()


@procedure(f"{NAMESPACE}::GetServiceInformation", args=(ORGANIZATION, DC), security=READERS)
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
    out["userCount"] = len(_users_of(ctx, entry))
    out["usage"] = subscription_usage(subscription).describe()
    return out
