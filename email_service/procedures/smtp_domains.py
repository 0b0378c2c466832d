"""SMTP domains: the organization's assets in the Plans database that say which mail it receives,
and the domains its directory entry accepts (``uPNSuffixes``). ``CreateSMTPDomain`` lives with
the mailboxes (``mailboxes.py``): it gives the mail server its domain."""

from __future__ import annotations

import uuid

from email_service.models import SmtpDomain
from email_service.procedures.common import (
    DOMAIN_ADMINS_ONLY,
    GUID_FOUND_PROCEDURE,
    GUID_OR_ORGANIZATION,
    GUID_SECURITY,
    NAMESPACE,
    argument_text,
    organization_entry,
    smtp_domain_normalize,
)
from email_service.procedures.mailboxes import accepted_domains, accepted_domains_set, domain_in_use
from portal.directory import dn_to_path
from portal.engine import PREFERRED_DOMAIN_CONTROLLER, Arg, CallContext, procedure
from portal.errors import NotFound, PrerequisiteFailed

DOMAIN_NAME = Arg("domainName", required=True, max_length=253, description="The SMTP domain.")


def _domain_forget(ctx: CallContext, guid: uuid.UUID, where: str, domain: str, entry=None) -> None:
    asset = SmtpDomain.objects.filter(name=domain, organization_guid=guid).first()
    if asset is None:
        raise NotFound(f"The SMTP domain {domain} is not registered to {where}.", field="domainName")
    if entry is not None:
        user = domain_in_use(ctx, entry, domain)
        if user is not None:
            raise PrerequisiteFailed(
                f"The SMTP domain {domain} is still used by {user}; change or delete its addresses first.",
                field="domainName",
            )
    asset.delete()
    if entry is not None:
        accepted = accepted_domains(ctx, entry)
        kept = [item for item in accepted if item.lower() != domain]
        if len(kept) != len(accepted):
            accepted_domains_set(ctx, entry, kept)


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
    database record and the organization's accepted domain (``uPNSuffixes``), so that the mail
    server no longer accepts mail for it and the domain is free for use again. A domain that a
    mailbox or list of the organization still uses is refused. Seed 001 calls it for an orphaned
    organization by ``GUID`` (DomainAdmins): then no directory call is made, the asset alone says
    which domain to delete. Answers nothing (``<executeData/>``)."""
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
