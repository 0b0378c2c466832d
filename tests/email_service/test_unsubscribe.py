"""Hosted Email 2007::Unsubscribe through the MPS door, with the seed's example requests verbatim
(seed 001): both versions, both GUID forms, both error texts, security, and what it frees."""

from __future__ import annotations

from collections import Counter

import pytest
from lxml import etree

from email_service.models import SmtpDomain, Subscription, UserPlanAssignment
from hosting.models import CustomerRecord
from portal.directory import guid_braced, guid_octets
from portal.directory.server import delete_subtree
from portal.engine import Batch
from portal.models import AuditRecord
from tests.conftest import ALPINE, DC, JANE, NORTHWIND
from tests.email_service.conftest import BASIC, NS, provider_run

SEED_GUID = b"cd2bfd08d6dc804d9cd41e88069e37f8"  # the GUID of seed 001's "Example XML Request 2"


@pytest.fixture
def request_1(seed) -> bytes:
    """Seed 001's "Example XML Request 1", byte for byte."""
    return seed.example("Unsubscribe", "Example XML Request 1")


@pytest.fixture
def request_2(seed) -> bytes:
    """Seed 001's "Example XML Request 2", byte for byte."""
    return seed.example("Unsubscribe", "Example XML Request 2")


@pytest.fixture
def request_2_with(request_2):
    """Request 2 with its <GUID> value (not the comment) replaced."""

    def _with(guid: bytes) -> bytes:
        assert b"<GUID>" + SEED_GUID + b"</GUID>" in request_2
        return request_2.replace(b"<GUID>" + SEED_GUID + b"</GUID>", b"<GUID>" + guid + b"</GUID>")

    return _with


@pytest.fixture
def neither(seed) -> str:
    """Seed 001's error text when neither GUID nor organization is given."""
    return seed.error_text("Unsubscribe", "Neither GUID nor organization is specified.")


@pytest.fixture
def found(seed) -> str:
    """Seed 001's error text for a GUID whose object exists (``%GUID%`` in it for the GUID)."""
    return seed.error_text("Unsubscribe", "Active Directory object referenced by GUID exists.")


def data_of(response) -> dict:
    root = etree.fromstring(response.content)
    assert root.tag == "response", response.content
    (data,) = root
    return {child.tag: child.text for child in data}


def error_of(response) -> tuple[str, list[tuple[str, str]]]:
    root = etree.fromstring(response.content)
    assert root.tag == "errorContext", response.content
    sources = [(s.get("namespace"), s.get("procedure")) for s in root.iter("errorSource")]
    return root.get("description"), sources


def test_seed_request_1_unsubscribes_and_mirrors_the_input(mps, alpine_subscribed, request_1):
    response = mps(request_1, "cm-admin")

    assert response.status_code == 200, response.content
    assert data_of(response) == {
        "organization": "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=Fabrikam,DC=Com",
        "preferredDomainController": "AD01.Fabrikam.Com",
    }
    assert not Subscription.objects.exists()
    assert not SmtpDomain.objects.exists()
    call = AuditRecord.objects.get(procedure="Unsubscribe", status="succeeded")
    nested = AuditRecord.objects.get(parent=call)
    assert (nested.namespace, nested.procedure, nested.input["smtpDomain"]) == (
        NS,
        "DeleteSMTPDomain",
        "alpineskihouse.com",
    )


@pytest.mark.parametrize("form", ["octets", "braced"])
def test_seed_request_2_unsubscribes_an_orphan_by_guid_with_no_directory_call_but_the_check(
    mps, alpine_subscribed, gateway, ldap_admin, form, request_2_with
):
    guid = gateway.get(ALPINE).guid
    provider_run([(f"{NS}::ModifyUserPlan", {"user": JANE, "userPlan": "Basic Mailbox"})])
    delete_subtree(ldap_admin, ALPINE)
    given = (guid_octets(guid) if form == "octets" else guid_braced(guid)).encode()
    mps(b"<request/>", "administrator")  # logs in first: the door remembers the credentials
    before = Counter(gateway.calls)

    response = mps(request_2_with(given), "administrator")

    assert response.status_code == 200, response.content
    assert Counter(gateway.calls) - before == Counter({"search": 1})
    assert data_of(response) == {"GUID": given.decode(), "preferredDomainController": "AD01.Fabrikam.Com"}
    assert not Subscription.objects.exists()
    assert not SmtpDomain.objects.exists()
    assert not UserPlanAssignment.objects.exists()
    assert CustomerRecord.objects.filter(guid=guid).exists()  # the Plans record itself stays
    nested = AuditRecord.objects.get(procedure="DeleteSMTPDomain")
    assert nested.status == "succeeded"
    assert nested.parent.procedure == "Unsubscribe"


def test_seed_request_2_verbatim_names_a_guid_without_a_plans_record(mps, alpine_subscribed, request_2):
    response = mps(request_2, "administrator")

    assert response.status_code == 404
    text, sources = error_of(response)
    assert text == (
        "No organization with GUID cd2bfd08d6dc804d9cd41e88069e37f8 has a record in the Plans "
        "database, so there is nothing to unsubscribe."
    )
    assert sources == [(NS, "Unsubscribe")]
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize("form", ["octets", "braced"])
def test_guid_of_an_existing_object_is_refused_with_the_seed_text(
    mps, alpine_subscribed, gateway, form, request_2_with, found
):
    guid = gateway.get(ALPINE).guid
    given = guid_octets(guid) if form == "octets" else guid_braced(guid)

    response = mps(request_2_with(given.encode()), "administrator")

    assert response.status_code == 422
    text, _ = error_of(response)
    assert text == found.replace("%GUID%", given)
    assert text == (
        f"The object with GUID {given} was found in Active Directory. This GUID parameter should only "
        "be used when the corresponding Active Directory object has been deleted."
    )
    assert Subscription.objects.count() == 1
    assert SmtpDomain.objects.get().name == "alpineskihouse.com"


