"""What the provisioning procedures tell the other apps.

``users_deleted`` is sent inside the engine's transaction, after users' directory entries were
deleted (by ``DeleteUser``, or with their organization by ``DeleteOrganization``), with
``entries``: the deleted users' :class:`~portal.directory.Entry` objects. A receiver ends what the
users held (a mailbox's plan, for one); if it raises, the call fails and everything, directory
included, is undone.
"""

from django.dispatch import Signal

users_deleted = Signal()
