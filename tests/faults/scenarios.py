"""The multi-step batches the fault tests break, and the checker that compares the directory with
the database afterwards. Used in the test process and in the child process a test kills."""

from __future__ import annotations

from portal.directory import dn_to_path, get_gateway
from portal.engine import Batch, Caller, Impersonate
from portal.models import AuditRecord
from tests.conftest import CM, DC

STRONG = "Str0ng-Secret"
NS = "Hosted Email 2007"
PLAN = "Business Basic"
SCENARIOS = ("create", "subscribe", "delete", "import")


def org_dn(name: str) -> str:
    return f"OU={name},{CM}"


def _service_batch():
    return Batch(Caller.service(), "fault")


def _call(batch, procedure: str, data: dict) -> dict:
    return batch.call(procedure, {"preferredDomainController": DC, **data}, impersonate=Impersonate.SERVICE)


def create(name: str, users: int = 4) -> None:
    """An organization and its users in one batch (a request of several executes)."""
    with _service_batch() as batch:
        _call(
            batch,
            "Hosted Exchange::CreateBusinessOrganization",
            {"container": dn_to_path(CM), "name": name, "SMTPDomain": f"{name.lower()}.example.com"},
        )
        for index in range(users):
            _call(
                batch,
                "Hosted Exchange::CreateBusinessUser",
                {
                    "container": dn_to_path(org_dn(name)),
                    "userPrincipalName": f"{name.lower()}u{index}@{name.lower()}.example.com",
                    "newPassword": STRONG,
                    "isAdmin": "1" if index == 0 else "0",
                },
            )


def subscribe(name: str) -> None:
    """An organization made, offered a plan and subscribed, with two users, in one batch."""
    with _service_batch() as batch:
        _call(
            batch,
            "Hosted Exchange::CreateBusinessOrganization",
            {"container": dn_to_path(CM), "name": name, "SMTPDomain": f"{name.lower()}.example.com"},
        )
        _call(
            batch,
            f"{NS}::AddAvailablePlans",
            {"organization": org_dn(name), "availablePlans": {"planName": [PLAN]}},
        )
        _call(batch, f"{NS}::Subscribe", {"organization": org_dn(name), "planName": PLAN})
        for index in range(2):
            _call(
                batch,
                "Hosted Exchange::CreateBusinessUser",
                {
                    "container": dn_to_path(org_dn(name)),
                    "userPrincipalName": f"{name.lower()}u{index}@{name.lower()}.example.com",
                    "newPassword": STRONG,
                    "isAdmin": "0",
                },
            )


def delete(name: str) -> None:
    """A recursive delete of an organization made (without faults) with its users."""
    with _service_batch() as batch:
        _call(
            batch,
            "Managed Active Directory::DeleteOrganization",
            {"org": dn_to_path(org_dn(name)), "recursive": "1"},
        )


def bulk_import(name: str, rows: int = 5) -> None:
    """A bulk import into an organization: one batch per row."""
    from customers.bulk import users_import

    users_import(
        [
            {
                "container": dn_to_path(org_dn(name)),
                "userPrincipalName": f"{name.lower()}i{index}@{name.lower()}.example.com",
                "newPassword": STRONG,
                "customerTypeName": "BusinessUser",
            }
            for index in range(rows)
        ],
        caller=Caller.service(),
        preferred_domain_controller=DC,
        door="fault",
    )


def arrange(scenario: str, name: str) -> None:
    """What a scenario needs before the fault: an organization with users to delete or to import
    into."""
    if scenario in ("delete", "import"):
        create(name, users=3 if scenario == "delete" else 0)


def run_scenario(scenario: str, name: str) -> None:
    {"create": create, "subscribe": subscribe, "delete": delete, "import": bulk_import}[scenario](name)


def agreement() -> list[str]:
    """What the directory and the database disagree on about the fault tests' organizations (all
    named ``Fault...``; empty: they agree).

    Every customer record has its directory object (same GUID) and every user or organization
    has its record (the scenarios register all they make); every
    subscription's organization exists; every organization made has its administrators group."""
    from email_service.models import Subscription
    from hosting.models import CustomerRecord

    gateway = get_gateway(DC)
    entries = [
        entry
        for entry in gateway.search(CM)
        if entry.kind in ("user", "organization") and ",ou=fault" in ("," + entry.dn.lower())
    ]
    in_directory = {str(entry.guid): entry.dn for entry in entries}
    records = {
        str(guid): dn
        for guid, dn in CustomerRecord.objects.filter(dn_key__contains="ou=fault").values_list("guid", "dn")
    }
    problems = [
        f"record without directory object: {dn}" for guid, dn in records.items() if guid not in in_directory
    ]
    problems += [
        f"directory object without record: {dn}" for guid, dn in in_directory.items() if guid not in records
    ]
    for subscription in Subscription.objects.all():
        if str(subscription.organization_guid) not in in_directory:
            problems.append(f"subscription without organization: {subscription.dn}")
    for entry in entries:
        if entry.kind == "organization" and gateway.get(f"CN=CustomerAdministrators,{entry.dn}") is None:
            problems.append(f"organization without its group: {entry.dn}")
    return problems


def audited(procedure: str, name: str) -> bool:
    """Whether a top-level call naming ``name`` has its audit record."""
    return any(
        name.lower() in str(record.input).lower()
        for record in AuditRecord.objects.filter(procedure=procedure, parent=None)
    )


#: the top-level procedure each scenario calls first, as its audit record names it
FIRST_CALL = {
    "create": "CreateBusinessOrganization",
    "subscribe": "CreateBusinessOrganization",
    "delete": "DeleteOrganization",
    "import": "CreateBusinessUser",
}
