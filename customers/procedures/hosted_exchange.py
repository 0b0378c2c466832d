"""``HostedExchange::``: create an organization or user and register it in the Plans database in
one call, by nesting ``Managed Active Directory::`` and ``Managed Helpers::CreateCustomerRecord_``.
Any failure of a later step undoes the earlier ones (the engine's journal and transaction)."""

from __future__ import annotations

from customers.procedures.directory import ORGANIZATION_ARGS, USER_ARGS
from hosting.models import CustomerType
from portal.engine import CUSTOMER_ADMINISTRATORS, ORG_CREATORS, CallContext, Security, procedure

USER_SECURITY = Security(
    roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS),
    description="OrgCreators inside their scope; CustomerAdministrators in their own organization.",
)


def _register(ctx: CallContext, created: dict, customer_type: str) -> dict:
    ctx.call(
        "Managed Helpers::CreateCustomerRecord_",
        {
            "path": created["path"],
            "preferredDomainController": ctx.args["preferredDomainController"],
            "customerTypeName": customer_type,
        },
    )
    out = ctx.mirror()
    out.pop("password", None)
    out["path"] = created["path"]
    out["GUID"] = created["GUID"]
    out["customerTypeName"] = customer_type
    return out


@procedure(
    "HostedExchange::CreateBusinessOrganization",
    args=ORGANIZATION_ARGS,
    security=Security(roles=(ORG_CREATORS,), description="OrgCreators inside their scope."),
)
def business_organization_create(
    ctx: CallContext, *, parentPath: str, name: str, description: str | None, preferredDomainController: str
) -> dict:
    """Create a customer organization under a reseller and register it in the Plans database as
    a BusinessOrganization. Answers the input with ``path``, ``GUID`` and ``customerTypeName``."""
    created = ctx.call(
        "Managed Active Directory::CreateOrganization",
        {
            "parentPath": parentPath,
            "name": name,
            "type": "Customer",
            "description": description or "",
            "preferredDomainController": preferredDomainController,
        },
    )
    return _register(ctx, created, CustomerType.BUSINESS_ORGANIZATION)


def _user_create(ctx: CallContext, customer_type: str) -> dict:
    data = {name: value for name, value in ctx.args.items() if value is not None}
    created = ctx.call("Managed Active Directory::CreateUser", data)
    return _register(ctx, created, customer_type)


@procedure("HostedExchange::CreateBusinessUser", args=USER_ARGS, security=USER_SECURITY)
def business_user_create(ctx: CallContext, **args: str | None) -> dict:
    """Create a user (as ``Managed Active Directory::CreateUser``) and register it in the Plans
    database as a BusinessUser. Answers the input, without the password, with ``path``, ``GUID``
    and ``customerTypeName``."""
    return _user_create(ctx, CustomerType.BUSINESS_USER)


@procedure("HostedExchange::CreateConsumerUser", args=USER_ARGS, security=USER_SECURITY)
def consumer_user_create(ctx: CallContext, **args: str | None) -> dict:
    """Create a user (as ``Managed Active Directory::CreateUser``) and register it in the Plans
    database as a ConsumerUser (a consumer e-mail user). Answers the input, without the password,
    with ``path``, ``GUID`` and ``customerTypeName``."""
    return _user_create(ctx, CustomerType.CONSUMER_USER)
