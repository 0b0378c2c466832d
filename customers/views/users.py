"""User pages: the list, one user with its panels, create, administrators, delete."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from customers.forms import PathForm, UserForm
from customers.selectors import administrators_group
from customers.views.common import deletable_users, object_require, page_of
from hosting.selectors import (
    directory_object_at,
    user_list,
)
from portal.contributions import object_panels, object_panels_post
from portal.directory import dn_key, dn_parent, dn_rdn_value, dn_to_path, domain_controller_default
from portal.engine import Caller
from portal.navigation import tree_crumbs
from portal.pages import action_allowed, caller_of, confirmation_needed, form_submit
from portal.selectors import audit_history


@login_required
@require_http_methods(["GET", "POST"])
def user_create_page(request: HttpRequest, guid: uuid.UUID) -> HttpResponse:
    """Create a user in one organization."""
    caller = caller_of(request)
    org = object_require(caller, guid, "organization")
    form = UserForm(request.POST or None, organization=org.path, initial={"customerTypeName": "BusinessUser"})
    if request.method == "POST" and form_submit(request, form) is not None:
        return redirect("customers:organization", guid=guid)
    return render(request, "customers/user_form.html", {"form": form, "org": org})


@login_required
def user_list_page(request: HttpRequest) -> HttpResponse:
    """The users the caller reaches, filtered by name, a page at a time."""
    caller = caller_of(request)
    query = request.GET.get("q", "").strip()
    users = user_list(caller)
    if query:
        users = [user for user in users if query.lower() in user.name.lower()]
    page = page_of(request, users)
    return render(
        request,
        "customers/user_list.html",
        {"page": page, "q": query, "deletable": deletable_users(caller, page)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_page(request: HttpRequest, guid: uuid.UUID) -> HttpResponse:
    """One user: its details, its e-mail plan (changed here by those who may), what else the
    caller may do to it, and its history."""
    caller = caller_of(request)
    user = object_require(caller, guid, "user")
    organization = directory_object_at(caller, dn_parent(user.dn), kind="organization")
    posted = request.method == "POST"
    if posted:
        response, panels = object_panels_post(request, caller, "user", user)
        if response is not None:
            return response
    else:
        panels = object_panels(request, caller, "user", user)
    return render(
        request,
        "customers/user_detail.html",
        {
            "user": user,
            "organization": organization,
            "panels": panels,
            "may_delete": action_allowed(
                caller,
                "Managed Active Directory::DeleteUser",
                {"path": user.path, "preferredDomainController": domain_controller_default()},
            ),
            "administrator": _administrator(caller, user, organization),
            "crumbs": tree_crumbs(caller, user.dn),
            "history": audit_history(dn=user.dn, reads=False),
        },
        status=400 if posted else 200,
    )


def _administrator(caller: Caller, user, organization) -> dict | None:
    """Whether the user administers its organization, and whether the caller may change that."""
    group = administrators_group(organization) if organization is not None else None
    if group is None:
        return None
    group_dn, members = group
    is_member = any(dn_key(member) == dn_key(user.dn) for member in members)
    procedure, member_arg = (
        ("Managed Active Directory::GroupRemove", "member")
        if is_member
        else ("Managed Active Directory::GroupAdd", "newMember")
    )
    data = {
        "group": dn_to_path(group_dn),
        member_arg: user.path,
        "preferredDomainController": domain_controller_default(),
    }
    return {
        "role": dn_rdn_value(group_dn),
        "organization": organization.name,
        "is_member": is_member,
        "may_change": action_allowed(caller, procedure, data),
    }


@login_required
@require_http_methods(["POST"])
def user_administrator_page(request: HttpRequest, guid: uuid.UUID) -> HttpResponse:
    """Make a user an administrator of its organization (``GroupAdd``), or, once confirmed, no
    longer one (``GroupRemove``); the engine's refusal comes back as a message on the user's page."""
    caller = caller_of(request)
    user = object_require(caller, guid, "user")
    organization = directory_object_at(caller, dn_parent(user.dn), kind="organization")
    group = administrators_group(organization) if organization is not None else None
    if group is None:
        raise Http404("This user's organization has no administrators group.")
    group_path = dn_to_path(group[0])
    role = dn_rdn_value(group[0])
    if request.POST.get("action") == "remove":
        ask = confirmation_needed(
            request,
            title=f"Take {user.name} out of {role}?",
            message=f"{user.name} will no longer be an administrator of {organization.name}; "
            "the change applies at its next login.",
            confirm_label="Yes, take it out",
            cancel_url=reverse("customers:user", kwargs={"guid": guid}),
        )
        if ask is not None:
            return ask
        form = PathForm(
            request.POST,
            procedure="Managed Active Directory::GroupRemove",
            data={"group": group_path, "member": user.path},
            success=f"{user.name} is no longer an administrator of {organization.name}.",
        )
    else:
        form = PathForm(
            request.POST,
            procedure="Managed Active Directory::GroupAdd",
            data={"group": group_path, "newMember": user.path},
            success=f"{user.name} is now an administrator of {organization.name} ({role}).",
        )
    form_submit(request, form)
    for error in form.non_field_errors():  # a form without fields: every refusal lands here
        messages.error(request, error)
    return redirect("customers:user", guid=guid)


@login_required
@require_http_methods(["GET", "POST"])
def user_delete_page(request: HttpRequest, guid: uuid.UUID) -> HttpResponse:
    """Ask, then delete a user."""
    caller = caller_of(request)
    user = object_require(caller, guid, "user")
    form = PathForm(
        request.POST if request.method == "POST" else None,
        procedure="Managed Active Directory::DeleteUser",
        data={"path": user.path},
        success=f"The user {user.name} was deleted.",
    )
    if request.method == "POST" and form_submit(request, form) is not None:
        return redirect("customers:users")
    return render(request, "customers/confirm_delete.html", {"object": user, "form": form, "what": "user"})
