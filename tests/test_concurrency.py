"""Uniqueness under concurrency: twenty calls at once that create the same thing, through the real
doors, each in a thread of its own with its own database connection. Exactly one succeeds; every
other one is refused with 409 (Conflict), none answers 500, and the directory and the database hold
the one object.

On PostgreSQL the calls really run side by side (the reservations of ``portal/engine/reservations.py``
make them wait for each other where they name the same thing); on SQLite the database's write lock
lets one batch write at a time, and the same assertions hold.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from xml.sax.saxutils import escape

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from lxml import etree

from email_service.models import SmtpDomain, Subscription
from hosting.models import CustomerRecord
from portal.directory import dn_to_path
from portal.engine import Batch, Caller, Impersonate
from portal.models import AuditRecord
from tests.conftest import ALPINE, CM, CONTOSO, DC, HOSTING, NORTHWIND, basic

pytestmark = pytest.mark.django_db(transaction=True)

CALLS = 20
STRONG = "Zq7!mountain-Lake"
NS = "Hosted Email 2007"


def _mps_body(namespace: str, procedure: str, data: dict[str, str]) -> str:
    fields = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in data.items())
    return (
        f'<request><procedure><execute namespace="{namespace}" procedure="{procedure}" impersonate="1">'
        f"<executeData>{fields}</executeData></execute></procedure></request>"
    )


def mps_call(namespace: str, procedure: str, data: dict[str, str], user: str = "administrator"):
    body = _mps_body(namespace, procedure, {**data, "preferredDomainController": DC})

    def send(client: Client):
        return client.post("/mps/", data=body, content_type="text/xml", HTTP_AUTHORIZATION=basic(user))

    return send


def rest_call(namespace: str, procedure: str, data: dict, user: str = "administrator"):
    body = {
        "namespace": namespace,
        "procedure": procedure,
        "executeData": {"preferredDomainController": DC, **data},
    }

    def send(client: Client):
        return client.post(
            "/api/procedures/", data=body, content_type="application/json", HTTP_AUTHORIZATION=basic(user)
        )

    return send


def race(calls: list[Callable[[Client], object]]) -> list[object]:
    """Send the calls at once, one thread each; the answers (or what a thread raised) in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[object] = [None] * len(calls)

    def one(number: int) -> None:
        client = Client(raise_request_exception=False)
        try:
            barrier.wait(30)
            answers[number] = calls[number](client)
        except Exception as exc:  # reported below as what it is
            answers[number] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(number,)) for number in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a call never answered"
    return answers


def statuses(answers: list[object]) -> Counter:
    return Counter(getattr(answer, "status_code", repr(answer)) for answer in answers)


def mps_error_code(response) -> str:
    root = etree.fromstring(response.content)
    assert root.tag == "response", response.content
    return root.find("errorContext").get("code")


def exactly_one_succeeded(answers: list[object]) -> int:
    """Exactly one 200 and every other answer 409; returns the winner's index."""
    assert statuses(answers) == Counter({200: 1, 409: CALLS - 1}), [
        (getattr(a, "status_code", a), getattr(a, "content", b"")[:300]) for a in answers
    ]
    return next(i for i, answer in enumerate(answers) if answer.status_code == 200)


@pytest.fixture
def logged_in(login):
    """The callers' accounts exist before the race (a first login creates the account)."""
    for name in ("administrator", "cm-admin"):
        login(name)


def provider_run(calls: list[tuple[str, dict]]) -> None:
    with Batch(Caller.service(), "command") as batch:
        for name, data in calls:
            batch.call(name, {"preferredDomainController": DC, **data}, impersonate=Impersonate.SERVICE)


def test_twenty_creates_of_one_organization_name_make_one_organization(logged_in, gateway):
    call = mps_call(
        "Managed Active Directory",
        "CreateOrganization",
        {"container": dn_to_path(CM), "name": "Tailspin Toys", "policyName": "customer"},
    )
    answers = race([call] * CALLS)

    exactly_one_succeeded(answers)
    assert {mps_error_code(a) for a in answers if a.status_code == 409} == {"0x80071392"}
    assert len(gateway.search(CM, "(ou=Tailspin Toys)", scope="onelevel")) == 1
    assert AuditRecord.objects.filter(procedure="CreateOrganization", parent=None).count() == CALLS


def test_twenty_business_organizations_with_one_smtp_domain_make_one(logged_in, gateway):
    calls = [
        mps_call(
            "Hosted Exchange",
            "CreateBusinessOrganization",
            {"container": dn_to_path(CM), "name": f"Racer {number}", "SMTPDomain": "racers.example.com"},
        )
        for number in range(CALLS)
    ]
    answers = race(calls)

    winner = exactly_one_succeeded(answers)
    holders = gateway.search(HOSTING, "(uPNSuffixes=racers.example.com)")
    assert [entry.name for entry in holders] == [f"Racer {winner}"]
    # the losers left nothing: no organization, no Plans database record
    assert len(gateway.search(CM, "(ou=Racer *)", scope="onelevel")) == 1
    assert list(CustomerRecord.objects.values_list("name", flat=True)) == [f"Racer {winner}"]


