"""Reads of the audit records, filtered by the caller's scope: history and last changes."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.directory import dn_key, dn_normalize, dn_parent, dn_to_path
from portal.engine import Caller, all_procedures
from portal.models import AuditRecord


def _changes() -> QuerySet[AuditRecord]:
    reads = [(p.namespace, p.name) for p in all_procedures() if p.reads]
    records = AuditRecord.objects.filter(parent__isnull=True, status=AuditRecord.Status.SUCCEEDED)
    for namespace, name in reads:
        records = records.exclude(namespace=namespace, procedure=name)
    return records


def audit_history(
    *, dn: str | None = None, subject: str | None = None, limit: int = 20, reads: bool = True
) -> list[AuditRecord]:
    """The latest calls about one object, by its DN (any letter case) or its audit subject; the
    caller of this selector has already checked that the object is in scope. ``reads=False``
    leaves out the calls of procedures that only read (a page's own reads, for instance).

    By DN, the call that created the object is included too: its subject is the organization it
    was created in (which keeps it in that organization's history), and its answer names the new
    object's path.

    A nested call about the object is included when the top-level call it was part of is about
    something else (billing's ``DisableMailbox`` of a user, made by ``Billing::RunDunning``); it
    carries that top-level call as ``part_of`` (None on a top-level call). A nested call whose
    top-level call is in the object's history itself stays inside that call's line."""
    key = dn_key(dn) if dn else (subject or "")
    about = Q(subject=key)
    if dn:
        path = dn_to_path(dn_normalize(dn))
        # the answer names it as ``path``, or as the ``path`` attribute of its ``org`` / ``user``
        # element (Managed Active Directory::CreateOrganization, ::CreateUser)
        named = Q(output__path__iexact=path) | Q(**{"output__org__@path__iexact": path})
        named |= Q(**{"output__user__@path__iexact": path})
        about |= Q(named, subject=dn_key(dn_parent(dn)))
    top_level = Q(about, parent__isnull=True)
    records = AuditRecord.objects.filter(top_level | Q(subject=key, parent__isnull=False))
    if not reads:
        read_calls = Q(pk__in=[])
        for proc in all_procedures():
            if proc.reads:
                read_calls |= Q(namespace=proc.namespace, procedure=proc.name)
        records = records.exclude(read_calls)
    found: list[AuditRecord] = []
    for record in records.select_related("parent").iterator(chunk_size=limit * 2):
        record.part_of = _top_level(record)
        if (
            record.part_of is not None
            and AuditRecord.objects.filter(top_level, pk=record.part_of.pk).exists()
        ):
            continue  # its top-level call is about the object too: that line stands for both
        found.append(record)
        if len(found) == limit:
            break
    return found


def _top_level(record: AuditRecord) -> AuditRecord | None:
    """The top-level call a nested call was part of; None for a top-level call."""
    top = record.parent
    while top is not None and top.parent_id is not None:
        top = top.parent
    return top


def audit_changes_in_scope(caller: Caller, *, limit: int = 10) -> list[AuditRecord]:
    """The latest successful changes to objects inside ``caller``'s scope (DomainAdmins: all)."""
    records = _changes()
    if caller.read_scope_dn is None:
        return []
    if "DomainAdmins" not in caller.roles:
        scope = dn_key(caller.read_scope_dn)
        records = records.filter(Q(subject=scope) | Q(subject__endswith="," + scope))
    return list(records[:limit])
