"""Who a caller is now: every request re-establishes the account's state and roles.

A page session or a remembered machine-door credential names a portal account; the account mirrors
a directory entry and its role groups. Two things keep that mirror current:

- the engine's user and group procedures change the account in the same transaction as the
  directory (``DeleteUser`` deactivates it, the group procedures call :func:`account_roles_set`),
  so a deleted, disabled or demoted user loses its rights at its next request;
- every request checks the account (:func:`account_current`): an inactive account is refused at
  once, and at most every ``PORTAL_ACCOUNT_RECHECK_SECONDS`` the entry and its groups are read
  again from the directory (one search for the entry, one for its groups), so changes made
  elsewhere (another tool, a directory administrator) are seen within seconds too. Requests of
  one account that find the re-read due together in one process wait for a single re-read.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.contrib.auth import get_backends, get_user_model
from django.contrib.auth.models import Group

from portal.directory import dn_key
from portal.kept import KeptHere

log = logging.getLogger(__name__)

# Roles mirrored from directory groups (django-auth-ldap's AUTH_LDAP_MIRROR_GROUPS).
MIRRORED_ROLES = ("DomainAdmins", "OrgCreators", "CustomerAdministrators")


def _checked_key(user_id: int) -> str:
    return f"portal:account-checked:{user_id}"


# When each account was last read from the directory, kept by each process until the check's
# interval ends (``portal/kept.py``).
_checks = KeptHere()


def _checked_get(user_id: int) -> bool | None:
    return _checks.get(_checked_key(user_id))


# One re-read of an account at a time in a process: the threads that find the same account's check
# due together wait for the one reading the directory and take its answer (a busy integration's
# threads would otherwise all read the entry and its groups again at the same moment).
_turns = tuple(threading.Lock() for _ in range(64))


def account_recheck_due(user_id: int) -> None:
    """Make the next request of the account read its directory entry again (in this process at
    once; in the others when what they keep of the last check ends, within
    ``PORTAL_ACCOUNT_RECHECK_SECONDS``: the account's roles in the database, which every request
    reads, change at once everywhere)."""
    _checks.forget(_checked_key(user_id))


def account_checks_forget_all() -> None:
    """Forget what this process kept of the last checks (the shared cache was cleared)."""
    _checks.clear()


def account_checked(user_id: int) -> None:
    """The account was just read from the directory (a login): no re-read for a while."""
    seconds = settings.PORTAL_ACCOUNT_RECHECK_SECONDS
    if seconds > 0:
        _checks.set(_checked_key(user_id), True, seconds)


def _users_of(dns: list[str]):
    """Active accounts whose directory entry is one of ``dns`` (letter case ignored)."""
    keys = {dn_key(dn) for dn in dns}
    users = get_user_model().objects.filter(is_active=True).exclude(directory_dn="")
    if len(dns) == 1:
        users = users.filter(directory_dn__iexact=dns[0])
    return [user for user in users.only("pk", "directory_dn") if dn_key(user.directory_dn) in keys]


def account_roles_set(dn: str, role: str, *, held: bool) -> None:
    """Give or take the role group ``role`` of the account of the entry ``dn`` (a group
    procedure changed the directory group of that name); seen by the account's next request."""
    if role not in MIRRORED_ROLES:
        return
    group, _ = Group.objects.get_or_create(name=role)
    for user in _users_of([dn]):
        if held:
            user.groups.add(group)
        else:
            user.groups.remove(group)
        if role == "DomainAdmins":
            get_user_model().objects.filter(pk=user.pk).update(is_staff=held, is_superuser=held)
        account_recheck_due(user.pk)


def _refresh_from_directory(user) -> bool:
    """Read the account's entry and groups again (django-auth-ldap's ``populate_user``, without
    a password, which mirrors them as a login does). Whether it may go on."""
    from portal.errors import PortalError

    # the directory login backend (django-auth-ldap's), as the settings configure it
    backend = next((found for found in get_backends() if hasattr(found, "populate_user")), None)
    if backend is None:
        return True
    try:
        refreshed = backend.populate_user(user.get_username())
    except PortalError:
        return True  # the directory is unreachable: keep what the portal knew a moment ago
    except Exception:  # ldap errors surface from django-auth-ldap; same reasoning
        log.warning("re-reading the account %s from the directory failed", user.get_username(), exc_info=True)
        return True
    # An entry that is gone (or a user django-auth-ldap made inactive) may not go on; the account
    # is not changed here (no state changes outside the engine): every later check finds the same.
    return refreshed is not None and refreshed.is_active


def account_current(user) -> bool:
    """Whether the account may go on using its session or remembered credential now.

    An inactive account may not. A directory account is read again from the directory when its
    last check is older than ``PORTAL_ACCOUNT_RECHECK_SECONDS`` (the check is remembered in the
    shared cache, so a busy session costs one directory read per interval, not per request).
    """
    return account_check(user)[0]


def account_check_known(user_id: int, directory_dn: str) -> bool | None:
    """What :func:`account_check` answers for an active account when no directory read is due
    (no account instance needed); None when one is."""
    if not directory_dn or settings.PORTAL_ACCOUNT_RECHECK_SECONDS <= 0:
        return True
    return _checked_get(user_id)


def account_check(user) -> tuple[bool, bool]:
    """:func:`account_current`, and whether the account was read again from the directory just
    now (its roles in the database may have changed)."""
    if user is None or not user.is_active:
        return False, False
    if not getattr(user, "directory_dn", ""):
        return True, False
    seconds = settings.PORTAL_ACCOUNT_RECHECK_SECONDS
    if seconds <= 0:
        return True, False
    known = _checked_get(user.pk)
    if known is not None:
        return known, False
    with _turns[user.pk % len(_turns)]:
        known = _checked_get(user.pk)
        if known is not None:  # another thread read the directory while this one waited
            return known, True
        current = _refresh_from_directory(user)
        _checks.set(_checked_key(user.pk), current, seconds)
    return current, True
