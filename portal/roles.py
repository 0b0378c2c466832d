"""``Portal::RoleGrant`` and ``Portal::RoleRevoke``: the roles the portal keeps itself, given and
taken back through the engine (DomainAdmins only, audited like every call).

The portal keeps three roles of its own on a portal account: the Django group ``BillingAdmins``
(billing staff, DESIGN.md "Roles and scope") and the account flags ``staff`` (the Django admin)
and ``superuser`` (which the engine counts as DomainAdmins). The other roles are directory groups
(DomainAdmins, OrgCreators, CustomerAdministrators): they are given with
``Managed Active Directory::GroupAdd`` and mirrored at each login, so these procedures refuse them.
For the same reason a directory user's ``staff`` and ``superuser`` follow its membership of
DomainAdmins at each login; only accounts without a directory entry keep them from here.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from portal.engine import (
    BILLING_ADMINS,
    CUSTOMER_ADMINISTRATORS,
    DOMAIN_ADMINS,
    ORG_CREATORS,
    Arg,
    CallContext,
    Security,
    procedure,
)
from portal.errors import InvalidArgument, NotFound, PrerequisiteFailed

STAFF = "staff"
SUPERUSER = "superuser"
#: the roles these procedures give, as they are named in a call
PORTAL_ROLES = (BILLING_ADMINS, STAFF, SUPERUSER)
DIRECTORY_ROLES = (DOMAIN_ADMINS, ORG_CREATORS, CUSTOMER_ADMINISTRATORS)
_FLAGS = {STAFF: "is_staff", SUPERUSER: "is_superuser"}

USER = Arg("user", required=True, subject=True, description="The portal account's username.")
ROLE = Arg("role", required=True, description="BillingAdmins, staff or superuser.")
ROLE_ADMINS = Security(roles=(DOMAIN_ADMINS,), description="DomainAdmins only.")


def _account(username: str):
    """The portal account named ``username`` (letter case ignored)."""
    account = get_user_model().objects.filter(username__iexact=username.strip()).first()
    if account is None:
        raise NotFound(
            f"There is no portal account {username!r} (a directory user has one once it has logged in).",
            field="user",
        )
    return account


def _role(name: str, account) -> str:
    """The role as declared; directory roles and, for directory users, the login-managed flags
    are refused with where to give them instead."""
    wanted = name.strip().lower()
    for role in DIRECTORY_ROLES:
        if role.lower() == wanted:
            raise InvalidArgument(
                f"{role} is a directory group: add the user to it or remove it with "
                "Managed Active Directory::GroupAdd or ::GroupRemove.",
                field="role",
            )
    for role in PORTAL_ROLES:
        if role.lower() == wanted:
            if role in _FLAGS and account.directory_dn:
                raise PrerequisiteFailed(
                    f"{account.username} is a directory user: its {role} flag follows its membership "
                    f"of the directory group {DOMAIN_ADMINS} at each login (give or take that instead).",
                    field="role",
                )
            return role
    raise InvalidArgument(
        f"The role {name!r} is not known; the portal's own roles are {', '.join(PORTAL_ROLES)}.",
        field="role",
    )


def _held(account, role: str) -> bool:
    if role in _FLAGS:
        return bool(getattr(account, _FLAGS[role]))
    return account.groups.filter(name=role).exists()


def _role_set(account, role: str, held: bool) -> bool:
    """Give or take ``role``; whether anything changed (nothing does when it already is so)."""
    if _held(account, role) == held:
        return False
    if role in _FLAGS:
        setattr(account, _FLAGS[role], held)
        account.save(update_fields=[_FLAGS[role]])
    elif held:
        group, _ = Group.objects.get_or_create(name=role)
        account.groups.add(group)
    else:
        account.groups.remove(*account.groups.filter(name=role))
    return True


def _answer(account, role: str, changed: bool) -> dict:
    return {"user": account.username, "role": role, "held": _held(account, role), "changed": changed}


@procedure("Portal::RoleGrant", args=(USER, ROLE), security=ROLE_ADMINS)
def role_grant(ctx: CallContext, *, user: str, role: str) -> dict:
    """Give a portal account one of the portal's own roles (BillingAdmins, staff, superuser).
    Giving a role the account holds changes nothing (``changed`` is false). Answers the user, the
    role, ``held`` and ``changed``."""
    account = _account(user)
    name = _role(role, account)
    return _answer(account, name, _role_set(account, name, True))


@procedure("Portal::RoleRevoke", args=(USER, ROLE), security=ROLE_ADMINS)
def role_revoke(ctx: CallContext, *, user: str, role: str) -> dict:
    """Take one of the portal's own roles from a portal account. Taking a role the account does
    not hold changes nothing (``changed`` is false). Answers the user, the role, ``held`` and
    ``changed``."""
    account = _account(user)
    name = _role(role, account)
    return _answer(account, name, _role_set(account, name, False))
