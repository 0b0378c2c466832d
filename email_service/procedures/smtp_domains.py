"""SMTP domains: the organization's assets in the Plans database that say which mail it receives,
and the ``uPNSuffixes`` of its directory entry."""

from __future__ import annotations

import uuid

from email_service.models import SmtpDomain
from email_service.procedures.common import (
    DOMAIN_ADMINS_ONLY,
    GUID_FOUND_PROCEDURE,
    GUID_OR_ORGANIZATION,
    GUID_SECURITY,
    MANAGERS,
    NAMESPACE,
    ORGANIZATION,
    SMTP_DOMAIN_NOT_AVAILABLE,
    argument_text,
    organization_entry,
    smtp_domain_create,
    smtp_domain_normalize,
)
from hosting.models import CustomerRecord
from hosting.tree import hosting_root
from portal.directory import dn_to_path, filter_escape
from portal.engine import PREFERRED_DOMAIN_CONTROLLER, Arg, CallContext, procedure
from portal.errors import Conflict, NotFound, PrerequisiteFailed

DOMAIN_TYPES = ("Authoritative", "InternalRelay", "ExternalRelay")

DOMAIN_NAME = Arg("domainName", required=True, max_length=253, description="The SMTP domain.")


@procedure(
    f"{NAMESPACE}::CreateSMTPDomain",
    args=(
        ORGANIZATION,
        DOMAIN_NAME,
        PREFERRED_DOMAIN_CONTROLLER,
        Arg(
            "domainType",
            choices=DOMAIN_TYPES,
            description="(optional) Authoritative (the default), InternalRelay or ExternalRelay.",
        ),
    ),
    security=MANAGERS,
)
def smtp_domain_add(
    ctx: CallContext,
    *,
    organization: str,
    domainName: str,
    preferredDomainController: str,
    domainType: str | None,
) -> dict:
    """Accept an SMTP domain for an organization (dd229930): an asset of its Plans database record
    (which it must have), and one of its ``uPNSuffixes``. A domain another organization holds is
    refused with the text of Managed Email 2007::CreateSMTPDomain: ``The SMTP Domain %domainName%
    is not available.`` Answers nothing (``<executeData/>``)."""
    entry = organization_entry(ctx, organization)
    domain = smtp_domain_normalize(domainName)
    record = CustomerRecord.objects.filter(guid=entry.guid).first()
    if record is None:
        raise PrerequisiteFailed(
            f"The organization {dn_to_path(entry.dn)} has no record in the Plans database; run "
            "MPS Import::EnableCustomerForPlans for it first.",
            field="organization",
        )
    elsewhere = [
        holder
        for holder in ctx.directory.search(hosting_root(), f"(uPNSuffixes={filter_escape(domain)})")
        if holder.guid != entry.guid
    ]
    if elsewhere:
        raise Conflict(SMTP_DOMAIN_NOT_AVAILABLE.replace("%domainName%", domain), field="domainName")
    smtp_domain_create(record, entry, domain)
    suffixes = list(entry.attrs.get("upnsuffixes", []))
    if all(item.lower() != domain for item in suffixes):
        ctx.directory.modify(entry.dn, {"uPNSuffixes": [*suffixes, domain]})
    return {}


def _domain_forget(ctx: CallContext, guid, where: str, domain: str, entry=None) -> None:
    asset = SmtpDomain.objects.filter(name=domain, organization_guid=guid).first()
    if asset is None:
        raise NotFound(f"The SMTP domain {domain} is not registered to {where}.", field="domainName")
    asset.delete()
    if entry is not None:
        suffixes = list(entry.attrs.get("upnsuffixes", []))
        kept = [item for item in suffixes if item.lower() != domain]
        if len(kept) != len(suffixes):
            ctx.directory.modify(entry.dn, {"uPNSuffixes": kept})


@procedure(
    f"{NAMESPACE}::DeleteSMTPDomain",
    args=(
        Arg("organization", "path", description="The LDAP path of the organization."),
        Arg(
            "GUID",
            "guid",
            description="(DomainAdmins) The GUID of an orphaned organization, as Unsubscribe (seed 001) "
            "passes it; DeleteSMTPDomainByGUID is the procedure to call for one.",
        ),
        DOMAIN_NAME,
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    one_of=GUID_OR_ORGANIZATION,
    security=GUID_SECURITY,
)
def smtp_domain_delete(
    ctx: CallContext,
    *,
    organization: str | None,
    GUID: uuid.UUID | None,
    domainName: str,
    preferredDomainController: str,
) -> dict:
    """Remove an accepted SMTP domain of an organization (dd279056): the asset of its Plans
    database record and the organization's ``uPNSuffixes`` entry, so that the domain is free for
    use again. Seed 001 calls it for an orphaned organization by ``GUID`` (DomainAdmins): then no
    directory call is made, the asset alone says which domain to delete. Answers nothing
    (``<executeData/>``)."""
    domain = smtp_domain_normalize(domainName)
    if GUID is not None:
        _domain_forget(ctx, GUID, f"the organization with GUID {argument_text(ctx, 'GUID')}", domain)
    else:
        entry = organization_entry(ctx, organization)
        _domain_forget(ctx, entry.guid, dn_to_path(entry.dn), domain, entry)
    return {}


@procedure(
    f"{NAMESPACE}::DeleteSMTPDomainByGUID",
    args=(
        Arg("GUID", "guid", required=True, description="The GUID of the orphaned organization."),
        DOMAIN_NAME,
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=DOMAIN_ADMINS_ONLY,
)
def smtp_domain_delete_by_guid(
    ctx: CallContext, *, GUID: uuid.UUID, domainName: str, preferredDomainController: str
) -> dict:
    """Remove an SMTP domain of an organization whose directory entry was deleted (dd251949),
    from the Plans database asset alone: the only directory call checks that no object with that
    GUID exists, else ``The object with GUID %GUID% was found in Active Directory. This procedure
    should only be used when the corresponding Active Directory object has been deleted.``
    Answers ``DomainName``."""
    given = argument_text(ctx, "GUID")
    if ctx.directory.find_guid(GUID) is not None:
        raise PrerequisiteFailed(GUID_FOUND_PROCEDURE.replace("%GUID%", given), field="GUID")
    domain = smtp_domain_normalize(domainName)
    _domain_forget(ctx, GUID, f"the organization with GUID {given}", domain)
    return {"DomainName": domain}