def test_twenty_users_with_one_logon_name_in_different_organizations_make_one(logged_in, gateway):
    organizations = (ALPINE, NORTHWIND, CM, CONTOSO)
    calls = [
        mps_call(
            "Managed Active Directory",
            "CreateUser",
            {
                "container": dn_to_path(organizations[number % len(organizations)]),
                "userPrincipalName": f"racer{number}@racers.example.com",
                "sAMAccountName": "racer",
                "newPassword": STRONG,
            },
        )
        for number in range(CALLS)
    ]
    answers = race(calls)

    winner = exactly_one_succeeded(answers)
    found = gateway.search(HOSTING, "(uid=racer)")
    assert [entry.first("userPrincipalName") for entry in found] == [f"racer{winner}@racers.example.com"]


def test_twenty_users_with_one_upn_in_different_organizations_make_one(logged_in, gateway):
    organizations = (ALPINE, NORTHWIND, CM, CONTOSO)
    calls = [
        mps_call(
            "Managed Active Directory",
            "CreateUser",
            {
                "container": dn_to_path(organizations[number % len(organizations)]),
                "userPrincipalName": "same@racers.example.com",
                "sAMAccountName": f"racer{number}",
                "newPassword": STRONG,
            },
        )
        for number in range(CALLS)
    ]
    answers = race(calls)

    winner = exactly_one_succeeded(answers)
    found = gateway.search(HOSTING, "(userPrincipalName=same@racers.example.com)")
    assert [entry.first("uid") for entry in found] == [f"racer{winner}"]


@pytest.fixture
def plans(logged_in):
    """An organization plan available to AlpineSkiHouse and Northwind, both registered."""
    provider_run(
        [
            *(
                ("MPS Import::EnableCustomerForPlans", {"path": dn_to_path(dn)})
                for dn in (CM, CONTOSO, ALPINE, NORTHWIND)
            ),
            (
                f"{NS}::CreateOrganizationPlan",
                {
                    "planName": "Race",
                    "description": "Race plan",
                    "features": {
                        "mailStore": {
                            "dynamicQuota": "0",
                            "megabytes": "4096",
                            "shared": "1",
                            "algorithm": "level",
                        },
                        "maxMailboxes": "5",
                        "defaultMailboxMegabytes": "512",
                        "protocols": {"protocol": ["IMAP"]},
                    },
                },
            ),
            *(
                (f"{NS}::AddAvailablePlans", {"organization": dn, "availablePlans": {"planName": ["Race"]}})
                for dn in (CM, CONTOSO, ALPINE, NORTHWIND)
            ),
        ]
    )


def test_twenty_subscribes_of_one_organization_make_one_subscription(plans):
    call = rest_call(
        NS, "Subscribe", {"organization": dn_to_path(ALPINE), "planName": "Race"}, user="cm-admin"
    )
    answers = race([call] * CALLS)

    exactly_one_succeeded(answers)
    assert {a.json()["error"]["name"] for a in answers if a.status_code == 409} == {"Conflict"}
    assert Subscription.objects.count() == 1


def test_one_smtp_domain_asked_for_by_two_organizations_at_once_goes_to_one(plans, gateway):
    provider_run(
        [(f"{NS}::Subscribe", {"organization": dn, "planName": "Race"}) for dn in (ALPINE, NORTHWIND)]
    )
    organizations = (ALPINE, NORTHWIND)
    calls = [
        rest_call(
            NS,
            "CreateSMTPDomain",
            {"organization": dn_to_path(organizations[n % 2]), "domainName": "race.example"},
        )
        for n in range(CALLS)
    ]
    answers = race(calls)

    # the calls for the winning organization succeed (a domain it holds is accepted again), every
    # call for the other one is refused; nothing answers 500
    assert set(statuses(answers)) == {200, 409}, statuses(answers)
    won = {organizations[n % 2] for n, answer in enumerate(answers) if answer.status_code == 200}
    lost = {organizations[n % 2] for n, answer in enumerate(answers) if answer.status_code == 409}
    assert len(won) == 1
    assert lost == set(organizations) - won
    (holder,) = won
    assert [(d.name, d.dn.lower()) for d in SmtpDomain.objects.all()] == [("race.example", holder.lower())]
    assert [entry.dn.lower() for entry in gateway.search(HOSTING, "(uPNSuffixes=race.example)")] == [
        holder.lower()
    ]


def test_twenty_enables_for_plans_of_one_organization_make_one_record(logged_in, gateway):
    call = mps_call("MPS Import", "EnableCustomerForPlans", {"path": dn_to_path(ALPINE)}, user="cm-admin")
    answers = race([call] * CALLS)

    # the procedure is safe to repeat: every call succeeds, one record exists
    assert statuses(answers) == Counter({200: CALLS})
    assert list(CustomerRecord.objects.values_list("guid", flat=True)) == [gateway.get(ALPINE).guid]


def test_twenty_first_logins_of_one_account_at_once_all_get_in(slapd):
    call = mps_call("Managed Hosting", "GetOrgType", {"path": dn_to_path(ALPINE)}, user="alpine-admin")
    answers = race([call] * CALLS)

    # the account is created by the first login; the others find it
    assert statuses(answers) == Counter({200: CALLS})
    assert get_user_model().objects.filter(username="alpine-admin").count() == 1
