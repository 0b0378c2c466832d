"""The procedures of the customers app, registered with the engine when imported.

- ``plans``: the Plans database (seed ``000``: ``MPS Import::EnableCustomerForPlans``).
- ``directory``: ``Managed Active Directory::`` creating and deleting organizations and users.
- ``groups``: ``Managed Active Directory::GroupAdd`` and ``::GroupRemove``, an organization's
  administrators.
- ``hosted_exchange``: ``HostedExchange::`` creating and registering in one call.
- ``imports``: ``MPS Import::`` bringing objects into the hosting tree and making them compliant.
"""

from customers.procedures import directory, groups, hosted_exchange, imports, plans
from customers.procedures.plans import (
    ANY_ROLE,
    CUSTOMER_TYPE_CHOICES,
    ORGANIZATION_CUSTOMER_TYPE,
    PATH,
    customer_enable_for_plans,
    customer_record_create,
    org_type_get,
)

__all__ = [
    "ANY_ROLE",
    "CUSTOMER_TYPE_CHOICES",
    "ORGANIZATION_CUSTOMER_TYPE",
    "PATH",
    "customer_enable_for_plans",
    "customer_record_create",
    "directory",
    "groups",
    "hosted_exchange",
    "imports",
    "org_type_get",
    "plans",
]
