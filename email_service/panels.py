"""What the e-mail service adds to the shared pages: its counts and usage on the home page, its
section of an organization's page and of a user's page (where the user's plan is changed), and
its menu entries."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from email_service.forms import CreateMailboxForm, MailboxActionForm, ModifyUserPlanForm
from email_service.models import UserPlanAssignment
from email_service.selectors import (
    mail_recipients,
    mail_stored_mb,
    smtp_domain_list,
    subscription_list,
    subscription_usage,
)
from hosting.selectors import directory_object_at
from portal.contributions import (
    Counter,
    MenuEntry,
    Panel,
    counter_register,
    dashboard_panel_register,
    menu_entry_register,
    object_panel_register,
)
from portal.directory import dn_key, dn_parent, domain_controller_default
from portal.engine import CUSTOMER_ADMINISTRATORS, DOMAIN_ADMINS, ORG_CREATORS, Caller
from portal.navigation import object_url
from portal.pages import action_allowed, form_submit, read_call


def usage_panel(request, caller: Caller, _obj) -> dict:
    """Subscriptions in the caller's scope, fullest first."""
    usage = sorted(
        ((subscription, subscription_usage(subscription)) for subscription in subscription_list(caller)),
        key=lambda pair: -pair[1].mailboxes_percent,
    )[:10]
    stored = mail_stored_mb([subscription.dn for subscription, _ in usage])
    return {"usage": [(s, use, stored.get(s.dn_key)) for s, use in usage]}


def organization_panel(request, caller: Caller, org) -> dict | None:
    """The organization's e-mail service: subscribed or not, plan, SMTP domains, usage against
    limits, and whether the caller may subscribe it (customers of a reseller only)."""
    subscription = subscription_list(caller).filter(dn_key=dn_key(org.dn)).first()
    if subscription is None and org.organization_type != "Customer":
        return None
    panel: dict = {"subscription": subscription}
    if subscription is not None:
        usage = subscription_usage(subscription)
        panel["usage"] = usage
        panel["limits"] = [
            ("Mailboxes", usage.mailboxes_used, usage.mailboxes_limit, ""),
            ("Storage", usage.storage_used_mb, usage.storage_limit_mb, " MB"),
        ]
        panel["domains"] = list(
            smtp_domain_list(caller).filter(dn_key=dn_key(org.dn)).values_list("name", flat=True)
        )
        panel["url"] = reverse("email_service:organization") + "?" + urlencode({"organization": org.path})
        panel["mailboxes"], panel["lists"] = mail_recipients(org.dn)
        panel["mail_host"] = settings.MAIL
    else:
        parent = directory_object_at(caller, dn_parent(org.dn), kind="organization")
        panel["may_subscribe"] = (
            org.compliant
            and (parent is None or parent.organization_type == "Reseller")
            and action_allowed(
                caller,
                "Hosted Email 2007::Subscribe",
                {
                    "organization": org.path,
                    "organizationPlan": "sample",
                    "smtpDomain": "example.com",
                    "preferredDomainController": domain_controller_default(),
                },
            )
        )
    return panel


def _user_plan_state(caller: Caller, user) -> tuple[dict | None, dict | None, list[str]]:
    """The user's plan, its organization's plan and the user plan names that plan offers."""
    organization = directory_object_at(caller, dn_parent(user.dn), kind="organization")
    current = read_call(
        caller,
        "Hosted Email 2007::GetUserPlan",
        {"user": user.path, "preferredDomainController": domain_controller_default()},
    )
    user_plan = (current or {}).get("userPlan")
    plan = None
    if organization is not None:
        answer = read_call(
            caller,
            "Hosted Email 2007::GetOrganizationPlan",
            {"organization": organization.path, "preferredDomainController": domain_controller_default()},
        )
        plan = answer["organizationPlan"] if answer else None
    plan_names = [up["name"] for up in plan["userPlans"]["userPlan"]] if plan else []
    return user_plan, plan, plan_names


MAILBOX_ACTIONS = {
    "disable": (
        "DisableMailbox",
        "The mailbox of {name} is disabled: it receives nothing and refuses log-in.",
    ),
    "enable": ("EnableMailbox", "The mailbox of {name} is enabled again."),
    "delete": ("DeleteMailbox", "The mailbox of {name} is deleted."),
}


def _mailbox_state(caller: Caller, user) -> dict | None:
    """The user's mailbox as GetMailbox answers it (with usage in MB for the bar), or None."""
    answer = read_call(
        caller,
        "Hosted Email 2007::GetMailbox",
        {"user": user.path, "preferredDomainController": domain_controller_default()},
    )
    if answer is None:
        return None
    quota = int(answer["quotaKB"] or 0)
    used = int(answer["usedKB"]) if answer["usedKB"] else None
    return {
        **answer,
        "addresses": answer["emailAddresses"]["value"],
        "enabled": answer["enabled"] == "true",
        "quota_mb": round(quota / 1024, 1),
        "used_mb": None if used is None else round(used / 1024, 2),
    }


