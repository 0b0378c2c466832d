"""The e-mail service's answers to what other apps report."""

from __future__ import annotations

from django.dispatch import receiver

from customers.signals import users_deleted
from email_service.models import UserPlanAssignment


@receiver(users_deleted, dispatch_uid="email_service.mailboxes_end")
def mailboxes_end(sender, *, entries, **kwargs) -> None:
    """A deleted user's mailbox ends: its user plan assignment goes, so it no longer counts
    against its organization's mailbox and storage limits."""
    guids = [entry.guid for entry in entries if entry.guid]
    if guids:
        UserPlanAssignment.objects.filter(user_guid__in=guids).delete()
