"""Procedures that exist only in the test process, to exercise the engine's mechanisms."""

from __future__ import annotations

from django.db import connections

from hosting.models import CustomerRecord
from portal.directory import dn_child, dn_rdn_value
from portal.engine import (
    CUSTOMER_ADMINISTRATORS,
    ORG_CREATORS,
    PREFERRED_DOMAIN_CONTROLLER,
    Arg,
    CallContext,
    Security,
    procedure,
)
from portal.errors import Conflict

#: the arguments of the test procedures that add an organization
NEW_ORGANIZATION = (
    Arg("organization", "path", required=True),
    Arg("name", required=True),
    PREFERRED_DOMAIN_CONTROLLER,
)


@procedure(
    "Engine Test::AddOrganization",
    args=NEW_ORGANIZATION,
    security=Security(roles=(ORG_CREATORS,)),
)
def add_organization(
    ctx: CallContext, *, organization: str, name: str, preferredDomainController: str
) -> dict:
    """Add an OU and a customer record for it."""
    dn = dn_child("OU", name, organization)
    ctx.directory.add(dn, {"objectClass": ["organizationalUnit"], "ou": name})
    entry = ctx.directory.get(dn)
    CustomerRecord.objects.create(guid=entry.guid, customer_type="BusinessOrganization", dn=dn, name=name)
    return {"dn": dn}


@procedure(
    "Engine Test::Fail",
    args=(PREFERRED_DOMAIN_CONTROLLER,),
    security=Security(roles=(CUSTOMER_ADMINISTRATORS,)),
)
def fail(ctx: CallContext, *, preferredDomainController: str) -> dict:
    """Always refuses."""
    raise Conflict("Planned failure of the last step.")


@procedure(
    "Engine Test::AddThenFail",
    args=NEW_ORGANIZATION,
    security=Security(roles=(ORG_CREATORS,)),
)
def add_then_fail(ctx: CallContext, *, organization: str, name: str, preferredDomainController: str) -> dict:
    """Nest AddOrganization, then a failing step."""
    ctx.call(
        "Engine Test::AddOrganization",
        {"organization": organization, "name": name, "preferredDomainController": preferredDomainController},
    )
    ctx.call("Engine Test::Fail", {"preferredDomainController": preferredDomainController})
    return ctx.mirror()


@procedure(
    "Engine Test::ChangeThenFail",
    args=(
        Arg("user", "path", required=True),
        Arg("leaf", "path", required=True),
        Arg("moveTo", "path", required=True),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=Security(roles=(ORG_CREATORS,)),
)
def change_then_fail(ctx: CallContext, *, user: str, leaf: str, moveTo: str, preferredDomainController: str):
    """Modify, delete and move entries, then fail: everything must come back."""
    ctx.directory.modify(user, {"description": "changed", "mail": None})
    ctx.directory.delete(leaf)
    ctx.directory.rename(moveTo, f"OU={dn_rdn_value(moveTo)}-moved")
    raise Conflict("Planned failure after three writes.")


@procedure(
    "Engine Test::Echo",
    args=(
        Arg("text"),
        Arg("count", "int"),
        Arg("flag", "bool"),
        Arg("amount", "decimal"),
        Arg("when", "date"),
        Arg("guid", "guid"),
        Arg("password", secret=True),
        Arg("kind", choices=("Reseller", "Customer")),
        Arg("features", "list", item="feature", choices=None),
    ),
    one_of=((("text", "count"), "You must supply either a <text> or <count> element."),),
)
def echo(ctx: CallContext, **args) -> dict:
    """Answer the converted arguments and who the call ran as."""
    out = {key: value for key, value in args.items() if value not in (None, [])}
    out["identity"] = ctx.identity.username
    out["caller"] = ctx.caller.username
    return out


@procedure("Engine Test::EchoNested", args=(Arg("impersonate", "int", required=True),))
def echo_nested(ctx: CallContext, *, impersonate: int) -> dict:
    """Run Echo nested with the given impersonation and answer its identity."""
    return ctx.call("Engine Test::Echo", {"text": "x"}, impersonate=impersonate)


@procedure("Engine Test::Private_", args=(), private=True)
def private(ctx: CallContext) -> dict:
    """Only nested."""
    return {}


@procedure("Engine Test::Boom", args=())
def boom(ctx: CallContext) -> dict:
    """A bug."""
    raise ValueError("secret internals")


@procedure("Engine Test::GetState", args=(Arg("count", "bool"),))
def get_state(ctx: CallContext, *, count: bool | None) -> dict:
    """A read: whether the batch's transaction is open where it runs and, asked, how many customer
    records it reads."""
    out = {"inTransaction": connections["default"].in_atomic_block, "writing": ctx.batch.writing}
    if count:
        out["records"] = CustomerRecord.objects.count()
    return out


@procedure(
    "Engine Test::GetAfterAdding",
    args=(*NEW_ORGANIZATION, Arg("fail", "bool")),
    security=Security(roles=(ORG_CREATORS,)),
)
def get_after_adding(
    ctx: CallContext, *, organization: str, name: str, preferredDomainController: str, fail: bool | None
) -> dict:
    """A read (by its name) that nests a write, then refuses when asked: the nested write opens
    the batch's transaction, and the refusal undoes it."""
    added = ctx.call(
        "Engine Test::AddOrganization",
        {"organization": organization, "name": name, "preferredDomainController": preferredDomainController},
    )
    if fail:
        raise Conflict("Planned failure after the nested write.")
    return {"inTransaction": connections["default"].in_atomic_block, **added}
