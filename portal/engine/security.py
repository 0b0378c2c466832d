"""Who calls, as whom, and what they may reach (DESIGN.md "Roles and scope").

Roles are Django groups mirrored from directory groups at login. A caller's scope is the
organization that holds its own directory entry; DomainAdmins reach the whole hosting tree.
Security is checked here, by the engine, for every procedure on every door.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from portal.directory import dn_is_within, dn_normalize, dn_parent
from portal.errors import AccessDenied

DOMAIN_ADMINS = "DomainAdmins"
ORG_CREATORS = "OrgCreators"
CUSTOMER_ADMINISTRATORS = "CustomerAdministrators"
# Billing staff: a Django group given in the admin (not mirrored from the directory); DomainAdmins
# hold it too, as they hold every role.
BILLING_ADMINS = "BillingAdmins"
ROLES = (DOMAIN_ADMINS, ORG_CREATORS, CUSTOMER_ADMINISTRATORS, BILLING_ADMINS)

SERVICE_USERNAME = "portal-service"


@dataclass(frozen=True)
class Caller:
    """An identity a call runs as: its name, directory entry, roles and scope.

    ``scope_dn`` is the organization holding the entry (the hosting root for DomainAdmins and the
    service identity); None means the identity reaches nothing in the tree.
    """

    username: str
    dn: str | None
    roles: frozenset[str]
    scope_dn: str | None
    is_service: bool = False
    user_id: int | None = field(default=None, compare=False)

    @classmethod
    def from_user(cls, user) -> Caller:
        """The caller of a logged-in Django user."""
        roles = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        return cls.from_account(
            username=user.get_username(),
            dn=getattr(user, "directory_dn", ""),
            groups=roles,
            is_superuser=user.is_superuser,
            user_id=user.pk,
        )

    @classmethod
    def from_account(
        cls, *, username: str, dn: str, groups: set[str], is_superuser: bool, user_id: int | None
    ) -> Caller:
        """The caller of an account known by its fields and the names of its role groups."""
        roles = {name for name in groups if name in ROLES}
        if is_superuser:
            roles.add(DOMAIN_ADMINS)
        dn = dn or None
        hosting_root = settings.DIRECTORY["HOSTING_ROOT"]
        if DOMAIN_ADMINS in roles:
            scope = dn_normalize(hosting_root)
        elif dn and dn_is_within(dn, hosting_root):
            scope = dn_parent(dn)
        else:
            scope = None
        return cls(username=username, dn=dn, roles=frozenset(roles), scope_dn=scope, user_id=user_id)

    @classmethod
    def service(cls) -> Caller:
        """The portal's own service identity (``impersonate="2"``): every role, the whole tree."""
        return cls(
            username=SERVICE_USERNAME,
            dn=None,
            roles=frozenset(ROLES),
            scope_dn=dn_normalize(settings.DIRECTORY["HOSTING_ROOT"]),
            is_service=True,
        )

    def has_role(self, *roles: str) -> bool:
        """Whether the identity holds any of ``roles``.

        Roles nest: DomainAdmins hold every role, and OrgCreators hold CustomerAdministrators (a
        reseller's staff may do for its customers what their administrators may do); the scope
        still limits where.
        """
        held = set(self.roles)
        if DOMAIN_ADMINS in held:
            return True
        if ORG_CREATORS in held:
            held.add(CUSTOMER_ADMINISTRATORS)
        return any(role in held for role in roles)

    def reaches(self, dn: str) -> bool:
        """Whether ``dn`` lies inside the identity's scope."""
        return self.scope_dn is not None and dn_is_within(dn, self.scope_dn)

    @property
    def read_scope_dn(self) -> str | None:
        """Where the identity reads (docs/security.md, "Who reads what"): its scope when it holds
        a role; an identity with no role reads no organization, user, e-mail or billing object of
        the tree (only its own entry, see :meth:`reads`)."""
        return self.scope_dn if self.roles else None

    def reads(self, dn: str) -> bool:
        """Whether the identity may read the object at ``dn``: inside its read scope, or its own
        entry."""
        if self.read_scope_dn is not None and dn_is_within(dn, self.read_scope_dn):
            return True
        return self.dn is not None and dn_normalize(dn).lower() == dn_normalize(self.dn).lower()

    @property
    def role_label(self) -> str:
        """The strongest role, for display."""
        for role in ROLES:
            if role in self.roles:
                return role
        return "no role"


@dataclass(frozen=True)
class Security:
    """A procedure's security rule.

    ``roles``: the caller must hold one of them (DomainAdmins pass every role test); None lets
    any authenticated caller through. ``check`` adds a rule of the procedure's own, run after the
    role test with the validated arguments (for example, the GUID form of Unsubscribe asks for
    DomainAdmins). Every ``path`` argument is also checked against the caller's scope.
    """

    roles: tuple[str, ...] | None = None
    check: Callable[[Caller, dict], None] | None = None
    description: str = ""

    def enforce(self, identity: Caller, args: dict) -> None:
        """Raise :class:`AccessDenied` unless the rule lets ``identity`` run with ``args``."""
        if self.roles is not None and not identity.has_role(*self.roles):
            raise AccessDenied(
                f"{identity.username} is not allowed to run this procedure: it requires "
                + " or ".join(self.roles)
                + "."
            )
        if self.check is not None:
            self.check(identity, args)


def require_role(identity: Caller, *roles: str, why: str = "") -> None:
    """Raise :class:`AccessDenied` unless ``identity`` holds one of ``roles``."""
    if not identity.has_role(*roles):
        raise AccessDenied(
            f"{identity.username} is not allowed to do this: it requires {' or '.join(roles)}"
            + (f" ({why})" if why else "")
            + "."
        )


def require_scope(identity: Caller, dn: str, *, argument: str = "path") -> None:
    """Raise :class:`AccessDenied` unless ``dn`` lies inside ``identity``'s scope."""
    if not identity.reaches(dn):
        raise AccessDenied(f"<{argument}> {dn} is outside the scope of {identity.username}.", field=argument)
