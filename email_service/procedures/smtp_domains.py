"""SMTP domains: the organization's assets in the Plans database that say which mail it receives."""

from __future__ import annotations

import uuid

from email_service.models import (
    SmtpDomain,
)
from email_service.procedures.common import (
    GUID_OR_ORGANIZATION,
    GUID_SECURITY,
    NAMESPACE,
    argument_text,
    organization_entry,
    smtp_domain_normalize,
)
from email_service.procedures.mailboxes import accepted_domains, accepted_domains_set, domain_in_use
from portal.directory import dn_to_path
from portal.engine import (
    PREFERRED_DOMAIN_CONTROLLER,
    Arg,
    CallContext,
    procedure,
)
from portal.errors import NotFound, PrerequisiteFailed


@procedure(
    f"{NAMESPACE}::DeleteSMTPDomain",
    args=(
        Arg("organization", "path", description="The LDAP path of the organization."),
        Arg("GUID", "guid", description="The GUID of an orphaned organization (DomainAdmins)."),
        Arg("smtpDomain", required=True, max_length=253, description="The SMTP domain to delete."),
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
    smtpDomain: str,
    preferredDomainController: str,
) -> dict:
    """Delete an SMTP domain asset of an organization's Plans database record, so that the domain
    is free for use again, and take it off the organization's ``uPNSuffixes``: the mail server no
    longer accepts mail for it. A domain that a mailbox or list of the organization still uses is
    refused. By ``GUID`` (DomainAdmins) no directory call is made: the asset alone says which
    domain to delete.

    Answers the input.
    """
    domain = smtp_domain_normalize(smtpDomain)
    if GUID is not None:
        guid, where = GUID, f"the organization with GUID {argument_text(ctx, 'GUID')}"
        entry = None
    else:
        entry = organization_entry(ctx, organization)
        guid, where = entry.guid, dn_to_path(entry.dn)
    asset = SmtpDomain.objects.filter(name=domain, organization_guid=guid).first()
    if asset is None:
        raise NotFound(f"The SMTP domain {domain} is not registered to {where}.", field="smtpDomain")
    if entry is not None:
        user = domain_in_use(ctx, entry, domain)
        if user is not None:
            raise PrerequisiteFailed(
                f"The SMTP domain {domain} is still used by {user}; change or delete its addresses first.",
                field="smtpDomain",
            )
    asset.delete()
    if entry is not None:
        accepted = accepted_domains(ctx, entry)
        kept = [item for item in accepted if item.lower() != domain]
        if len(kept) != len(accepted):
            accepted_domains_set(ctx, entry, kept)
    return ctx.mirror()
