"""Hosted Email 2007::DeleteSMTPDomain (dd279056) and ::DeleteSMTPDomainByGUID (dd251949) through
POST /api/procedures/."""

from __future__ import annotations

from email_service.models import SmtpDomain, Subscription
from portal.directory import guid_octets
from tests.conftest import ALPINE
from tests.email_service.conftest import error


def test_an_org_creator_deletes_its_customers_smtp_domain(call, alpine_subscribed):
    response = call(
        "DeleteSMTPDomain", {"organization": ALPINE, "domainName": "AlpineSkiHouse.com"}, "cm-admin"
    )

    assert response.status_code == 200, response.content
    assert not SmtpDomain.objects.exists()
    assert Subscription.objects.count() == 1


def test_a_domain_of_another_organization_is_not_found(call, alpine_subscribed):
    response = call("DeleteSMTPDomain", {"organization": ALPINE, "domainName": "northwind.com"}, "cm-admin")

    assert response.status_code == 404
    assert error(response) == (
        "The SMTP domain northwind.com is not registered to "
        "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com."
    )


def test_delete_by_guid_is_for_domain_admins_and_for_orphans_only(call, alpine_subscribed, gateway):
    guid = guid_octets(gateway.get(ALPINE).guid)
    data = {"GUID": guid, "domainName": "alpineskihouse.com"}

    refused = call("DeleteSMTPDomainByGUID", data, "cm-admin")
    still_there = call("DeleteSMTPDomainByGUID", data)

    assert refused.status_code == 403
    assert still_there.status_code == 422
    assert error(still_there) == (
        f"The object with GUID {guid} was found in Active Directory. This procedure should only be used "
        "when the corresponding Active Directory object has been deleted."
    )
    assert SmtpDomain.objects.count() == 1


def test_delete_by_guid_removes_an_orphans_domain_and_answers_it(
    call, alpine_subscribed, gateway, ldap_admin
):
    guid = guid_octets(gateway.get(ALPINE).guid)
    for dn, _ in sorted(
        ldap_admin.search_s(ALPINE, 2, "(objectClass=*)", ["1.1"]), key=lambda item: -len(item[0])
    ):
        ldap_admin.delete_s(dn)

    response = call("DeleteSMTPDomainByGUID", {"GUID": guid, "domainName": "AlpineSkiHouse.com"})

    assert response.status_code == 200, response.content
    assert response.json()["executeData"] == {"DomainName": "alpineskihouse.com"}
    assert not SmtpDomain.objects.exists()


def test_neither_guid_nor_organization_is_refused(call, alpine_subscribed):
    response = call("DeleteSMTPDomain", {"domainName": "alpineskihouse.com"})

    assert response.status_code == 400
    assert error(response) == "You must supply either a <GUID> or <organization> element."


def test_customer_administrators_do_not_delete_domains(call, alpine_subscribed):
    response = call(
        "DeleteSMTPDomain", {"organization": ALPINE, "domainName": "alpineskihouse.com"}, "alpine-admin"
    )

    assert response.status_code == 403
    assert SmtpDomain.objects.count() == 1
