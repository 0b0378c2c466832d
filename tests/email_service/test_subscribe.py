"""Hosted Email 2007::Subscribe (dd251611), ::CreateSMTPDomain (dd229930) through
POST /api/procedures/, and the SMTP domain constraint."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from email_service.models import SmtpDomain, Subscription
from hosting.models import CustomerRecord
from tests.conftest import ALPINE, CM, LITWARE, NORTHWIND
from tests.email_service.conftest import BASIC, NS, PREMIUM, available, error, provider_run


@pytest.fixture
def alpine_may_subscribe(email_plans):
    provider_run([(f"{NS}::AddAvailablePlans", {"organization": ALPINE, "availablePlans": available(BASIC)})])


def subscribe(call, user="cm-admin", **changes):
    return call("Subscribe", {"organization": f"LDAP://{ALPINE}", "planName": BASIC, **changes}, user)


def smtp_domain(call, domain, organization=ALPINE, user="cm-admin"):
    return call("CreateSMTPDomain", {"organization": f"LDAP://{organization}", "domainName": domain}, user)


def test_a_reseller_subscribes_its_customer_and_answers_nothing(call, alpine_may_subscribe, gateway):
    response = subscribe(call)

    assert response.status_code == 200, response.content
    assert response.json()["executeData"] == {}
    subscription = Subscription.objects.get()
    guid = gateway.get(ALPINE).guid
    assert (subscription.organization_guid, subscription.organization_plan.name) == (guid, BASIC)


def test_an_smtp_domain_is_an_asset_and_a_upn_suffix_of_the_organization(call, alpine_may_subscribe, gateway):
    assert subscribe(call).status_code == 200
    response = smtp_domain(call, "AlpineSkiHouse.com")

    assert response.status_code == 200, response.content
    record = CustomerRecord.objects.get(guid=gateway.get(ALPINE).guid)
    assert list(record.smtp_domains.values_list("name", flat=True)) == ["alpineskihouse.com"]
    assert gateway.get(ALPINE).attrs["upnsuffixes"] == ["alpineskihouse.com"]


def test_a_plan_not_available_to_the_organization_is_refused(call, alpine_may_subscribe):
    response = subscribe(call, planName=PREMIUM)

    assert response.status_code == 422
    assert error(response) == (
        "The organization plan 'Business Premium' is not available to "
        "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com; its reseller "
        "makes plans available with Hosted Email 2007::AddAvailablePlans."
    )
    assert response.json()["error"]["field"] == "planName"
    assert not Subscription.objects.exists()


def test_an_smtp_domain_in_use_is_not_available_in_any_letter_case(call, alpine_subscribed):
    provider_run(
        [
            (f"{NS}::AddAvailablePlans", {"organization": NORTHWIND, "availablePlans": available(BASIC)}),
            (f"{NS}::Subscribe", {"organization": NORTHWIND, "planName": BASIC}),
        ]
    )
    response = smtp_domain(call, "ALPINESKIHOUSE.COM", organization=NORTHWIND, user="contoso-admin")

    assert response.status_code == 409
    assert error(response) == "The SMTP Domain alpineskihouse.com is not available."
    assert SmtpDomain.objects.count() == 1


def test_the_database_itself_refuses_a_duplicate_smtp_domain(alpine_subscribed):
    record = CustomerRecord.objects.get(dn_key=NORTHWIND.lower())
    with pytest.raises(IntegrityError), transaction.atomic():
        SmtpDomain.objects.create(
            name="AlpineSkiHouse.Com", customer_record=record, organization_guid=record.guid, dn=NORTHWIND
        )


def test_an_organization_subscribes_once(call, alpine_subscribed):
    response = subscribe(call)

    assert response.status_code == 409
    assert error(response).endswith(
        "is already subscribed to Hosted Email 2007 (organization plan 'Business Basic')."
    )


def test_a_non_compliant_organization_is_refused(call, email_plans):
    response = call("Subscribe", {"organization": LITWARE, "planName": BASIC}, "cm-admin")

    assert response.status_code == 422
    assert "is not compliant with the hosting prescription" in error(response)


def test_an_organization_without_a_plans_record_is_refused(call, alpine_may_subscribe):
    CustomerRecord.objects.filter(dn_key=ALPINE.lower()).delete()

    response = subscribe(call)
    domain = smtp_domain(call, "alpineskihouse.com")

    assert response.status_code == 422
    assert error(response) == (
        "The organization LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com "
        "has no BusinessOrganization record in the Plans database; run MPS Import::EnableCustomerForPlans "
        "for it first."
    )
    assert domain.status_code == 422


def test_a_reseller_does_not_subscribe(call, email_plans):
    response = call("Subscribe", {"organization": CM, "planName": BASIC})

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
def test_an_ill_formed_smtp_domain_is_refused(call, alpine_subscribed, domain):
    response = smtp_domain(call, domain)

    assert response.status_code == 400
    assert error(response) == f"<domainName> {domain!r} is not a domain name such as alpineskihouse.com."
    assert SmtpDomain.objects.count() == 1


def test_nothing_is_written_when_the_last_step_fails(call, alpine_may_subscribe, gateway):
    assert subscribe(call).status_code == 200
    with mock.patch(
        "email_service.procedures.mailboxes.smtp_domain_create", side_effect=RuntimeError("disk full")
    ):
        response = smtp_domain(call, "alpineskihouse.com")

    assert response.status_code == 500
    assert (
        error(response)
        == "The procedure Hosted Email 2007::CreateSMTPDomain failed unexpectedly; the error was logged."
    )
    assert not SmtpDomain.objects.exists()
    assert not gateway.get(ALPINE).attrs.get("upnsuffixes")
