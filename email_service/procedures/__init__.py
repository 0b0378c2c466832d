"""The Hosted Email 2007 namespace (seed ``001``: ``Hosted Email 2007::Unsubscribe`` and its
"See also" list): plans, plan availability, subscriptions, SMTP domains, user plans, mailboxes and
distribution lists.

Reads answer their data inside ``executeData`` (the input mirrored, the data added), so that an
MPS ``<after source="executeData" destination="data" mode="merge"/>`` carries it into the
response's ``<data>``.

One module per subject; importing the package registers every procedure with the engine.
"""

from email_service.procedures import assignments, mailboxes, plans, smtp_domains, subscriptions  # noqa: F401
