"""Argument declarations that procedures of several apps share (the seeds give them one meaning
everywhere, so they are declared once)."""

from __future__ import annotations

from portal.engine.schema import Arg

#: The seeds' ``preferredDomainController``: the domain controller whose directory the call reads
#: and writes, by its FQDN; the engine refuses one that is not configured before anything runs.
PREFERRED_DOMAIN_CONTROLLER = Arg(
    "preferredDomainController",
    required=True,
    description="The domain controller to use for Active Directory actions (its FQDN).",
)
