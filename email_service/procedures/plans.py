"""Organization plans, user plans and which plans an organization may use."""

from __future__ import annotations

from email_service.models import (
    FEATURES,
    AvailablePlan,
    OrganizationPlan,
    Subscription,
    UserPlan,
)
from email_service.procedures.common import (
    DOMAIN_ADMINS_ONLY,
    MEBIBYTE,
    NAMESPACE,
    ORGANIZATION,
    READERS,
    available_plan_describe,
    names_unique,
    organization_entry,
    organization_plan_require,
    plan_describe,
    plan_require,
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

FEATURES_ARG = Arg(
    "features",
    "struct",
    required=True,
    description="The plan's features, as the page nests them.",
)
PROTOCOL_NAMES = {name.lower(): name for name in FEATURES}
ALGORITHMS = ("tightPack", "level", "minStoreCount")
UNLIMITED_MAILBOXES = 1_000_000


def _struct_text(value: object, argument: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise InvalidArgument(f"<{argument}> must be a single value, not a structure.", field="features")
    text = str(value).strip()
    return text or None


def _whole(value: object, argument: str, *, minimum: int = 0, unlimited: bool = False) -> int | None:
    text = _struct_text(value, argument)
    if text is None:
        return None
    if unlimited and text.lower() == "unlimited":
        return None
    try:
        number = int(text.replace(",", ""))
    except ValueError:
        raise InvalidArgument(
            f"<{argument}> must be a whole number{' or unlimited' if unlimited else ''}; {text!r} is not.",
            field="features",
        ) from None
    if number < minimum:
        raise InvalidArgument(f"<{argument}> must be at least {minimum}; {number} is not.", field="features")
    return number


def _structure(features: dict, name: str) -> dict:
    value = features.get(name) or {}
    if not isinstance(value, dict):
        raise InvalidArgument(f"<features/{name}> must be a structure of elements.", field="features")
    return value


def _known_only(value: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidArgument(
            f"<{where}> does not take <{unknown[0]}>; it takes "
            + ", ".join(f"<{name}>" for name in sorted(allowed))
            + ".",
            field="features",
        )


def _protocols(features: dict, allowed: list[str] | None = None) -> list[str]:
    """The portal's mailbox protocols (``features/protocols/protocol``: POP, IMAP, OWA,
    ActiveSync); by default all of ``allowed`` (or all four)."""
    given = _structure(features, "protocols")
    _known_only(given, {"protocol"}, "features/protocols")
    names = given.get("protocol")
    if names is None:
        return list(allowed if allowed is not None else FEATURES)
    names = names if isinstance(names, list) else [names]
    out = []
    for name in names:
        found = PROTOCOL_NAMES.get(str(name).strip().lower())
        if found is None:
            raise InvalidArgument(
                f"<protocol> must be one of {', '.join(FEATURES)}; {name!r} is not.", field="features"
            )
        out.append(found)
    return names_unique(out)


@procedure(
    f"{NAMESPACE}::CreateOrganizationPlan",
    args=(
        PREFERRED_DOMAIN_CONTROLLER,
        Arg(
            "planName", required=True, max_length=128, description="The unique name of the organization plan."
        ),
        Arg("description", required=True, max_length=1024, description="What the plan is."),
        FEATURES_ARG,
    ),
    security=DOMAIN_ADMINS_ONLY,
)
def organization_plan_create(
    ctx: CallContext, *, preferredDomainController: str, planName: str, description: str, features: dict
) -> dict:
    """Define an organization plan (ExchOrgHosting) as dd252246 describes it:
    ``features/mailStore`` (``dynamicQuota``, ``megabytes``: the storage of all its mailboxes
    together, ``shared``, ``algorithm``: tightPack, level or minStoreCount) and
    ``features/publicStore/megabytes``. The portal places storage itself and keeps
    ``megabytes`` as the plan's storage limit, which it needs. The portal's own limits go in the
    same style: ``features/maxMailboxes`` (unlimited by default), ``features/defaultMailboxMegabytes``
    (1024 by default, at most ``megabytes``) and ``features/protocols/protocol`` (POP, IMAP, OWA,
    ActiveSync; all by default). Names are unique (letter case ignored).

    Answers the input.
    """
    _known_only(
        features,
        {"mailStore", "publicStore", "outlookClient", "maxMailboxes", "defaultMailboxMegabytes", "protocols"},
        "features",
    )
    store = _structure(features, "mailStore")
    _known_only(store, {"dynamicQuota", "megabytes", "shared", "algorithm"}, "features/mailStore")
    if (
        store.get("dynamicQuota") in (None, "")
        or store.get("shared") in (None, "")
        or not store.get("algorithm")
    ):
        raise InvalidArgument(
            "<features/mailStore> needs <dynamicQuota>, <shared> and <algorithm>.", field="features"
        )
    _whole(store["dynamicQuota"], "dynamicQuota")
    _whole(store["shared"], "shared")
    algorithm = _struct_text(store["algorithm"], "algorithm")
    if algorithm not in ALGORITHMS:
        raise InvalidArgument(
            f"<algorithm> must be one of {', '.join(ALGORITHMS)}; {algorithm!r} is not.", field="features"
        )
    megabytes = _whole(store.get("megabytes"), "megabytes", minimum=1)
    if megabytes is None:
        raise InvalidArgument(
            "<features/mailStore/megabytes> is required by the portal: it is the plan's storage limit.",
            field="features",
        )
    public = _structure(features, "publicStore")
    _known_only(public, {"megabytes"}, "features/publicStore")
    _whole(public.get("megabytes"), "publicStore/megabytes")
    mailboxes = _whole(features.get("maxMailboxes"), "maxMailboxes", minimum=1, unlimited=True)
    default_size = _whole(features.get("defaultMailboxMegabytes"), "defaultMailboxMegabytes", minimum=1)
    default_size = min(1024, megabytes) if default_size is None else default_size
    if default_size > megabytes:
        raise InvalidArgument(
            f"<defaultMailboxMegabytes> {default_size} is larger than <megabytes> {megabytes}.",
            field="features",
        )
    if OrganizationPlan.objects.filter(name__iexact=planName).exists():
        raise Conflict(f"An organization plan named '{planName}' already exists.", field="planName")
    plan = OrganizationPlan(
        name=planName,
        description=description,
        max_mailboxes=mailboxes or UNLIMITED_MAILBOXES,
        default_mailbox_size_mb=default_size,
        max_storage_mb=megabytes,
    )
    plan.set_features(_protocols(features))
    plan.save()
    return ctx.mirror()


USER_QUOTAS = (
    "issueWarningQuota",
    "maxSendSize",
    "maxReceiveSize",
    "prohibitSendReceiveQuota",
    "recipientLimits",
)


@procedure(
    f"{NAMESPACE}::CreateUserPlan",
    args=(
        PREFERRED_DOMAIN_CONTROLLER,
        Arg("planName", required=True, max_length=128, description="The name of the user plan."),
        Arg("description", required=True, max_length=1024, description="What the plan is."),
        FEATURES_ARG,
        Arg(
            "organizationPlanName",
            max_length=128,
            description="(optional) The organization plan the user plan belongs to (the portal keeps user "
            "plans inside an organization plan); needed when there is more than one.",
        ),
    ),
    security=DOMAIN_ADMINS_ONLY,
)
def user_plan_create(
    ctx: CallContext,
    *,
    preferredDomainController: str,
    planName: str,
    description: str,
    features: dict,
    organizationPlanName: str | None,
) -> dict:
    """Define a user plan (ExchUserHosting) as dd251582 describes it: ``features/prohibitSendQuota``
    in bytes ('1000' to '2,147,483,647'), and ``issueWarningQuota``, ``maxSendSize``,
    ``maxReceiveSize``, ``prohibitSendReceiveQuota`` (bytes or ``unlimited``) and
    ``recipientLimits``. The mailbox size the portal enforces is ``prohibitSendReceiveQuota``, else
    ``prohibitSendQuota``, in whole MiB (rounded up), within the organization plan's storage limit;
    ``features/protocols/protocol`` enables only protocols the organization plan enables (by
    default all of them).

    Answers the input.
    """
    _known_only(features, {"prohibitSendQuota", *USER_QUOTAS, "protocols"}, "features")
    send = _whole(features.get("prohibitSendQuota"), "prohibitSendQuota", minimum=1000)
    if send is None:
        raise InvalidArgument("<features/prohibitSendQuota> is required.", field="features")
    if send > 2_147_483_647:
        raise InvalidArgument("<prohibitSendQuota> may be at most 2,147,483,647 bytes.", field="features")
    quotas = {name: _whole(features.get(name), name, unlimited=True) for name in USER_QUOTAS}
    if organizationPlanName:
        plan = organization_plan_require(organizationPlanName, argument="organizationPlanName")
    else:
        plans = list(OrganizationPlan.objects.all()[:2])
        if len(plans) != 1:
            raise InvalidArgument(
                "There is more than one organization plan (or none): name the one the user plan belongs "
                "to with <organizationPlanName>.",
                field="organizationPlanName",
            )
        plan = plans[0]
    size_bytes = quotas["prohibitSendReceiveQuota"] or send
    size = -(-size_bytes // MEBIBYTE)
    if size > plan.max_storage_mb:
        raise InvalidArgument(
            f"The mailbox size {size} MB is larger than the storage limit of the organization plan "
            f"'{plan.name}' ({plan.max_storage_mb} MB).",
            field="features",
        )
    protocols = _protocols(features, plan.features)
    refused = [name for name in protocols if name not in plan.features]
    if refused:
        allowed = ", ".join(plan.features) or "none"
        raise InvalidArgument(
            f"The organization plan '{plan.name}' does not enable {', '.join(refused)}; a user plan of it "
            f"may enable only: {allowed}.",
            field="features",
        )
    if plan.user_plans.filter(name__iexact=planName).exists():
        raise Conflict(
            f"The organization plan '{plan.name}' already has a user plan named '{planName}'.",
            field="planName",
        )
    user_plan = UserPlan(name=planName, description=description, organization_plan=plan, mailbox_size_mb=size)
    user_plan.set_features(protocols)
    user_plan.save()
    return ctx.mirror()


PLAN_LIST = Arg(
    "availablePlans",
    "list",
    required=True,
    item="planName",
    min_items=1,
    description="The plans: one or more <planName> elements. An organization plan's name, or a user "
    "plan's (which stands for the organization plan it belongs to).",
)


def _plans_named(names: list[str]) -> list[OrganizationPlan]:
    plans: dict[int, OrganizationPlan] = {}
    for name in names_unique(names):
        plan, _user_plan = plan_require(name, argument="availablePlans")
        plans.setdefault(plan.pk, plan)
    return list(plans.values())


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
    ctx: CallContext, *, organization: str, availablePlans: list[str], preferredDomainController: str
) -> dict:
    """Make plans available to an organization: to a reseller (DomainAdmins), or to a customer,
    which may receive only plans available to its reseller. The portal keeps user plans inside
    organization plans, so a user plan's name makes its organization plan (with all its user
    plans) available. Plans already available stay as they are.

    Answers nothing (``<executeData/>``).
    """
    entry, org_type = _availability_target(ctx, organization)
    chosen = _plans_named(availablePlans)
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
                field="availablePlans",
            )
    for plan in chosen:
        row, created = AvailablePlan.objects.get_or_create(
            organization_guid=entry.guid, organization_plan=plan, defaults={"dn": entry.dn}
        )
        if not created and row.dn != entry.dn:
            row.dn = entry.dn
            row.save(update_fields=["dn", "dn_key"])
    return {}


@procedure(
    f"{NAMESPACE}::RemoveAvailablePlans",
    args=(ORGANIZATION, PLAN_LIST, PREFERRED_DOMAIN_CONTROLLER),
    security=Security(
        roles=(ORG_CREATORS,),
        description="DomainAdmins for a reseller; OrgCreators of a reseller for its customers.",
    ),
)
def available_plans_remove(
    ctx: CallContext, *, organization: str, availablePlans: list[str], preferredDomainController: str
) -> dict:
    """Take plans back from an organization (a user plan's name stands for its organization
    plan). A plan the organization subscribes with, or (for a reseller) one still available to
    any of its customers, cannot be taken back.

    Answers nothing (``<executeData/>``).
    """
    entry, org_type = _availability_target(ctx, organization)
    path = dn_to_path(entry.dn)
    for plan in _plans_named(availablePlans):
        row = AvailablePlan.objects.filter(organization_guid=entry.guid, organization_plan=plan).first()
        if row is None:
            raise NotFound(
                f"The organization plan '{plan.name}' is not available to {path}.", field="availablePlans"
            )
        if Subscription.objects.filter(organization_guid=entry.guid, organization_plan=plan).exists():
            raise Conflict(
                f"{path} subscribes to {NAMESPACE} with the organization plan '{plan.name}'; it cannot be "
                "taken back while the subscription lasts.",
                field="availablePlans",
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
                    field="availablePlans",
                )
        row.delete()
    return {}


@procedure(
    f"{NAMESPACE}::GetOrganizationAvailablePlans",
    args=(ORGANIZATION, PREFERRED_DOMAIN_CONTROLLER),
    security=READERS,
)
def available_plans_get(ctx: CallContext, *, organization: str, preferredDomainController: str) -> dict:
    """The plans an organization's users may have (dd252343): each available organization plan
    (planTypeName ExchOrgHosting) and each of its user plans (ExchUserHosting).

    Answers ``availablePlans`` with one ``plan`` (``planName``, ``planDescription``,
    ``planStatus``, ``dateCreated``, ``dateLastUpdated``, ``planTypeName``) per plan.
    """
    entry = organization_entry(ctx, organization)
    plans = []
    rows = AvailablePlan.objects.filter(organization_guid=entry.guid).select_related("organization_plan")
    for row in rows.order_by("organization_plan__name"):
        plans.append(available_plan_describe(row.organization_plan))
        plans.extend(
            available_plan_describe(user_plan) for user_plan in row.organization_plan.user_plans.all()
        )
    return {"availablePlans": {"plan": plans}}


@procedure(
    f"{NAMESPACE}::GetOrganizationPlan", args=(ORGANIZATION, PREFERRED_DOMAIN_CONTROLLER), security=READERS
)
def organization_plan_get(ctx: CallContext, *, organization: str, preferredDomainController: str) -> dict:
    """The organization plan an organization subscribes with, and its user plans: the answer of
    ``GetOrganizationPlanAssignment``."""
    subscription = subscription_require(organization_entry(ctx, organization))
    return plan_describe(subscription.organization_plan)


@procedure(
    f"{NAMESPACE}::GetOrganizationPlanAssignment",
    args=(ORGANIZATION, PREFERRED_DOMAIN_CONTROLLER),
    security=READERS,
)
def organization_plan_assignment_get(
    ctx: CallContext, *, organization: str, preferredDomainController: str
) -> dict:
    """The plan assigned to an organization (dd279176): ``planName``, ``description``,
    ``features/mailStore`` (``dynamicQuota``, ``megabytes``, ``shared``, ``algorithm``), and the
    portal's limits and user plans in the same style."""
    subscription = subscription_require(organization_entry(ctx, organization))
    return plan_describe(subscription.organization_plan)
