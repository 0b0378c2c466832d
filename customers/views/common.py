"""What the provisioning pages share: paging, the lookup of an object in scope, the domain
controller they use."""

from __future__ import annotations

import uuid

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest

from hosting.selectors import (
    DirectoryObject,
    directory_object_get,
)
from portal.directory import domain_controller_default
from portal.engine import Caller
from portal.pages import action_allowed

PAGE_SIZE = 25


def page_of(request: HttpRequest, objects: list):
    return Paginator(objects, PAGE_SIZE).get_page(request.GET.get("page"))


def deletable_users(caller: Caller, page) -> set[str]:
    """The GUIDs of the users on ``page`` that the engine would let ``caller`` delete: the user
    lists offer *Delete* for those only (never, for instance, for the caller itself)."""
    return {
        user.guid
        for user in page.object_list
        if action_allowed(
            caller,
            "Managed Active Directory::DeleteUser",
            {"path": user.path, "preferredDomainController": domain_controller_default()},
        )
    }


def object_require(caller: Caller, guid: uuid.UUID, kind: str) -> DirectoryObject:
    found = directory_object_get(caller, guid, kind=kind)
    if found is None:
        raise Http404(f"No {kind} with that GUID in your scope.")
    return found
