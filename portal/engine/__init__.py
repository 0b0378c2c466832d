"""The procedure engine: registry, input schemas, security, transaction and undo, audit."""

from portal.engine.args import PREFERRED_DOMAIN_CONTROLLER, PREFERRED_DOMAIN_CONTROLLER_OPTIONAL
from portal.engine.core import (
    Batch,
    BatchSeries,
    CallContext,
    Impersonate,
    InternalError,
    batch_current,
    preflight,
    run,
)
from portal.engine.registry import Procedure, all_procedures, lookup, procedure
from portal.engine.reservations import latest_committed, reserve
from portal.engine.schema import Arg, Schema, jsonable
from portal.engine.security import (
    BILLING_ADMINS,
    CUSTOMER_ADMINISTRATORS,
    DOMAIN_ADMINS,
    ORG_CREATORS,
    ROLES,
    Caller,
    Security,
    require_role,
    require_scope,
)

__all__ = [
    "BILLING_ADMINS",
    "CUSTOMER_ADMINISTRATORS",
    "DOMAIN_ADMINS",
    "ORG_CREATORS",
    "PREFERRED_DOMAIN_CONTROLLER",
    "PREFERRED_DOMAIN_CONTROLLER_OPTIONAL",
    "ROLES",
    "Arg",
    "Batch",
    "BatchSeries",
    "CallContext",
    "Caller",
    "Impersonate",
    "InternalError",
    "Procedure",
    "Schema",
    "Security",
    "all_procedures",
    "batch_current",
    "jsonable",
    "latest_committed",
    "lookup",
    "preflight",
    "procedure",
    "require_role",
    "require_scope",
    "reserve",
    "run",
]
