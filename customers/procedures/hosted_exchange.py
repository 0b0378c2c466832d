"""``Hosted Exchange::`` (spelled as Microsoft's pages spell it): create a business organization,
a business user or a consumer user and register it in the Plans database in one call, by nesting
``Managed Active Directory::`` and ``Managed Helpers::CreateCustomerRecord_``. Any failure of a
later step undoes the earlier ones (the engine's journal and transaction).

The pages' arguments that place Exchange storage (``mailStore``, ``mailStore/@algorithm``,
``serverName``, ``mailStoreName``) are accepted and left to the portal: its mail service places
every mailbox itself.
"""

from __future__ import annotations

from customers.procedures.directory import (
    ORGANIZATION_ARGS,
    USER_ARGS,
    organization_element,
)
from hosting import tree as hosting
from hosting.models import CustomerType
from hosting.tree import entry_require
from portal.directory import dn_child, dn_to_path
from portal.engine import (
    CUSTOMER_ADMINISTRATORS,
    ORG_CREATORS,
    PREFERRED_DOMAIN_CONTROLLER,
    Arg,
    CallContext,
    Security,
    procedure,
)
from portal.errors import InvalidArgument

USER_SECURITY = Security(
    roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS),
    description="OrgCreators inside their scope; CustomerAdministrators in their own organization.",
)
MAIL_STORE = Arg(
    "mailStore",
    "struct",
    description="(optional) Where Exchange would place the storage (megabytes, shared, @algorithm, "
    "serverName, mailStoreName); the portal places mailboxes itself.",
)
PLAN_NAME = Arg(
    "planName",
    max_length=128,
    description="(optional) The mailbox plan: given, the user is assigned it "
    "(Hosted Email 2007::ModifyUserPlan).",
)
# CreateUser's arguments but its policy: a business user sits in a customer organization.
BUSINESS_USER_ARGS = tuple(arg for arg in USER_ARGS if arg.name != "policyName")


def _register(ctx: CallContext, path: str, customer_type: str) -> None:
    ctx.call(
        "Managed Helpers::CreateCustomerRecord_",
        {
            "path": path,
            "preferredDomainController": ctx.args["preferredDomainController"],
            "customerTypeName": customer_type,
        },
    )


def smtp_domain_check(ctx: CallContext, domain: str, *, argument: str) -> str:
    """An SMTP domain no organization of the hosting tree holds yet (the hosting layer's registry:
    the organizations' ``uPNSuffixes``, which ``Hosted Email 2007::CreateSMTPDomain`` writes too)."""
    value = domain.strip().lower()
    labels = value.split(".")
    if len(labels) < 2 or not all(label and len(label) <= 63 for label in labels) or " " in value:
        raise InvalidArgument(f"<{argument}> {domain!r} is not a domain name.", field=argument)
    hosting.smtp_domain_free(ctx.directory, value, argument=argument)
    return value


@procedure(
    "Hosted Exchange::CreateBusinessOrganization",
    args=(
        *(arg for arg in ORGANIZATION_ARGS if arg.name != "policyName"),
        Arg("SMTPDomain", required=True, max_length=253, description="The organization's SMTP domain."),
        MAIL_STORE,
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=Security(roles=(ORG_CREATORS,), description="OrgCreators inside their scope."),
)
def business_organization_create(
    ctx: CallContext,
    *,
    name: str,
    container: str,
    description: str | None,
    properties: dict,
    SMTPDomain: str,
    mailStore: dict,
    preferredDomainController: str,
) -> dict:
    """Create a customer organization under a reseller with its SMTP domain (its
    ``uPNSuffixes``) and register it in the Plans database as a BusinessOrganization. A domain
    another organization holds is refused: ``The SMTP Domain %domainName% is not available.``
    Answers the ``org`` element of ``Managed Active Directory::CreateOrganization``."""
    domain = smtp_domain_check(ctx, SMTPDomain, argument="SMTPDomain")
    created = ctx.call(
        "Managed Active Directory::CreateOrganization",
        {
            "container": container,
            "name": name,
            "policyName": "customer",
            "description": description or "",
            "properties": properties,
            "preferredDomainController": preferredDomainController,
        },
    )
    dn = dn_child("OU", name.strip(), container)
    _register(ctx, created["org"]["@path"], CustomerType.BUSINESS_ORGANIZATION)
    ctx.directory.modify(dn, {"uPNSuffixes": [domain]})
    return {"org": {**created["org"], **organization_element(ctx, dn)}}


def _user_create(ctx: CallContext, customer_type: str, policy: str) -> dict:
    data = {
        name: value
        for name, value in ctx.args.items()
        if value not in (None, {}) and name not in ("isAdmin", "planName", "mailStore")
    }
    created = ctx.call("Managed Active Directory::CreateUser", {**data, "policyName": policy})
    user = created["user"]
    _register(ctx, user["@path"], customer_type)
    if ctx.args.get("isAdmin"):
        container = entry_require(ctx.directory, ctx.args["container"], argument="container")
        group = hosting.admin_group_ensure(
            ctx.directory, container.dn, hosting.CUSTOMER, hosting.processed_marks(ctx.lineage, frozenset())
        )
        ctx.call(
            "Managed Active Directory::GroupAdd",
            {
                "group": dn_to_path(group),
                "newMember": user["@path"],
                "preferredDomainController": ctx.args["preferredDomainController"],
            },
        )
    if ctx.args.get("planName"):
        ctx.call(
            "Hosted Email 2007::ModifyUserPlan",
            {
                "user": user["@path"],
                "planName": ctx.args["planName"],
                "preferredDomainController": ctx.args["preferredDomainController"],
            },
        )
    return {"user": user, "customerTypeName": customer_type}


@procedure(
    "Hosted Exchange::CreateBusinessUser",
    args=(
        *BUSINESS_USER_ARGS,
        Arg(
            "isAdmin",
            "bool",
            required=True,
            description="true makes the user an administrator of its organization.",
        ),
        PLAN_NAME,
        MAIL_STORE,
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=USER_SECURITY,
)
def business_user_create(ctx: CallContext, **args: object) -> dict:
    """Create a user in a customer organization (as ``Managed Active Directory::CreateUser``),
    register it in the Plans database as a BusinessUser, make it an administrator of its
    organization when ``isAdmin`` is true and assign it ``planName`` when given. Answers the
    ``user`` element and ``customerTypeName``; never the password."""
    return _user_create(ctx, CustomerType.BUSINESS_USER, "customer")


@procedure(
    "Hosted Exchange::CreateConsumerUser",
    args=(*BUSINESS_USER_ARGS, PLAN_NAME, MAIL_STORE, PREFERRED_DOMAIN_CONTROLLER),
    security=USER_SECURITY,
)
def consumer_user_create(ctx: CallContext, **args: object) -> dict:
    """Create a user (as ``Managed Active Directory::CreateUser``) and register it in the Plans
    database as a ConsumerUser (a consumer e-mail user); assign it ``planName`` when given.
    Answers the ``user`` element and ``customerTypeName``; never the password."""
    return _user_create(ctx, CustomerType.CONSUMER_USER, "default")
