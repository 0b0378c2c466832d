"""Organization pages: the list, one organization with its panels, create, enable, delete."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from customers.forms import DeleteOrganizationForm, OrganizationForm, PathForm
from customers.views.common import deletable_users, object_require, page_of
from hosting.selectors import (
    DirectoryObject,
    organization_list,
    user_list,
)
from portal.contributions import object_panels
from portal.directory import domain_controller_default
from portal.engine import DOMAIN_ADMINS, ORG_CREATORS, Caller
from portal.navigation import tree_crumbs
from portal.pages import action_allowed, caller_of, form_submit
from portal.selectors import audit_history


@login_required
def organization_list_page(request: HttpRequest) -> HttpResponse:
    """The organizations the caller reaches, filtered by name, a page at a time."""
    caller = caller_of(request)
    query = request.GET.get("q", "").strip()
    organizations = organization_list(caller)
    if query:
        organizations = [org for org in organizations if query.lower() in org.name.lower()]
    return render(
        request,
        "customers/organization_list.html",
        {"page": page_of(request, organizations), "q": query, "can_create": caller.has_role(ORG_CREATORS)},
    )


def _parents(caller: Caller) -> list[tuple[str, str]]:
    """Where the caller may create organizations: resellers in its scope (and, for DomainAdmins,
    the hosting root, which makes a reseller)."""
    choices = []
    for org in organization_list(caller):
        if org.organization_type == "Hosting" and caller.has_role(DOMAIN_ADMINS):
            choices.append((org.path, f"{org.name} (a new reseller)"))
        elif org.organization_type == "Reseller" and org.compliant:
            choices.append((org.path, f"{org.name} (a new customer)"))
    return choices


@login_required
@require_http_methods(["GET", "POST"])
def organization_create_page(request: HttpRequest) -> HttpResponse:
    """Create a customer organization (registered in the Plans database) or, for DomainAdmins,
    a reseller."""
    caller = caller_of(request)
    parents = _parents(caller)
    form = OrganizationForm(
        request.POST or None,
        parents=parents,
        resellers_in=[path for path, label in parents if label.endswith("(a new reseller)")],
        initial={"parent": request.GET.get("parent", "")},
    )
    if request.method == "POST":
        result = form_submit(request, form)
        if result is not None:
            return redirect("customers:organization", guid=result["GUID"].strip("{}"))
    return render(request, "customers/organization_form.html", {"form": form, "no_parent": not parents})


# Complete calls that stand for an action when the pages ask the engine whether a caller may do
# it (``action_allowed``); the values only have to be valid, nothing runs.
SAMPLE_USER = {"name": "sample", "userPrincipalName": "sample@example.com", "password": "sample"}


def _organization_actions(caller: Caller, org: DirectoryObject) -> dict[str, bool]:
    """Which of the organization page's actions the engine would let ``caller`` start."""
    dc = {"preferredDomainController": domain_controller_default()}
    kind = org.organization_type
    return {
        "enable": not org.compliant
        and action_allowed(caller, "MPS Import::EnableOrganizationForHosting", {"path": org.path, **dc}),
        "create_user": org.compliant
        and kind != "Hosting"
        and action_allowed(
            caller, "HostedExchange::CreateBusinessUser", {"organization": org.path, **SAMPLE_USER, **dc}
        ),
        "create_customer": org.compliant
        and kind == "Reseller"
        and action_allowed(
            caller,
            "HostedExchange::CreateBusinessOrganization",
            {"parentPath": org.path, "name": "sample", **dc},
        ),
        "create_reseller": kind == "Hosting"
        and action_allowed(
            caller,
            "Managed Active Directory::CreateOrganization",
            {"parentPath": org.path, "name": "sample", "type": "Reseller", **dc},
        ),
        "delete": kind != "Hosting"
        and action_allowed(caller, "Managed Active Directory::DeleteOrganization", {"path": org.path, **dc}),
    }


@login_required
def organization_page(request: HttpRequest, guid: uuid.UUID) -> HttpResponse:
    """One organization: what it is, what the caller may do to it, its e-mail service and billing,
    its organizations and users (filtered, paged), and its history."""
    caller = caller_of(request)
    org = object_require(caller, guid, "organization")
    query = request.GET.get("q", "").strip()
    users = user_list(caller, parent=org.path)
    if query:
        users = [user for user in users if query.lower() in user.name.lower()]
    children = organization_list(caller, parent=org.path)
    page = page_of(request, users)
    return render(
        request,
        "customers/organization_detail.html",
        {
            "org": org,
            "children": children,
            "page": page,
            "deletable": deletable_users(caller, page),
            "q": query,
            "actions": _organization_actions(caller, org),
            "create_url": reverse("customers:organization_create") + "?" + urlencode({"parent": org.path}),
            "panels": object_panels(request, caller, "organization", org),
            "crumbs": tree_crumbs(caller, org.dn),
            "history": audit_history(dn=org.dn, reads=False),
        },
    )


@login_required
@require_http_methods(["POST"])
def organization_enable_page(request: HttpRequest, guid: uuid.UUID) -> HttpResponse:
    """Make an existing OU a compliant organization (MPS Import::EnableOrganizationForHosting)."""
    caller = caller_of(request)
    org = object_require(caller, guid, "organization")
    form = PathForm(
        request.POST,
        procedure="MPS Import::EnableOrganizationForHosting",
        data={"path": org.path},
        success=f"{org.name} is now an organization of the hosting tree.",
    )
    if form_submit(request, form) is None:
        for error in form.non_field_errors():
            messages.error(request, error)
    return redirect("customers:organization", guid=guid)


@login_required
@require_http_methods(["GET", "POST"])
def organization_delete_page(request: HttpRequest, guid: uuid.UUID) -> HttpResponse:
    """Ask, then delete an organization (with what it holds when asked to)."""
    caller = caller_of(request)
    org = object_require(caller, guid, "organization")
    form = DeleteOrganizationForm(request.POST if request.method == "POST" else None, path=org.path)
    deleted = f"The organization {org.name} was deleted."
    if request.method == "POST" and form_submit(request, form, success=deleted) is not None:
        return redirect("customers:organizations")
    return render(
        request, "customers/confirm_delete.html", {"object": org, "form": form, "what": "organization"}
    )
