"""Hosted Email 2007::DeleteSMTPDomain through POST /api/procedures/."""

from __future__ import annotations

from email_service.models import SmtpDomain, Subscription
from portal.directory import guid_octets
from tests.conftest import ALPINE
from tests.email_service.conftest import error


def test_an_org_creator_deletes_its_customers_smtp_domain(call, alpine_subscribed):
    response = call(
        "DeleteSMTPDomain", {"organization": ALPINE, "smtpDomain": "AlpineSkiHouse.com"}, "cm-admin"
    )

    assert response.status_code == 200, response.content
    assert not SmtpDomain.objects.exists()
    assert Subscription.objects.count() == 1


def test_a_domain_of_another_organization_is_not_found(call, alpine_subscribed):
    response = call("DeleteSMTPDomain", {"organization": ALPINE, "smtpDomain": "northwind.com"}, "cm-admin")

    assert response.status_code == 404
    assert error(response) == (
        "The SMTP domain northwind.com is not registered to "
        "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com."
    )


def test_the_guid_form_is_for_domain_admins(call, alpine_subscribed, gateway):
    guid = guid_octets(gateway.get(ALPINE).guid)

    refused = call("DeleteSMTPDomain", {"GUID": guid, "smtpDomain": "alpineskihouse.com"}, "cm-admin")
    done = call("DeleteSMTPDomain", {"GUID": guid, "smtpDomain": "alpineskihouse.com"})

    assert refused.status_code == 403
    assert done.status_code == 200
    assert not SmtpDomain.objects.exists()


def test_neither_guid_nor_organization_is_refused(call, alpine_subscribed):
    response = call("DeleteSMTPDomain", {"smtpDomain": "alpineskihouse.com"})

    assert response.status_code == 400
    assert error(response) == "You must supply either a <GUID> or <organization> element."


def test_customer_administrators_do_not_delete_domains(call, alpine_subscribed):
    response = call(
        "DeleteSMTPDomain", {"organization": ALPINE, "smtpDomain": "alpineskihouse.com"}, "alpine-admin"
    )

    assert response.status_code == 403
    assert SmtpDomain.objects.count() == 1
