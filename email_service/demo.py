"""The hosted e-mail service's demo data (docs/email.md "Demo data"), loaded through the engine by
``manage.py load_demo``; running it again changes nothing."""

from __future__ import annotations

from email_service.models import OrganizationPlan, Subscription, UserPlan
from portal.directory import dn_to_path, get_gateway
from portal.directory.mail import mail_attributes, proxy_addresses_read
from portal.engine import Batch, Caller, Impersonate

HOSTING = "OU=Hosting,DC=fabrikam,DC=com"
RESELLERS = [f"OU=ConsolidatedMessenger,{HOSTING}", f"OU=Contoso,{HOSTING}"]

# Organization plans as (description, storage MB, mailboxes, default mailbox MB, protocols, user
# plans as (name, description, mailbox MB, protocols)). BronzeMailHosting and BronzeMailbox are the
# plans Microsoft's HMC examples name, so that those examples run against the demo.
EMAIL_PLANS = {
    "Business Basic": (
        "Ten mailboxes for a small business",
        10240,
        10,
        1024,
        ["POP", "IMAP", "OWA"],
        [
            ("Basic Mailbox", "1 GB with POP, IMAP and webmail", 1024, ["POP", "IMAP", "OWA"]),
            ("Webmail Only", "512 MB, webmail only", 512, ["OWA"]),
        ],
    ),
    "Business Premium": (
        "Fifty large mailboxes with ActiveSync",
        102400,
        50,
        4096,
        ["POP", "IMAP", "OWA", "ActiveSync"],
        [
            ("Premium Mailbox", "4 GB with every protocol", 4096, ["POP", "IMAP", "OWA", "ActiveSync"]),
            ("Standard Mailbox", "2 GB with POP, IMAP and webmail", 2048, ["POP", "IMAP", "OWA"]),
        ],
    ),
    "BronzeMailHosting": (
        "Bronze mail hosting: five mailboxes",
        5120,
        5,
        512,
        ["POP", "IMAP", "OWA"],
        [("BronzeMailbox", "Bronze mailbox: 512 MB", 512, ["POP", "IMAP", "OWA"])],
    ),
}
ALPINE = f"OU=AlpineSkiHouse,OU=ConsolidatedMessenger,{HOSTING}"
EMAIL_SUBSCRIPTION = (ALPINE, "Business Premium", "alpineskihouse.com")
ALPINE_PLANS = ["Business Premium", "BronzeMailHosting"]
EMAIL_USER_PLANS = [(f"CN=Jane Smith,{ALPINE}", "Standard Mailbox")]
MEBIBYTE = 1024 * 1024
SEND_QUOTA_MAX = 2_147_483_647
# Mailboxes as (user, user plan, alias, addresses): mail to them flows on `make run`'s servers.
EMAIL_MAILBOXES = [
    (f"CN=Jane Smith,{ALPINE}", "Standard Mailbox", "jane.smith", ["jane.smith@alpineskihouse.com"]),
]


def load_email_service(batch: Batch, dc: str) -> None:
    """The e-mail demo: three organization plans available to both resellers, Business Premium
    and BronzeMailHosting available to AlpineSkiHouse, AlpineSkiHouse subscribed to Business
    Premium with alpineskihouse.com, Jane Smith on Standard Mailbox with a mailbox at
    jane.smith@alpineskihouse.com. What exists already is left alone."""

    def call(name: str, data: dict) -> None:
        batch.call(
            f"Hosted Email 2007::{name}",
            {**data, "preferredDomainController": dc},
            impersonate=Impersonate.SERVICE,
        )

    for plan_name, (description, storage, mailboxes, default, protocols, user_plans) in EMAIL_PLANS.items():
        if not OrganizationPlan.objects.filter(name__iexact=plan_name).exists():
            call(
                "CreateOrganizationPlan",
                {
                    "planName": plan_name,
                    "description": description,
                    "features": {
                        "mailStore": {
                            "dynamicQuota": 0,
                            "megabytes": storage,
                            "shared": 1,
                            "algorithm": "level",
                        },
                        "maxMailboxes": mailboxes,
                        "defaultMailboxMegabytes": default,
                        "protocols": {"protocol": protocols},
                    },
                },
            )
        for name, user_description, size, user_protocols in user_plans:
            if not UserPlan.objects.filter(
                organization_plan__name__iexact=plan_name, name__iexact=name
            ).exists():
                call(
                    "CreateUserPlan",
                    {
                        "planName": name,
                        "description": user_description,
                        "organizationPlanName": plan_name,
                        "features": {
                            # the page's prohibitSendQuota stops at 2,147,483,647 bytes; the
                            # mailbox size is prohibitSendReceiveQuota
                            "prohibitSendQuota": min(size * MEBIBYTE, SEND_QUOTA_MAX),
                            "prohibitSendReceiveQuota": size * MEBIBYTE,
                            "protocols": {"protocol": user_protocols},
                        },
                    },
                )
    for reseller in RESELLERS:
        call(
            "AddAvailablePlans",
            {"organization": dn_to_path(reseller), "availablePlans": {"planName": list(EMAIL_PLANS)}},
        )
    organization, plan_name, domain = EMAIL_SUBSCRIPTION
    call(
        "AddAvailablePlans",
        {"organization": dn_to_path(organization), "availablePlans": {"planName": ALPINE_PLANS}},
    )
    if not Subscription.objects.at_path(organization).exists():
        call("Subscribe", {"organization": dn_to_path(organization), "planName": plan_name})
    # the domain the mail server accepts (again, for a directory kept from before it did)
    call("CreateSMTPDomain", {"organization": dn_to_path(organization), "domainName": domain})
    for user, user_plan in EMAIL_USER_PLANS:
        call("ModifyUserPlan", {"user": dn_to_path(user), "planName": user_plan})
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
