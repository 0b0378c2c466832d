"""Organization plans, user plans and which plans an organization may use."""

from __future__ import annotations

from email_service.models import (
    AvailablePlan,
    OrganizationPlan,
    Subscription,
    UserPlan,
)
from email_service.procedures.common import (
    DOMAIN_ADMINS_ONLY,
    FEATURE_LIST,
    NAMESPACE,
    ORGANIZATION,
    READERS,
    names_unique,
    organization_entry,
    organization_plan_require,
    plan_describe,
    positive_require,
    subscription_require,
)
from hosting.tree import CUSTOMER, RESELLER, entry_require, organization_check
from portal.directory import Entry, dn_parent, dn_to_path
from portal.engine import (
    DOMAIN_ADMINS,
    ORG_CREATORS,
    PREFERRED_DOMAIN_CONTROLLER,
    Arg,
    CallContext,
    Security,
    procedure,
    require_role,
)
from portal.errors import Conflict, InvalidArgument, NotFound, PrerequisiteFailed


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
        PREFERRED_DOMAIN_CONTROLLER,
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
    positive_require(maxMailboxes, "maxMailboxes")
    positive_require(defaultMailboxSizeMB, "defaultMailboxSizeMB")
    positive_require(maxStorageMB, "maxStorageMB")
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
        PREFERRED_DOMAIN_CONTROLLER,
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
        plan.default_mailbox_size_mb
        if mailboxSizeMB is None
        else positive_require(mailboxSizeMB, "mailboxSizeMB")
    )
    if size > plan.max_storage_mb:
        raise InvalidArgument(
            f"<mailboxSizeMB> {size} is larger than the storage limit of the organization plan "
            f"'{plan.name}' ({plan.max_storage_mb} MB).",
            field="mailboxSizeMB",
        )
    features = names_unique(features)
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
    args=(ORGANIZATION, PLAN_LIST, PREFERRED_DOMAIN_CONTROLLER),
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
    chosen = [organization_plan_require(name, argument="plans") for name in names_unique(plans)]
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
    args=(ORGANIZATION, PLAN_LIST, PREFERRED_DOMAIN_CONTROLLER),
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
    for plan in (organization_plan_require(name, argument="plans") for name in names_unique(plans)):
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


@procedure(
    f"{NAMESPACE}::GetOrganizationAvailablePlans",
    args=(ORGANIZATION, PREFERRED_DOMAIN_CONTROLLER),
    security=READERS,
)
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


@procedure(
    f"{NAMESPACE}::GetOrganizationPlan", args=(ORGANIZATION, PREFERRED_DOMAIN_CONTROLLER), security=READERS
)
def organization_plan_get(ctx: CallContext, *, organization: str, preferredDomainController: str) -> dict:
    """The organization plan an organization subscribes with, and its user plans.

    Answers the input with ``organizationPlan`` added (name, limits, features, user plans).
    """
    subscription = subscription_require(organization_entry(ctx, organization))
    out = ctx.mirror()
    out["organizationPlan"] = plan_describe(subscription.organization_plan)
    return out
