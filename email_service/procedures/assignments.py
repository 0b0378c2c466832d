"""User plans assigned to users: each user's mailbox configuration within its organization's plan."""

from __future__ import annotations

from email_service.models import (
    Subscription,
    UserPlanAssignment,
)
from email_service.procedures.common import (
    NAMESPACE,
    ORGANIZATION,
    READERS,
    USER_PLAN_MANAGERS,
    organization_entry,
    organization_users,
    subscription_require,
    user_entry,
    user_plan_describe,
)
from email_service.procedures.mailboxes import mailbox_quota_sync
from email_service.selectors import subscription_usage
from hosting.tree import user_check
from portal.directory import dn_to_path, guid_braced
from portal.engine import (
    PREFERRED_DOMAIN_CONTROLLER,
    Arg,
    CallContext,
    procedure,
)
from portal.errors import InvalidArgument, PrerequisiteFailed


@procedure(
    f"{NAMESPACE}::GetUserPlan",
    args=(
        Arg("user", "path", required=True, description="The LDAP path of the user."),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
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


@procedure(
    f"{NAMESPACE}::GetUserPlanAssignment", args=(ORGANIZATION, PREFERRED_DOMAIN_CONTROLLER), security=READERS
)
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
            for user in organization_users(ctx, entry)
        ]
    }
    return out


@procedure(
    f"{NAMESPACE}::ModifyUserPlan",
    args=(
        Arg("user", "path", required=True, description="The LDAP path of the user."),
        Arg("userPlan", required=True, description="The user plan to give the user."),
        PREFERRED_DOMAIN_CONTROLLER,
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
    # a mailbox's quota follows its plan: the mail server enforces it from the next message on
    mailbox_quota_sync(ctx, entry, chosen.mailbox_size_mb)
    return ctx.mirror()


@procedure(
    f"{NAMESPACE}::EndUserPlanAssignments_",
    args=(
        Arg(
            "users",
            "list",
            item="user",
            item_kind="guid",
            min_items=1,
            description="The GUIDs of users whose directory entries were deleted.",
        ),
    ),
    private=True,
)
def user_plan_assignments_end(ctx: CallContext, *, users: list) -> dict:
    """A deleted user's mailbox ends: its user plan assignment goes, so that it no longer counts
    against its organization's mailbox and storage limits. Runs on the engine event
    ``users.deleted`` (``DeleteUser``, ``DeleteOrganization``), nested in the call that deleted
    the users."""
    ended = UserPlanAssignment.objects.filter(user_guid__in=users).delete()[0]
    return {"users": {"user": [str(guid) for guid in users]}, "ended": ended}
