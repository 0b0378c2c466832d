"""The hosted e-mail service's demo data (docs/email.md "Demo data"), loaded through the engine by
``manage.py load_demo``; running it again changes nothing."""

from __future__ import annotations

from email_service.models import OrganizationPlan, Subscription, UserPlan
from portal.directory import dn_to_path, get_gateway
from portal.directory.mail import mail_attributes, proxy_addresses_read
from portal.engine import Batch, Caller, Impersonate

HOSTING = "OU=Hosting,DC=fabrikam,DC=com"
RESELLERS = [f"OU=ConsolidatedMessenger,{HOSTING}", f"OU=Contoso,{HOSTING}"]

# Organization plans as (limits, features, user plans as (name, mailbox MB, features)).
EMAIL_PLANS = {
    "Business Basic": (
        {"maxMailboxes": 10, "defaultMailboxSizeMB": 1024, "maxStorageMB": 10240},
        ["POP", "IMAP", "OWA"],
        [("Basic Mailbox", 1024, ["POP", "IMAP", "OWA"]), ("Webmail Only", 512, ["OWA"])],
    ),
    "Business Premium": (
        {"maxMailboxes": 50, "defaultMailboxSizeMB": 4096, "maxStorageMB": 102400},
        ["POP", "IMAP", "OWA", "ActiveSync"],
        [
            ("Premium Mailbox", 4096, ["POP", "IMAP", "OWA", "ActiveSync"]),
            ("Standard Mailbox", 2048, ["POP", "IMAP", "OWA"]),
        ],
    ),
}
ALPINE = f"OU=AlpineSkiHouse,OU=ConsolidatedMessenger,{HOSTING}"
EMAIL_SUBSCRIPTION = (ALPINE, "Business Premium", "alpineskihouse.com")
EMAIL_USER_PLANS = [(f"CN=Jane Smith,{ALPINE}", "Standard Mailbox")]
# Mailboxes as (user, user plan, alias, addresses): mail to them flows on `make run`'s servers.
EMAIL_MAILBOXES = [
    (f"CN=Jane Smith,{ALPINE}", "Standard Mailbox", "jane.smith", ["jane.smith@alpineskihouse.com"]),
]


def load_email_service(batch: Batch, dc: str) -> None:
    """The e-mail demo: two organization plans available to both resellers, AlpineSkiHouse
    subscribed to Business Premium with alpineskihouse.com, Jane Smith on Standard Mailbox with a
    mailbox at jane.smith@alpineskihouse.com. What exists already is left alone."""

    def call(name: str, data: dict) -> None:
        batch.call(
            f"Hosted Email 2007::{name}",
            {**data, "preferredDomainController": dc},
            impersonate=Impersonate.SERVICE,
        )

    for plan_name, (limits, features, user_plans) in EMAIL_PLANS.items():
        if not OrganizationPlan.objects.filter(name__iexact=plan_name).exists():
            call("CreateOrganizationPlan", {"name": plan_name, **limits, "features": {"feature": features}})
        for name, size, user_features in user_plans:
            if not UserPlan.objects.filter(
                organization_plan__name__iexact=plan_name, name__iexact=name
            ).exists():
                call(
                    "CreateUserPlan",
                    {
                        "name": name,
                        "organizationPlan": plan_name,
                        "mailboxSizeMB": size,
                        "features": {"feature": user_features},
                    },
                )
    for reseller in RESELLERS:
        call(
            "AddAvailablePlans", {"organization": dn_to_path(reseller), "plans": {"plan": list(EMAIL_PLANS)}}
        )
    organization, plan_name, domain = EMAIL_SUBSCRIPTION
    call("AddAvailablePlans", {"organization": dn_to_path(organization), "plans": {"plan": [plan_name]}})
    if not Subscription.objects.at_path(organization).exists():
        call(
            "Subscribe",
            {"organization": dn_to_path(organization), "organizationPlan": plan_name, "smtpDomain": domain},
        )
    # the domain the mail server accepts (again, for a directory kept from before it did)
    call("CreateSMTPDomain", {"organization": dn_to_path(organization), "domainName": domain})
    for user, user_plan in EMAIL_USER_PLANS:
        call("ModifyUserPlan", {"user": dn_to_path(user), "userPlan": user_plan})
    gateway = get_gateway(dc)
    addresses_attribute = mail_attributes(gateway.flavor).addresses.lower()
    for user, user_plan, alias, addresses in EMAIL_MAILBOXES:
        entry = gateway.get(user)
        if entry is not None and proxy_addresses_read(entry.attrs.get(addresses_attribute, [])) is None:
            call(
                "CreateMailbox",
                {
                    "user": dn_to_path(user),
                    "planName": user_plan,
                    "alias": alias,
                    "emailAddresses": {"value": addresses},
                },
            )


def demo_load(dc: str) -> str:
    """The e-mail service's part of ``manage.py load_demo``."""
    with Batch(Caller.service(), "command") as batch:
        load_email_service(batch, dc)
    return "e-mail plans; AlpineSkiHouse subscribed with alpineskihouse.com; Jane Smith's mailbox"
