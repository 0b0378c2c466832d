"""Hosted Email 2007::Subscribe through POST /api/procedures/ (and the SMTP domain constraint)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from email_service.models import SmtpDomain, Subscription
from hosting.models import CustomerRecord
from tests.conftest import ALPINE, CM, LITWARE, NORTHWIND
from tests.email_service.conftest import BASIC, NS, PREMIUM, error, provider_run


@pytest.fixture
def alpine_may_subscribe(email_plans):
    provider_run([(f"{NS}::AddAvailablePlans", {"organization": ALPINE, "plans": {"plan": [BASIC]}})])


def subscribe(call, user="cm-admin", **changes):
    data = {
        "organization": f"LDAP://{ALPINE}",
        "organizationPlan": BASIC,
        "smtpDomain": "alpineskihouse.com",
        **changes,
    }
    return call("Subscribe", data, user)


def test_a_reseller_subscribes_its_customer(call, alpine_may_subscribe, gateway):
    response = subscribe(call, smtpDomain="AlpineSkiHouse.com")

    assert response.status_code == 200, response.content
    assert response.json()["executeData"]["smtpDomain"] == "AlpineSkiHouse.com"  # the input, mirrored
    subscription = Subscription.objects.get()
    guid = gateway.get(ALPINE).guid
    assert (subscription.organization_guid, subscription.organization_plan.name) == (guid, BASIC)
    record = CustomerRecord.objects.get(guid=guid)
    assert list(record.smtp_domains.values_list("name", flat=True)) == ["alpineskihouse.com"]


def test_a_plan_not_available_to_the_organization_is_refused(call, alpine_may_subscribe):
    response = subscribe(call, organizationPlan=PREMIUM)

    assert response.status_code == 422
    assert error(response) == (
        "The organization plan 'Business Premium' is not available to "
        "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com; its reseller "
        "makes plans available with Hosted Email 2007::AddAvailablePlans."
    )
    assert response.json()["error"]["field"] == "organizationPlan"
    assert not Subscription.objects.exists()


def test_an_smtp_domain_in_use_is_refused_in_any_letter_case(call, alpine_subscribed):
    provider_run([(f"{NS}::AddAvailablePlans", {"organization": NORTHWIND, "plans": {"plan": [BASIC]}})])

    response = call(
        "Subscribe",
        {"organization": NORTHWIND, "organizationPlan": BASIC, "smtpDomain": "ALPINESKIHOUSE.COM"},
        "contoso-admin",
    )

    assert response.status_code == 409
    assert error(response) == "The SMTP domain alpineskihouse.com is already in use."
    assert Subscription.objects.count() == 1


def test_the_database_itself_refuses_a_duplicate_smtp_domain(alpine_subscribed):
    record = CustomerRecord.objects.get(dn_key=NORTHWIND.lower())
    with pytest.raises(IntegrityError), transaction.atomic():
        SmtpDomain.objects.create(
            name="AlpineSkiHouse.Com", customer_record=record, organization_guid=record.guid, dn=NORTHWIND
        )


def test_an_organization_subscribes_once(call, alpine_subscribed):
    response = subscribe(call, smtpDomain="alpine.example")

    assert response.status_code == 409
    assert error(response).endswith(
        "is already subscribed to Hosted Email 2007 (organization plan 'Business Basic')."
    )


def test_a_non_compliant_organization_is_refused(call, email_plans):
    response = call(
        "Subscribe",
        {"organization": LITWARE, "organizationPlan": BASIC, "smtpDomain": "litware.com"},
        "cm-admin",
    )

    assert response.status_code == 422
    assert "is not compliant with the hosting prescription" in error(response)


def test_an_organization_without_a_plans_record_is_refused(call, alpine_may_subscribe):
    CustomerRecord.objects.filter(dn_key=ALPINE.lower()).delete()

    response = subscribe(call)

    assert response.status_code == 422
    assert error(response) == (
        "The organization LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com "
        "has no BusinessOrganization record in the Plans database; run MPS Import::EnableCustomerForPlans "
        "for it first."
    )


def test_a_reseller_does_not_subscribe(call, email_plans):
    response = call("Subscribe", {"organization": CM, "organizationPlan": BASIC, "smtpDomain": "cm.example"})

    assert response.status_code == 422
    assert error(response).startswith("Only a customer organization subscribes to Hosted Email 2007;")


def test_a_reseller_is_refused_another_resellers_customer(call, alpine_may_subscribe):
    response = subscribe(call, user="contoso-admin")

    assert response.status_code == 403
    assert not Subscription.objects.exists()


def test_customer_administrators_do_not_subscribe(call, alpine_may_subscribe):
    response = subscribe(call, user="alpine-admin")

    assert response.status_code == 403
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "domain", ["alpineskihouse", "-bad.com", "a..com", "white space.com", "x" * 64 + ".com"]
)
def test_an_ill_formed_smtp_domain_is_refused(call, alpine_may_subscribe, domain):
    response = subscribe(call, smtpDomain=domain)

    assert response.status_code == 400
    assert error(response) == f"<smtpDomain> {domain!r} is not a domain name such as alpineskihouse.com."
    assert not Subscription.objects.exists()


def test_nothing_is_written_when_the_last_step_fails(call, alpine_may_subscribe):
    with mock.patch(
        "email_service.procedures.subscriptions.smtp_domain_create", side_effect=RuntimeError("disk full")
    ):
        response = subscribe(call)

    assert response.status_code == 500
    assert (
        error(response)
        == "The procedure Hosted Email 2007::Subscribe failed unexpectedly; the error was logged."
    )
    assert not Subscription.objects.exists()
    assert not SmtpDomain.objects.exists()