def _user_panel(
    caller: Caller, user, posted=None, *, refused: bool = False, create_posted=None
) -> tuple[dict, ModifyUserPlanForm]:
    user_plan, plan, plan_names = _user_plan_state(caller, user)
    may_change = refused or (
        bool(plan_names)
        and action_allowed(
            caller,
            "Hosted Email 2007::ModifyUserPlan",
            {
                "user": user.path,
                "userPlan": plan_names[0],
                "preferredDomainController": domain_controller_default(),
            },
        )
    )
    form = ModifyUserPlanForm(
        posted,
        initial={"user": user.path, "userPlan": user_plan["name"] if user_plan else ""},
        plan_names=plan_names,
    )
    mailbox = _mailbox_state(caller, user)
    may_manage = action_allowed(
        caller,
        "Hosted Email 2007::DisableMailbox",
        {"user": user.path, "preferredDomainController": domain_controller_default()},
    )
    create_form = None
    if mailbox is None and may_manage and plan_names:
        local = (user.entry.first("userPrincipalName") or "").partition("@")[0]
        create_form = CreateMailboxForm(
            create_posted,
            user_path=user.path,
            initial={"planName": user_plan["name"] if user_plan else "", "alias": local},
            plan_names=plan_names,
            prefix="mailbox",
        )
    context = {
        "user_plan": user_plan if plan else None,
        "plan": plan,
        "form": form if may_change else None,
        "mailbox": mailbox,
        "may_manage": may_manage and mailbox is not None,
        "create_form": create_form,
        "mail_host": settings.MAIL,
    }
    return context, form


def user_panel(request, caller: Caller, user) -> dict:
    """The user's e-mail plan and mailbox, with the actions the engine lets the caller take."""
    return _user_panel(caller, user)[0]


def _mailbox_post(request, caller: Caller, user):
    action = request.POST.get("mailbox_action", "")
    if action == "create":
        context, _ = _user_panel(caller, user, create_posted=request.POST)
        form = context["create_form"]
        if form is None:
            return context
        address = form.data.get("mailbox-emailAddresses", "").strip().split("\n")[0].strip()
        if form_submit(request, form, success=f"{user.name} has a mailbox at {address}.") is not None:
            return redirect(object_url(user.entry))
        return context
    if action not in MAILBOX_ACTIONS:
        return None
    procedure, done = MAILBOX_ACTIONS[action]
    form = MailboxActionForm({}, user_path=user.path)
    if action == "delete" and request.POST.get("confirm") != "yes":
        form.is_valid()
        form.add_error(None, "Tick the box to confirm that the mailbox is to be deleted.")
    elif (
        form_submit(
            request, form, procedure=f"Hosted Email 2007::{procedure}", success=done.format(name=user.name)
        )
        is not None
    ):
        return redirect(object_url(user.entry))
    context, _ = _user_panel(caller, user)
    context["action_errors"] = form.non_field_errors()
    return context


def user_panel_post(request, caller: Caller, user):
    """A change of the user's e-mail plan or mailbox posted on the user's page."""
    if "mailbox_action" in request.POST:
        return _mailbox_post(request, caller, user)
    if "userPlan" not in request.POST:
        return None
    context, form = _user_panel(caller, user, request.POST, refused=True)
    # the user is the page's, whatever the post says
    form.data = form.data.copy()
    form.data["user"] = user.path
    success = f"The e-mail plan of {user.name} is now {request.POST.get('userPlan', '')}."
    if form_submit(request, form, success=success) is not None:
        return redirect(object_url(user.entry))
    return context


def register() -> None:
    """Register the e-mail service's contributions (from ``EmailServiceConfig.ready``)."""
    counter_register(Counter("Subscriptions", lambda c: subscription_list(c).count(), 30))
    counter_register(
        Counter(
            "Mailboxes",
            lambda c: UserPlanAssignment.objects.filter(subscription__in=subscription_list(c)).count(),
            40,
        )
    )
    dashboard_panel_register(
        Panel("email-usage", "email_service/_dashboard_usage.html", usage_panel, order=20)
    )
    object_panel_register(
        "organization", Panel("email", "email_service/_organization_panel.html", organization_panel, order=20)
    )
    object_panel_register(
        "user", Panel("email", "email_service/_user_panel.html", user_panel, post=user_panel_post, order=20)
    )
    menu_entry_register(
        MenuEntry("E-mail plans", "email_service:plans", "email", lambda c, _s: c.has_role(DOMAIN_ADMINS), 40)
    )
    menu_entry_register(
        MenuEntry(
            "Subscriptions",
            "email_service:subscriptions",
            "email",
            lambda c, _s: c.has_role(ORG_CREATORS),
            41,
        )
    )
    menu_entry_register(
        MenuEntry(
            "E-mail service",
            "email_service:organization",
            "email",
            lambda c, _s: not c.has_role(ORG_CREATORS) and c.has_role(CUSTOMER_ADMINISTRATORS),
            42,
        )
    )
