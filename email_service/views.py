"""Pages of the hosted e-mail service: the provider's plans, a reseller's subscriptions, and a
customer's own service (its plan, usage against limits, and its users' plans).

Each page is a door: it reads through scoped selectors or read procedures, and every change is
one procedure run by the engine (``portal.pages.form_run``), whose refusal is shown beside the
field it names or at the top of the form. Forms appear to the callers who may use them; the engine
decides whether a call is allowed.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from email_service.forms import (
    AvailablePlanForm,
    ModifyUserPlanForm,
    OrganizationPlanForm,
    SubscribeForm,
    UnsubscribeForm,
    UserPlanForm,
)
from email_service.selectors import (
    available_plan_list,
    organization_plan_list,
    subscription_list,
    subscription_usage,
)
from hosting.models import CustomerType
from hosting.selectors import customer_record_list
from portal.directory import dn_key, dn_to_path, domain_controller_default, path_to_dn
from portal.engine import DOMAIN_ADMINS, ORG_CREATORS, Batch
from portal.errors import PortalError
from portal.navigation import Crumb, tree_crumbs
from portal.pages import caller_of, confirmation_needed, form_submit

NS = "Hosted Email 2007"


def _organizations(request: HttpRequest, *types: str) -> list[tuple[str, str]]:
    records = customer_record_list(caller_of(request)).filter(customer_type__in=types)
    return [(record.dn, record.name) for record in records]


def _availability(request: HttpRequest) -> list[tuple[str, list[str]]]:
    """Each organization in the caller's scope with the plans available to it."""
    grouped: dict[str, tuple[str, list[str]]] = {}
    for row in available_plan_list(caller_of(request)):
        grouped.setdefault(row.dn_key, (row.path, []))[1].append(row.organization_plan.name)
    return [grouped[key] for key in sorted(grouped)]


@login_required
def plans_page(request: HttpRequest) -> HttpResponse:
    """The organization plans and user plans; DomainAdmins define plans and make them available
    to resellers (and customers) here."""
    caller = caller_of(request)
    plans = list(organization_plan_list(caller))
    names = [plan.name for plan in plans]
    organizations = _organizations(
        request, CustomerType.RESELLER_ORGANIZATION, CustomerType.BUSINESS_ORGANIZATION
    )
    post = request.POST if request.method == "POST" else None
    action = request.POST.get("action") if post else None
    plan_form = OrganizationPlanForm(post if action == "plan" else None, prefix="plan")
    user_plan_form = UserPlanForm(
        post if action == "user-plan" else None, prefix="user-plan", plan_names=names
    )
    available_form = AvailablePlanForm(
        post if action == "available" else None,
        prefix="available",
        organizations=organizations,
        plan_names=names,
    )
    done = False
    if action == "plan":
        done = form_submit(request, plan_form) is not None
    elif action == "user-plan":
        done = form_submit(request, user_plan_form) is not None
    elif action == "available":
        done = form_submit(request, available_form, success="The plan was made available.") is not None
    if done:
        return redirect("email_service:plans")
    return render(
        request,
        "email_service/plans.html",
        {
            "plans": plans,
            "availability": _availability(request),
            "plan_form": plan_form,
            "user_plan_form": user_plan_form,
            "available_form": available_form,
            "may_define": caller.has_role(DOMAIN_ADMINS),
        },
        status=400 if post and not done else 200,
    )


