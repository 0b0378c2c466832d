"""Login through the directory (django-auth-ldap) and HTTP Basic credentials for machine doors."""

from __future__ import annotations

import base64
import binascii
import hmac

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections
from django_auth_ldap.backend import LDAPBackend, ldap_error
from rest_framework import authentication, exceptions

from portal.accounts import account_check, account_check_known, account_checked, account_current
from portal.directory import default_gateway
from portal.directory.logins import login_error
from portal.engine.security import Caller
from portal.errors import PortalError, TooManyAttempts
from portal.kept import KeptHere
from portal.throttle import (
    LOCKED_TEXT,
    failures_generation_sql,
    login_locked,
    login_refused,
    login_succeeded,
)


def _login_failed(sender, context=None, exception=None, **kwargs) -> None:
    """django-auth-ldap reports an LDAP failure of a login and would then refuse the login as if
    the password were wrong: a directory that timed out or cannot be reached is a 503
    (``DirectoryError``) instead, on every door (``portal/directory/logins.py``)."""
    if exception is not None:  # while binding, looking the user up or reading its groups
        err = login_error(exception)
        if err is not None:
            raise err


ldap_error.connect(_login_failed, dispatch_uid="portal-login-directory-errors")


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap, with the Django username taken from the entry's logon name
    (``uid``, AD's ``sAMAccountName``)
    so that logging in by name, CN or userPrincipalName reaches the same account, and the entry's
    DN kept on the user (the caller's scope is derived from it)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        try:
            user = super().authenticate(request, username=username, password=password, **kwargs)
        except IntegrityError:
            # a concurrent first login of the same account created it (or mirrored its groups)
            # first: logging in again finds what that one wrote
            user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            account_checked(user.pk)  # just read from the directory
        return user

    def get_or_build_user(self, username, ldap_user):
        uid = (ldap_user.attrs.get("uid") or ldap_user.attrs.get("sAMAccountName") or [username])[0]
        user, built = super().get_or_build_user(uid.lower(), ldap_user)
        # django-auth-ldap lower-cases the DNs it finds; keep the entry's own spelling.
        try:
            entry = default_gateway().get(ldap_user.dn)
        except PortalError:
            entry = None
        user.directory_dn = entry.dn if entry is not None else ldap_user.dn
        return user, built


def _cache_key(username: str, password: str) -> str:
    # hmac.digest: the same HMAC in one call to OpenSSL, without an HMAC object
    digest = hmac.digest(settings.SECRET_KEY.encode(), f"{username}\0{password}".encode(), "sha256")
    return "portal:basic:" + digest.hex()


# Remembered credentials, kept by each process until their own end (``portal/kept.py``). What the
# credential names is still checked on every request (the account's row, ``portal.accounts``).
_remembered = KeptHere()


def remembered_forget_all() -> None:
    """Forget what this process kept of remembered credentials (the shared cache was cleared)."""
    _remembered.clear()


def basic_credentials(header: str) -> tuple[str, str] | None:
    """``(username, password)`` of an ``Authorization: Basic`` header, or None."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        return None
    return username, password


def authenticate_basic(request, username: str, password: str):
    """The active user for directory credentials, or None; :class:`TooManyAttempts` when logins
    of the account or from the client's address are locked out (``portal/throttle.py``).

    A success is remembered for ``PORTAL_CREDENTIAL_CACHE_SECONDS`` under an HMAC of the
    credentials, so a busy integration does not cost a directory bind per request; a failure is
    never remembered, and a remembered success is refused too while the account or the address is
    locked out (a guess must learn nothing from the cache). A remembered credential names the
    account only: every request checks that the account may still go on
    (``portal.accounts.account_current``: active, still in the directory), so a deleted or
    disabled user's credential stops working at once.
    """
    key = _cache_key(username, password)
    remembered = _remembered.get(key)
    if remembered is not None and request is not None and login_locked(request, username):
        raise login_refused(request) or TooManyAttempts(LOCKED_TEXT)
    if remembered is not None:
        user_id, name = remembered
        user = get_user_model().objects.filter(pk=user_id, username=name, is_active=True).first()
        if user is not None and account_current(user):
            return user
        _remembered.forget(key)
        if user is None or not user.is_active:
            return None
    user = authenticate(request, username=username, password=password)
    refused = login_refused(request)
    if refused is not None:
        raise refused
    if user is not None and request is not None:
        login_succeeded(request, user)
    if user is not None and user.is_active and settings.PORTAL_CREDENTIAL_CACHE_SECONDS > 0:
        _remembered.set(key, (user.pk, user.get_username()), settings.PORTAL_CREDENTIAL_CACHE_SECONDS)
    return user if user is not None and user.is_active else None


_ACCOUNT_SQL: dict[tuple[str, str], str] = {}


def _account_sql(db, mark: str = "%s") -> str:
    """One query for a remembered account: its row if still active, with its role groups and the
    login failures' generation (the text made once per kind of database and placeholder)."""
    found = _ACCOUNT_SQL.get((db.vendor, mark))
    if found is None:
        found = _ACCOUNT_SQL[(db.vendor, mark)] = _account_sql_text(db, mark)
    return found


def _account_sql_text(db, mark: str) -> str:
    from django.contrib.auth.models import Group

    user_model = get_user_model()
    quote = db.ops.quote_name
    users = quote(user_model._meta.db_table)
    links = quote(user_model.groups.through._meta.db_table)
    groups = quote(Group._meta.db_table)
    # only quoted table and column names go into the text; the values are parameters
    generation = failures_generation_sql(quote)
    return (
        f"SELECT u.{quote('directory_dn')}, u.{quote('is_superuser')}, g.{quote('name')}, ({generation}) "  # noqa: S608
        f"FROM {users} u "
        f"LEFT JOIN {links} l ON l.{quote('user_id')} = u.{quote('id')} "
        f"LEFT JOIN {groups} g ON g.{quote('id')} = l.{quote('group_id')} "
        f"WHERE u.{quote('id')} = {mark} AND u.{quote('username')} = {mark} AND u.{quote('is_active')}"
    )


def _account_rows(user_id: int, name: str) -> list[tuple]:
    """The account's rows (:func:`_account_sql`), read on every request of a remembered
    credential. Sent on the driver's own cursor (the connection checked and opened as Django's
    cursor does, its errors Django's): Django's cursor wrappers cost more than the query itself.
    Where queries are recorded (``DEBUG``, a test capturing them) it goes through Django's cursor,
    so that it is recorded."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.queries_logged:
        with db.cursor() as cursor:
            cursor.execute(_account_sql(db), [user_id, name])
            return cursor.fetchall()
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        cursor = db.connection.cursor()
        try:
            cursor.execute(_account_sql(db, "?" if db.vendor == "sqlite" else "%s"), [user_id, name])
            return cursor.fetchall()
        finally:
            cursor.close()


def _remembered_caller(request, username: str, password: str) -> Caller | None:
    """The caller of a remembered credential, from one query (the account still active, its
    roles now) and the account check every request makes; None when the credential is not
    remembered or the account needs the full check of :func:`authenticate_basic`."""
    remembered = _remembered.get(_cache_key(username, password))
    if remembered is None:
        return None
    user_id, name = remembered
    rows = _account_rows(user_id, name)
    if request is not None and login_locked(request, username, generation=rows[0][3] if rows else None):
        raise login_refused(request) or TooManyAttempts(LOCKED_TEXT)
    if not rows:
        return None
    current, refreshed = account_check_known(user_id, rows[0][0]), False
    if current is None:  # the directory is read again now
        account = get_user_model()(pk=user_id, username=name, directory_dn=rows[0][0], is_active=True)
        current, refreshed = account_check(account)
    if not current:
        return None
    if refreshed:  # the directory was read again: the account's groups may have changed
        rows = _account_rows(user_id, name)
        if not rows:
            return None
    dn, is_superuser = rows[0][0], bool(rows[0][1])
    return Caller.from_account(
        username=name,
        dn=dn,
        groups={row[2] for row in rows if row[2]},
        is_superuser=is_superuser,
        user_id=user_id,
    )


def caller_for_credentials(request, username: str, password: str) -> Caller | None:
    """The engine caller for directory credentials, or None (for the machine doors).

    Its roles are read from the account on every request, so a user taken out of a role group
    loses the role at its next call. A remembered credential costs one query for that (the account
    and its groups together); anything else goes through :func:`authenticate_basic`."""
    caller = _remembered_caller(request, username, password)
    if caller is not None:
        return caller
    user = authenticate_basic(request, username, password)
    return None if user is None else Caller.from_user(user)


class DirectoryBasicAuthentication(authentication.BasicAuthentication):
    """DRF Basic authentication through :func:`authenticate_basic`."""

    www_authenticate_realm = "portal"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.lower().startswith("basic"):
            return None
        credentials = basic_credentials(header)
        if credentials is None:
            raise exceptions.AuthenticationFailed("Invalid basic header.")
        user = authenticate_basic(request._request, *credentials)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid username or password.")
        return user, None
