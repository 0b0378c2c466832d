"""Procedures of the Plans database (seed ``000``: ``MPS Import::EnableCustomerForPlans``)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from hosting.models import ORGANIZATION_TYPES, USER_TYPES, CustomerRecord, CustomerType
from hosting.tree import entry_require, organization_check, user_check
from portal.directory import dn_parent
from portal.engine import (
    CUSTOMER_ADMINISTRATORS,
    ORG_CREATORS,
    PREFERRED_DOMAIN_CONTROLLER,
    Arg,
    CallContext,
    Security,
    latest_committed,
    procedure,
    reserve,
)
from portal.errors import Conflict, InvalidArgument

PATH = Arg("path", "path", required=True, description="The LDAP path of the user or organization.")
CUSTOMER_TYPE_CHOICES = tuple(CustomerType.values)
ANY_ROLE = Security(roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS), description="Impersonate caller.")

# Seed 000, "If customerTypeName is not supplied": organization type to Plans customer type.
ORGANIZATION_CUSTOMER_TYPE = {
    "Reseller": CustomerType.RESELLER_ORGANIZATION,
    "Customer": CustomerType.BUSINESS_ORGANIZATION,
}


@procedure(
    "Managed Hosting::GetOrgType",
    args=(
        Arg("path", "path", required=True, description="The LDAP path of the organization."),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=ANY_ROLE,
)
def org_type_get(ctx: CallContext, *, path: str, preferredDomainController: str) -> dict:
    """Read an organization's type from its entry: Hosting, Reseller, Customer or Default.

    Answers the input with ``organizationType`` added.
    """
    entry = entry_require(ctx.directory, path)
    if entry.kind != "organization":
        raise InvalidArgument(f"<path> {path} is not an organization.", field="path")
    out = ctx.mirror()
    out["organizationType"] = entry.organization_type
    return out


@procedure(
    "Managed Helpers::CreateCustomerRecord_",
    args=(
        PATH,
        PREFERRED_DOMAIN_CONTROLLER,
        Arg("customerTypeName", required=True, choices=CUSTOMER_TYPE_CHOICES),
    ),
    security=ANY_ROLE,
    private=True,
)
def customer_record_create(
    ctx: CallContext, *, path: str, preferredDomainController: str, customerTypeName: str
) -> dict:
    """Add the object's customer record to the Plans database; an existing record of the same type
    is kept as it is (its path brought up to date), one of another type is a conflict.

    Answers the input with the record's ``GUID`` (braced form) added.
    """
    entry = entry_require(ctx.directory, path)
    # A repeated registration finds its record as asked among the committed ones and writes
    # nothing, taking no lock; anything else reserves the GUID and looks again under the lock.
    with latest_committed():
        known = CustomerRecord.locked_by_guid(entry.guid, lock=False)
    if known is not None and known.customer_type == customerTypeName and known.dn == entry.dn:
        out = ctx.mirror()
        out["GUID"] = known.guid_braced
        return out
    reserve("customer-record", str(entry.guid))
    # An existing record is looked up first (a repeated registration then writes nothing); a new
    # one is inserted, and an insert that collides with a record registered at the same moment
    # takes that record as found.
    existing = CustomerRecord.locked_by_guid(entry.guid)
    if existing is None:
        organization = ctx.directory.get(dn_parent(entry.dn))
        record = CustomerRecord(
            guid=entry.guid,
            customer_type=customerTypeName,
            dn=entry.dn,
            name=entry.name,
            organization_guid=organization.guid if organization else None,
            created_by_id=ctx.caller.user_id,
        )
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError:
            existing = CustomerRecord.objects.select_for_update().get(guid=entry.guid)
    if existing is not None:
        record = existing
        if record.customer_type != customerTypeName:
            raise Conflict(
                f"{entry.dn} already has a Plans database record of type {record.customer_type}; "
                f"it cannot be registered as {customerTypeName} too."
            ) from None
        if record.dn != entry.dn:
            record.dn = entry.dn
            record.save(update_fields=["dn", "dn_key"])
    out = ctx.mirror()
    out["GUID"] = record.guid_braced
    return out


@procedure(
    "MPS Import::EnableCustomerForPlans",
    args=(
        PATH,
        PREFERRED_DOMAIN_CONTROLLER,
        Arg(
            "customerTypeName",
            choices=CUSTOMER_TYPE_CHOICES,
            description="(optional) The plans database customer type; inferred when not supplied.",
        ),
    ),
    security=ANY_ROLE,
)
def customer_enable_for_plans(
    ctx: CallContext, *, path: str, preferredDomainController: str, customerTypeName: str | None
) -> dict:
    """Add an organization or user to the Plans database; does not fail if a valid record exists.

    Prerequisites (seed 000): the object lies at the proper level of the hosting tree and it (and
    a user's organization) is compliant with the hosting prescription. Without
    ``customerTypeName`` the type is inferred through ``Managed Hosting::GetOrgType``:
    Reseller → ResellerOrganization, Customer → BusinessOrganization, a user → BusinessUser;
    ConsumerUser only when given. Answers the input, with ``customerTypeName`` when inferred.
    """
    entry = entry_require(ctx.directory, path)
    if entry.kind == "organization":
        organization_check(ctx.directory, entry)
        organization_dn = entry.dn
        if customerTypeName is not None and customerTypeName not in ORGANIZATION_TYPES:
            raise InvalidArgument(
                f"<customerTypeName> {customerTypeName} is a user type, but {path} is an organization.",
                field="customerTypeName",
            )
    elif entry.kind == "user":
        organization, _ = user_check(ctx.directory, entry)
        organization_dn = organization.dn
        if customerTypeName is not None and customerTypeName not in USER_TYPES:
            raise InvalidArgument(
                f"<customerTypeName> {customerTypeName} is an organization type, but {path} is a user.",
                field="customerTypeName",
            )
    else:
        raise InvalidArgument(f"<path> {path} is neither an organization nor a user.", field="path")

    type_name = customerTypeName
    inferred = type_name is None
    if inferred:
        # Seed step 1: Managed Hosting::GetOrgType (conditional).
        found = ctx.call(
            "Managed Hosting::GetOrgType",
            {"path": organization_dn, "preferredDomainController": preferredDomainController},
        )
        org_type = found["organizationType"]
        if entry.kind == "user":
            type_name = CustomerType.BUSINESS_USER
        else:
            type_name = ORGANIZATION_CUSTOMER_TYPE[org_type]
    elif entry.kind == "organization":
        expected = ORGANIZATION_CUSTOMER_TYPE[entry.organization_type]
        if type_name != expected:
            raise InvalidArgument(
                f"<customerTypeName> {type_name} does not fit {path}, an organization of type "
                f"{entry.organization_type} (its type is {expected}).",
                field="customerTypeName",
            )

    # Seed step 2: Managed Helpers::CreateCustomerRecord_.
    ctx.call(
        "Managed Helpers::CreateCustomerRecord_",
        {
            "path": entry.dn,
            "preferredDomainController": preferredDomainController,
            "customerTypeName": type_name,
        },
    )
    out = ctx.mirror()
    if inferred:
        out["customerTypeName"] = str(type_name)
    return out
