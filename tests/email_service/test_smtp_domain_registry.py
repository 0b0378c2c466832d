"""One registry of taken SMTP domains: a domain that ``Hosted Exchange::CreateBusinessOrganization``
gave one organization is not available to another through ``Hosted Email 2007::CreateSMTPDomain``,
nor the reverse, in any letter case; the organization that holds a domain may name it again.
Every call goes through ``POST /mps/``."""

from __future__ import annotations

import pytest
from lxml import etree

from email_service.models import SmtpDomain
from hosting.models import CustomerRecord
from portal.directory import dn_key, dn_to_path, get_gateway
from tests.conftest import ALPINE, CM, CONTOSO, DC
from tests.email_service.conftest import BASIC, NS, available, provider_run

pytestmark = pytest.mark.django_db

TAILSPIN = f"OU=Tailspin,{CONTOSO}"


def request(namespace: str, procedure: str, **data: str) -> str:
    fields = "".join(f"<{name}>{value}</{name}>" for name, value in data.items())
    return (
        f'<request><procedure><execute namespace="{namespace}" procedure="{procedure}" impersonate="1">'
        f"<executeData>{fields}<preferredDomainController>{DC}</preferredDomainController></executeData>"
        "</execute></procedure></request>"
    )


def business_organization(mps, user: str, container: str, name: str, domain: str):
    return mps(
        request(
            "Hosted Exchange",
            "CreateBusinessOrganization",
            container=dn_to_path(container),
            name=name,
            SMTPDomain=domain,
        ),
        user,
    )


def smtp_domain(mps, user: str, organization: str, domain: str):
    return mps(
        request(NS, "CreateSMTPDomain", organization=dn_to_path(organization), domainName=domain), user
    )


def refusal(response) -> str:
    context = etree.fromstring(response.content).find("errorContext")
    return context.get("description")


def suffixes(dn: str) -> list[str] | None:
    entry = get_gateway(DC).get(dn)
    return None if entry is None else entry.attrs.get("upnsuffixes", [])


def test_a_business_organizations_domain_is_not_available_to_create_smtp_domain(alpine_subscribed, mps):
    response = business_organization(mps, "contoso-admin", CONTOSO, "Tailspin", "tailspin.example")
    assert response.status_code == 200, response.content
    before = suffixes(ALPINE)

    response = smtp_domain(mps, "cm-admin", ALPINE, "TailSpin.EXAMPLE")

    assert response.status_code == 409, response.content
    assert refusal(response) == "The SMTP Domain tailspin.example is not available."
    assert suffixes(ALPINE) == before
    assert suffixes(TAILSPIN) == ["tailspin.example"]
    assert not SmtpDomain.objects.filter(name__iexact="tailspin.example").exists()


def test_a_domain_created_with_create_smtp_domain_is_not_available_to_a_business_organization(
    alpine_subscribed, mps
):
    response = smtp_domain(mps, "cm-admin", ALPINE, "alpine.example")
    assert response.status_code == 200, response.content
    records = CustomerRecord.objects.count()

    response = business_organization(mps, "contoso-admin", CONTOSO, "Tailspin", "ALPINE.Example")

    assert response.status_code == 409, response.content
    assert refusal(response) == "The SMTP Domain alpine.example is not available."
    assert suffixes(TAILSPIN) is None
    assert CustomerRecord.objects.count() == records
    assert [asset.dn_key for asset in SmtpDomain.objects.filter(name="alpine.example")] == [dn_key(ALPINE)]


def test_the_organization_that_holds_a_domain_may_name_it_again(alpine_subscribed, mps):
    bikes = f"OU=Fabrikam Bikes,{CM}"
    response = business_organization(mps, "cm-admin", CM, "Fabrikam Bikes", "fabrikambikes.com")
    assert response.status_code == 200, response.content
    provider_run(
        [
            (f"{NS}::AddAvailablePlans", {"organization": bikes, "availablePlans": available(BASIC)}),
            (f"{NS}::Subscribe", {"organization": bikes, "planName": BASIC}),
        ]
    )

    # its own domain, in another letter case: accepted, and registered as its asset; again: the same
    for _ in range(2):
        response = smtp_domain(mps, "cm-admin", bikes, "FabrikamBikes.com")
        assert response.status_code == 200, response.content

    assert suffixes(bikes) == ["fabrikambikes.com"]
    asset = SmtpDomain.objects.get(name="fabrikambikes.com")
    assert asset.organization_guid == CustomerRecord.objects.get(dn=bikes).guid
