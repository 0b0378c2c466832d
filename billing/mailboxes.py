"""The one place billing acts on the service it bills for: the mailboxes of an account's
organization, disabled when the account is suspended and enabled again when it is restored.

Billing imports no other app. It calls the hosted e-mail service's own procedures by name,
``Hosted Email 2007::DisableMailbox`` and ``Hosted Email 2007::EnableMailbox`` (argument ``user``,
the LDAP path of a user whose mailbox it is, and ``preferredDomainController`` when they take it:
the calling procedure's, else the portal's default), as nested calls of the billing procedure that
suspends or restores, so that they run in the same transaction, are undone with it and appear in
its audit record. They run as the portal's service identity: the consequence of non-payment is the
portal's own, whoever recorded the payment.

Until those procedures are registered (the mail service may not be installed), the step changes
no mailbox and says so in its answer (``mailboxes: "not available"``); the account's status, its
reason and the amount due are kept on the account either way, and a later suspension or
restoration acts on the mailboxes once the procedures exist.

Which users: every user entry under the account's customer record (an organization, or a single
user) that has a mail address. A user without a mailbox (no SMTP address among the mail attributes
the mail servers read, :mod:`portal.directory.mail`) is skipped before any call, so a skip leaves
no failed call in the audit records; one the mail service still reports as having no mailbox
(:class:`~portal.errors.NotFound` or :class:`~portal.errors.PrerequisiteFailed`, a change made in
between) is skipped too.
"""

from __future__ import annotations

from billing.models import BillingAccount
from portal.directory import domain_controller_default
from portal.directory.mail import mail_attributes, proxy_addresses_read
from portal.engine import CallContext, Impersonate, lookup
from portal.errors import NotFound, PrerequisiteFailed

DISABLE_MAILBOX = "Hosted Email 2007::DisableMailbox"
ENABLE_MAILBOX = "Hosted Email 2007::EnableMailbox"
USER_FILTER = "(&(objectClass=hostingUser)(mail=*))"


def mailbox_procedures_available() -> bool:
    """Whether the mail service's DisableMailbox and EnableMailbox are registered."""
    for name in (DISABLE_MAILBOX, ENABLE_MAILBOX):
        namespace, _, procedure = name.partition("::")
        try:
            lookup(namespace, procedure)
        except NotFound:
            return False
    return True


def account_mailboxes_set(ctx: CallContext, account: BillingAccount, *, enabled: bool) -> dict:
    """Disable (``enabled=False``) or enable every mailbox of the account's organization through
    the mail service's procedures; answers what it did: ``{"mailboxes": [paths], "skipped":
    [paths]}``, or ``{"mailboxes": "not available"}`` when the procedures are not registered."""
    record = account.customer_record
    if record is None:
        return {"mailboxes": [], "skipped": []}
    if not mailbox_procedures_available():
        return {"mailboxes": "not available", "skipped": []}
    procedure = ENABLE_MAILBOX if enabled else DISABLE_MAILBOX
    namespace, _, name = procedure.partition("::")
    extra = {}
    if lookup(namespace, name).schema.arg("preferredDomainController") is not None:
        # the domain controller of the calling procedure, else the one the portal uses by default
        extra["preferredDomainController"] = (
            ctx.args.get("preferredDomainController") or domain_controller_default()
        )
    addresses = mail_attributes(ctx.directory.flavor).addresses.lower()
    done: list[str] = []
    skipped: list[str] = []
    for user in ctx.directory.search(record.dn, USER_FILTER):
        path = f"LDAP://{user.dn}"
        if proxy_addresses_read(user.attrs.get(addresses, [])) is None:
            skipped.append(path)  # no mailbox: nothing for the mail service to do
            continue
        try:
            ctx.call(procedure, {"user": path, **extra}, impersonate=Impersonate.SERVICE)
        except (NotFound, PrerequisiteFailed):
            skipped.append(path)
            continue
        done.append(path)
    return {"mailboxes": done, "skipped": skipped}