@login_required
def subscriptions_page(request: HttpRequest) -> HttpResponse:
    """A reseller's customers: their subscriptions with usage against limits, the plans passed on
    to each, and forms to pass plans on, subscribe and unsubscribe."""
    caller = caller_of(request)
    names = [plan.name for plan in organization_plan_list(caller)]
    customers = _organizations(request, CustomerType.BUSINESS_ORGANIZATION)
    post = request.POST if request.method == "POST" else None
    action = request.POST.get("action") if post else None
    pass_on = AvailablePlanForm(
        post if action in ("plan-add", "plan-remove") else None,
        prefix="available",
        organizations=customers,
        plan_names=names,
    )
    subscribe = SubscribeForm(
        post if action == "subscribe" else None, prefix="subscribe", organizations=customers, plan_names=names
    )
    unsubscribe = UnsubscribeForm(post if action == "unsubscribe" else None, prefix="unsubscribe")
    done = False
    if action in ("plan-add", "plan-remove"):
        adding = action == "plan-add"
        done = (
            form_submit(
                request,
                pass_on,
                procedure=f"{NS}::AddAvailablePlans" if adding else f"{NS}::RemoveAvailablePlans",
                success="The plan was passed on." if adding else "The plan was taken back.",
            )
            is not None
        )
    elif action == "subscribe":
        done = form_submit(request, subscribe) is not None
    elif action == "unsubscribe":
        if unsubscribe.is_valid():
            ask = confirmation_needed(
                request,
                title="Unsubscribe from the e-mail service?",
                message=f"{dn_to_path(unsubscribe.cleaned_data['organization'])} will lose its subscription, "
                "its SMTP domains and its users' mailbox plans.",
                confirm_label="Yes, unsubscribe",
                cancel_url=reverse("email_service:subscriptions"),
            )
            if ask is not None:
                return ask
        done = form_submit(request, unsubscribe) is not None
    if done:
        return redirect("email_service:subscriptions")
    rows = [
        {
            "subscription": subscription,
            "usage": subscription_usage(subscription),
            "domains": [domain.name for domain in subscription.customer_record.smtp_domains.all()],
            "page": reverse("email_service:organization")
            + "?"
            + urlencode({"organization": subscription.dn}),
        }
        for subscription in subscription_list(caller)
    ]
    return render(
        request,
        "email_service/subscriptions.html",
        {
            "rows": rows,
            "availability": _availability(request),
            "pass_on": pass_on,
            "subscribe": subscribe,
            "unsubscribe": unsubscribe,
            "may_manage": caller.has_role(ORG_CREATORS),
        },
        status=400 if post and not done else 200,
    )


def _crumbs(caller, organization: str) -> list[Crumb]:
    """The hosting tree down to the organization, then its e-mail service."""
    here = Crumb("E-mail service")
    try:
        dn = path_to_dn(organization)
    except PortalError:
        return [Crumb("Home", reverse("home")), here]
    return tree_crumbs(caller, dn, extra=[here])


def _same_path(left: str, right: str) -> bool:
    try:
        return dn_key(path_to_dn(left)) == dn_key(path_to_dn(right))
    except PortalError:
        return False


@login_required
def organization_page(request: HttpRequest) -> HttpResponse:
    """One organization's service (the caller's own unless ``?organization=`` names another in
    its scope): the plan, usage against each limit, and its users' plans, which its
    administrators change here."""
    caller = caller_of(request)
    organization = request.GET.get("organization") or caller.scope_dn or ""
    failed: ModifyUserPlanForm | None = None
    if request.method == "POST":
        failed = ModifyUserPlanForm(request.POST, plan_names=[request.POST.get("userPlan", "")])
        if form_submit(request, failed) is not None:
            return redirect(request.get_full_path())
    read = {"organization": organization, "preferredDomainController": domain_controller_default()}
    try:
        with Batch(caller, "page") as batch:
            info = batch.call(f"{NS}::GetServiceInformation", read)
            plan = batch.call(f"{NS}::GetOrganizationPlan", read)["organizationPlan"]
            users = batch.call(f"{NS}::GetUserPlanAssignment", read)["users"]["user"]
    except PortalError as err:
        return render(
            request,
            "email_service/organization.html",
            {
                "error": err.text,
                "organization": dn_to_path(organization) if organization else "",
                "crumbs": [Crumb("Home", reverse("home")), Crumb("E-mail service")],
            },
            status=err.status,
        )
    plan_names = [user_plan["name"] for user_plan in plan["userPlans"]["userPlan"]]
    rows = []
    for number, user in enumerate(users):
        auto_id = f"user-{number}-%s"
        form = ModifyUserPlanForm(
            initial={"user": user["path"], "userPlan": user["userPlan"]},
            plan_names=plan_names,
            auto_id=auto_id,
        )
        if failed is not None and _same_path(failed.data.get("user", ""), user["path"]):
            # the refused form, with the engine's text beside its field and every plan to choose
            failed.auto_id = auto_id
            failed.fields["userPlan"].choices = form.fields["userPlan"].choices
            form, failed = failed, None
        rows.append(
            {"user": user, "form": form, "url": reverse("customers:user", args=[user["GUID"].strip("{}")])}
        )
    usage = info["usage"]
    return render(
        request,
        "email_service/organization.html",
        {
            "organization": read["organization"],
            "info": info,
            "plan": plan,
            "rows": rows,
            "unplaced": failed,
            "crumbs": _crumbs(caller, read["organization"]),
            "limits": [
                ("Mailboxes", usage["mailboxes"]["used"], usage["mailboxes"]["limit"], ""),
                ("Storage", usage["storageMB"]["used"], usage["storageMB"]["limit"], " MB"),
            ],
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The e-mail service's pages."""
    return render(request, "email_service/index.html")
