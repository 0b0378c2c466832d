"""The Billing namespace: every billing state change, one module per subject; importing the
package registers every procedure with the engine.

- ``accounts``: the catalogue (services, packages), accounts and their cards, user packages
  (seed 004, ``AddPackageToUserWithOptionalServices``), bill cycles and card charges.
- ``lifecycle``: EngageIP's cancel, status, payment and read operations (``CancelUserPackage``,
  ``UpdateUserStatusWithOption``, ``AddPayment``, ``GetInvoices``, ...).
- ``dunning``: ``RunDunning`` and the dunning policies.
"""

from billing.procedures import accounts, dunning, lifecycle  # noqa: F401
