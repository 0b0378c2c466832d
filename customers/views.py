"""Provisioning pages: organizations and users inside the caller's scope.

A door like the others: reads come from the scoped selectors, every change is one procedure run
through ``portal.pages.form_run``; the engine decides what the caller may do.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from customers.bulk import import_file_check
from customers.forms import DeleteOrganizationForm, ImportForm, OrganizationForm, UserForm
from customers.jobs import uploads_dir
from hosting.selectors import (
    DirectoryObject,
    administrators_group,
    directory_object_at,
    directory_object_get,
    organization_list,
    user_list,
)
from portal.contributions import object_panels, object_panels_post
from portal.directory import dn_key, dn_parent, dn_rdn_value, dn_to_path
from portal.engine import DOMAIN_ADMINS, ORG_CREATORS, Caller
from portal.errors import PortalError
from portal.jobs import job_start
from portal.navigation import tree_crumbs
from portal.pages import action_allowed, caller_of, confirmation_needed, form_run
from portal.selectors import audit_history

PAGE_SIZE = 25


def _dc() -> str:
    return next(iter(settings.DIRECTORY["DOMAIN_CONTROLLERS"]))


def _page(request: HttpRequest, objects: list):
    return Paginator(objects, PAGE_SIZE).get_page(request.GET.get("page"))


def _deletable(caller: Caller, page) -> set[str]:
    """The GUIDs of the users on ``page`` that the engine would let ``caller`` delete: the user
    lists offer *Delete* for those only (never, for instance, for the caller itself)."""
    return {
        user.guid
        for user in page.object_list
        if action_allowed(
            caller,
            "Managed Active Directory::DeleteUser",
            {"path": user.path, "preferredDomainController": _dc()},
        )
    }


def _object(caller: Caller, guid: uuid.UUID, kind: str) -> DirectoryObject:
    found = directory_object_get(caller, guid, kind=kind)
    if found is None:
        raise Http404(f"No {kind} with that GUID in your scope.")
    return found


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
        {"page": _page(request, organizations), "q": query, "can_create": caller.has_role(ORG_CREATORS)},
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
        request.POST or None, parents=parents, initial={"parent": request.GET.get("parent", "")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        hosting = [path for path, label in parents if label.endswith("(a new reseller)")]
        args = {
            "parentPath": data["parent"],
            "name": data["name"],
            "description": data["description"],
            "preferredDomainController": _dc(),
        }
        if data["parent"] in hosting:
            procedure = "Managed Active Directory::CreateOrganization"
            args["type"] = "Reseller"
        else:
            procedure = "HostedExchange::CreateBusinessOrganization"
        result = form_run(request, form, procedure, args, field_map={"parentPath": "parent"})
        if result is not None:
            messages.success(request, f"The organization {data['name']} was created.")
            return redirect("customers:organization", guid=result["GUID"].strip("{}"))
    return render(request, "customers/organization_form.html", {"form": form, "no_parent": not parents})


# Complete calls that stand for an action when the pages ask the engine whether a caller may do
# it (``action_allowed``); the values only have to be valid, nothing runs.
SAMPLE_USER = {"name": "sample", "userPrincipalName": "sample@example.com", "password": "sample"}


def _organization_actions(caller: Caller, org: DirectoryObject) -> dict[str, bool]:
    """Which of the organization page's actions the engine would let ``caller`` start."""
    dc = {"preferredDomainController": _dc()}
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
    org = _object(caller, guid, "organization")
    query = request.GET.get("q", "").strip()
    users = user_list(caller, parent=org.path)
    if query:
        users = [user for user in users if query.lower() in user.name.lower()]
    children = organization_list(caller, parent=org.path)
    page = _page(request, users)
    return render(
        request,
        "customers/organization_detail.html",
        {
            "org": org,
            "children": children,
            "page": page,
            "deletable": _deletable(caller, page),
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
    org = _object(caller, guid, "organization")
    form = DeleteOrganizationForm()
    if form_run(
        request,
        form,
        "MPS Import::EnableOrganizationForHosting",
        {"path": org.path, "preferredDomainController": _dc()},
    ):
        messages.success(request, f"{org.name} is now an organization of the hosting tree.")
    else:
        for error in form.non_field_errors():
            messages.error(request, error)
    return redirect("customers:organization", guid=guid)


@login_required
@require_http_methods(["GET", "POST"])
def organization_delete_page(request: HttpRequest, guid: uuid.UUID) -> HttpResponse:
    """Ask, then delete an organization (with what it holds when asked to)."""
    caller = caller_of(request)
    org = _object(caller, guid, "organization")
    form = DeleteOrganizationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        result = form_run(
            request,
            form,
            "Managed Active Directory::DeleteOrganization",
            {
                "path": org.path,
                "recursive": "1" if form.cleaned_data["recursive"] else "0",
                "preferredDomainController": _dc(),
            },
        )
        if result is not None:
            messages.success(request, f"The organization {org.name} was deleted.")
            return redirect("customers:organizations")
    return render(
        request, "customers/confirm_delete.html", {"object": org, "form": form, "what": "organization"}
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_create_page(request: HttpRequest, guid: uuid.UUID) -> HttpResponse:
    """Create a user in one organization."""
    caller = caller_of(request)
    org = _object(caller, guid, "organization")
    form = UserForm(request.POST or None, initial={"customerTypeName": "BusinessUser"})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        kind = data.pop("customerTypeName")
        procedure = {
            "BusinessUser": "HostedExchange::CreateBusinessUser",
            "ConsumerUser": "HostedExchange::CreateConsumerUser",
        }.get(kind, "Managed Active Directory::CreateUser")
        args = {key: value for key, value in data.items() if value}
        args.update(organization=org.path, preferredDomainController=_dc())
        result = form_run(request, form, procedure, args, field_map={"organization": None})
        if result is not None:
            messages.success(request, f"The user {data['name']} was created.")
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
    page = _page(request, users)
    return render(
        request, "customers/user_list.html", {"page": page, "q": query, "deletable": _deletable(caller, page)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_page(request: HttpRequest, guid: uuid.UUID) -> HttpResponse:
    """One user: its details, its e-mail plan (changed here by those who may), what else the
    caller may do to it, and its history."""
    caller = caller_of(request)
    user = _object(caller, guid, "user")
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
                {"path": user.path, "preferredDomainController": _dc()},
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
    data = {"group": dn_to_path(group_dn), member_arg: user.path, "preferredDomainController": _dc()}
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
    user = _object(caller, guid, "user")
    organization = directory_object_at(caller, dn_parent(user.dn), kind="organization")
    group = administrators_group(organization) if organization is not None else None
    if group is None:
        raise Http404("This user's organization has no administrators group.")
    group_path = dn_to_path(group[0])
    role = dn_rdn_value(group[0])
    form = forms.Form(request.POST)
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
        data = {"group": group_path, "member": user.path, "preferredDomainController": _dc()}
        if form_run(request, form, "Managed Active Directory::GroupRemove", data) is not None:
            messages.success(request, f"{user.name} is no longer an administrator of {organization.name}.")
    else:
        data = {"group": group_path, "newMember": user.path, "preferredDomainController": _dc()}
        if form_run(request, form, "Managed Active Directory::GroupAdd", data) is not None:
            messages.success(request, f"{user.name} is now an administrator of {organization.name} ({role}).")
    for error in form.non_field_errors():  # a form without fields: every refusal lands here
        messages.error(request, error)
    return redirect("customers:user", guid=guid)


@login_required
@require_http_methods(["GET", "POST"])
def user_delete_page(request: HttpRequest, guid: uuid.UUID) -> HttpResponse:
    """Ask, then delete a user."""
    caller = caller_of(request)
    user = _object(caller, guid, "user")
    form = DeleteOrganizationForm(request.POST if request.method == "POST" else None)
    form.fields.pop("recursive")
    if request.method == "POST" and form.is_valid():
        result = form_run(
            request,
            form,
            "Managed Active Directory::DeleteUser",
            {"path": user.path, "preferredDomainController": _dc()},
        )
        if result is not None:
            messages.success(request, f"The user {user.name} was deleted.")
            return redirect("customers:users")
    return render(request, "customers/confirm_delete.html", {"object": user, "form": form, "what": "user"})


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a CSV or LDIF file of users; the import runs as a background job whose page shows
    its progress live and then each row's result (downloadable as CSV)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            import_file_check(upload.file, upload.name)
        except PortalError as err:
            form.add_error("file", err.text)
        else:
            stored = uploads_dir() / f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()[:8]}"
            with open(stored, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            job = job_start(
                "users-import",
                user=request.user,
                params={"path": str(stored), "name": upload.name},
                title=f"Import of {upload.name}",
            )
            return redirect("job", job.pk)
    return render(request, "customers/import_form.html", {"form": form})
