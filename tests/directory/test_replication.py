"""Two Samba AD domain controllers: replication, preferredDomainController and failover.

Runs with ``pytest --directory=samba`` only (marker ``samba``): the session's domain has ``AD01``
and ``AD02``, joined and replicating, both configured as domain controllers of the portal.
"""

from __future__ import annotations

import time

import pytest

from hosting.models import CustomerRecord
from portal.directory import dn_child, get_gateway
from tests.conftest import ALPINE, CM, DC, DC2, PASSWORD

pytestmark = [pytest.mark.samba, pytest.mark.django_db]

REPLICATION_SECONDS = 60


def eventually(check, seconds: float = REPLICATION_SECONDS):
    """Poll ``check`` until it answers something true (replication takes a few seconds)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def create_customer(api, name: str, dc: str):
    return api(
        "post",
        "/api/procedures/",
        json={
            "namespace": "Managed Active Directory",
            "procedure": "CreateOrganization",
            "executeData": {
                "container": f"LDAP://{CM}",
                "name": name,
                "policyName": "customer",
                "preferredDomainController": dc,
            },
        },
        user="cm-admin",
    )


@pytest.fixture
def ad01(slapd, samba_domain):
    """AD01, started again after the test whatever the test did to it."""
    dc = samba_domain.first
    yield dc
    if not dc.running:
        dc.start()
    get_gateway(DC).down_until = 0.0


def test_a_write_through_ad01_is_seen_on_ad02(api, ad01):
    response = create_customer(api, "Replicated", DC)
    assert response.status_code == 200, response.content
    dn = dn_child("OU", "Replicated", CM)
    written = get_gateway(DC).get(dn)
    seen = eventually(lambda: get_gateway(DC2).get(dn))
    assert seen is not None, "AD02 did not receive the organization written through AD01"
    assert seen.guid == written.guid and seen.organization_type == "Customer"


def test_preferred_domain_controller_takes_the_writes(api, ad01):
    response = create_customer(api, "ThroughAD02", DC2)
    assert response.status_code == 200, response.content
    dn = dn_child("OU", "ThroughAD02", CM)
    assert get_gateway(DC2).get(dn) is not None  # written there, read back there at once
    assert eventually(lambda: get_gateway(DC).get(dn)) is not None  # and replicated to AD01


def test_preferred_dc_down_is_503_and_nothing_is_done_anywhere_then_works_again(mps, ad01):
    body = (
        "<request><procedure>"
        '<execute namespace="MPS Import" procedure="EnableCustomerForPlans" impersonate="1"><executeData>'
        f"<path>LDAP://{ALPINE}</path><preferredDomainController>{DC}</preferredDomainController>"
        "<customerTypeName>BusinessOrganization</customerTypeName>"
        "</executeData></execute></procedure></request>"
    )
    before = get_gateway(DC2).get(ALPINE)
    ad01.stop()
    response = mps(body, "cm-admin")
    assert response.status_code == 503
    assert b"<errorContext" in response.content and b"AD01" in response.content
    assert not CustomerRecord.objects.exists()
    assert get_gateway(DC2).get(ALPINE).attrs == before.attrs  # never half done on the other DC
    ad01.start()
    response = mps(body, "cm-admin")  # no restart of the portal: the pool reconnects
    assert response.status_code == 200, response.content
    assert CustomerRecord.objects.get().guid == before.guid


def test_what_names_no_dc_fails_over_to_one_that_answers(client, ad01):
    """A login and the pages' reads name no domain controller: with AD01 down they go to AD02."""
    from django.contrib.auth import authenticate

    ad01.stop()
    user = authenticate(None, username="cm-admin@consolidatedmessenger.com", password=PASSWORD)
    assert user is not None and user.directory_dn.lower() == f"cn=cm-admin,{CM}".lower()
    client.force_login(user)
    response = client.get("/organizations/")
    assert response.status_code == 200
    assert "AlpineSkiHouse" in response.content.decode()


def test_an_unknown_dc_name_keeps_its_clear_error(api, ad01):
    response = create_customer(api, "Nowhere", "AD03.fabrikam.com")
    assert response.status_code == 400
    assert "AD03.fabrikam.com" in response.content.decode()
    assert "AD01.fabrikam.com" in response.content.decode()