def test_neither_guid_nor_organization_is_refused_with_the_seed_text(
    mps, alpine_subscribed, request_2, neither
):
    body = request_2.replace(b"<GUID>" + SEED_GUID + b"</GUID>", b"")

    response = mps(body, "administrator")

    assert response.status_code == 400
    assert error_of(response) == (neither, [(NS, "Unsubscribe")])
    assert Subscription.objects.count() == 1


def test_unsubscribe_by_guid_refused_for_org_creators(
    mps, alpine_subscribed, gateway, ldap_admin, request_2_with
):
    guid = gateway.get(ALPINE).guid
    delete_subtree(ldap_admin, ALPINE)

    response = mps(request_2_with(guid_octets(guid).encode()), "cm-admin")

    assert response.status_code == 403
    text, _ = error_of(response)
    assert "requires DomainAdmins" in text
    assert Subscription.objects.count() == 1


def test_reseller_is_refused_another_resellers_organization(mps, alpine_subscribed, request_1):
    response = mps(request_1, "contoso-admin")

    assert response.status_code == 403
    text, _ = error_of(response)
    assert "is outside the scope of contoso-admin" in text
    assert Subscription.objects.count() == 1


def test_customer_administrators_may_not_unsubscribe(mps, alpine_subscribed, request_1):
    response = mps(request_1, "alpine-admin")

    assert response.status_code == 403
    assert Subscription.objects.count() == 1


def test_unsubscribing_an_organization_that_is_not_subscribed_is_refused(mps, email_plans, request_1):
    response = mps(request_1, "cm-admin")

    assert response.status_code == 404
    assert error_of(response)[0] == (
        "The organization LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com "
        "is not subscribed to Hosted Email 2007."
    )


def test_smtp_domain_freed_by_unsubscribe_is_subscribed_again(mps, api, alpine_subscribed, request_1):
    provider_run([(f"{NS}::AddAvailablePlans", {"organization": NORTHWIND, "plans": {"plan": [BASIC]}})])
    subscribe = {
        "namespace": NS,
        "procedure": "Subscribe",
        "executeData": {
            "organization": f"LDAP://{NORTHWIND}",
            "preferredDomainController": DC,
            "organizationPlan": BASIC,
            "smtpDomain": "AlpineSkiHouse.com",
        },
    }
    refused = api("post", "/api/procedures/", json=subscribe, user="contoso-admin")
    assert refused.status_code == 409
    assert refused.json()["error"]["description"] == "The SMTP domain alpineskihouse.com is already in use."

    assert mps(request_1, "cm-admin").status_code == 200
    again = api("post", "/api/procedures/", json=subscribe, user="contoso-admin")

    assert again.status_code == 200, again.content
    domain = SmtpDomain.objects.get()
    assert (domain.name, domain.dn_key) == ("alpineskihouse.com", NORTHWIND.lower())


def test_unsubscribe_ends_the_user_plan_assignments(mps, alpine_subscribed, request_1):
    provider_run([(f"{NS}::ModifyUserPlan", {"user": JANE, "userPlan": "Basic Mailbox"})])
    assert UserPlanAssignment.objects.count() == 1

    assert mps(request_1, "cm-admin").status_code == 200

    assert not UserPlanAssignment.objects.exists()


def test_a_failing_later_step_leaves_the_subscription_as_it_was(mps, alpine_subscribed, request_1):
    # Unsubscribe succeeds, then the second <execute> of the same request fails: nothing is kept.
    body = request_1.replace(
        b"  </procedure> \n",
        b'    <execute namespace="Hosted Email 2007" procedure="Subscribe" impersonate="1">'
        b"<executeData><organization>LDAP://" + ALPINE.encode() + b"</organization>"
        b"<preferredDomainController>AD01.fabrikam.com</preferredDomainController>"
        b"<organizationPlan>No Such Plan</organizationPlan><smtpDomain>alpine.example</smtpDomain>"
        b"</executeData></execute>\n  </procedure> \n",
    )

    response = mps(body, "cm-admin")

    assert response.status_code == 404
    assert error_of(response)[0] == "The organization plan 'No Such Plan' does not exist."
    assert Subscription.objects.get().dn_key == ALPINE.lower()
    assert SmtpDomain.objects.get().name == "alpineskihouse.com"
    assert set(AuditRecord.objects.values_list("procedure", "status")) >= {
        ("Unsubscribe", "rolled back"),
        ("Subscribe", "failed"),
    }


def test_unsubscribe_through_the_engine_for_a_reseller_in_scope(caller, alpine_subscribed):
    with Batch(caller("cm-admin"), "command") as batch:
        out = batch.call(f"{NS}::Unsubscribe", {"organization": ALPINE, "preferredDomainController": DC})

    assert out == {"organization": ALPINE, "preferredDomainController": DC}
    assert not Subscription.objects.exists()


def test_unsubscribe_by_guid_through_the_rest_door(call, alpine_subscribed, gateway, ldap_admin):
    guid = gateway.get(ALPINE).guid
    delete_subtree(ldap_admin, ALPINE)

    response = call("Unsubscribe", {"GUID": guid_braced(guid)})

    assert response.status_code == 200, response.content
    assert response.json()["executeData"] == {"GUID": guid_braced(guid), "preferredDomainController": DC}
    assert not Subscription.objects.exists()
    assert not SmtpDomain.objects.exists()
