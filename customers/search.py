"""Organizations and users in the search box: a substring of their names, inside the scope."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from portal.directory import default_gateway, dn_to_path, filter_escape
from portal.engine import Caller
from portal.search import MAX_HITS, SearchHit, search_provider


def _found(caller: Caller, ldap_filter: str) -> list:
    entries = default_gateway().search(caller.read_scope_dn, ldap_filter, limit=MAX_HITS * 3)
    return sorted((e for e in entries if caller.reads(e.dn)), key=lambda e: e.name.lower())[:MAX_HITS]


@search_provider("Organizations", order=10)
def organization_search(caller: Caller, text: str) -> list[SearchHit]:
    """Organizations whose name holds ``text``."""
    value = filter_escape(text)
    return [
        SearchHit(
            entry.name,
            f"{entry.organization_type} · {dn_to_path(entry.dn)}",
            reverse("customers:organization", args=[entry.guid]),
        )
        for entry in _found(caller, f"(&(objectClass=organizationalUnit)(ou=*{value}*))")
    ]


@search_provider("Users", order=20)
def user_search(caller: Caller, text: str) -> list[SearchHit]:
    """Users whose name, logon name, user principal name or mail holds ``text``."""
    value = filter_escape(text)
    found = _found(
        caller,
        f"(&(objectClass=inetOrgPerson)(|(cn=*{value}*)(uid=*{value}*)(userPrincipalName=*{value}*)(mail=*{value}*)))",
    )
    hits = []
    for entry in found:
        try:
            url = reverse("customers:user", args=[entry.guid])
        except NoReverseMatch:  # no page of its own: the list of users
            url = reverse("customers:users")
        hits.append(
            SearchHit(entry.first("displayName") or entry.name, entry.first("userPrincipalName") or "", url)
        )
    return hits
