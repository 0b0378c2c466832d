"""Two Samba AD domain controllers: replication, preferredDomainController and failover.

Runs with ``pytest --directory=samba`` only (marker ``samba``): the session's domain has ``AD01``
and ``AD02``, joined and replicating, both configured as domain controllers of the portal.
"""

from __future__ import annotations

import time

import pytest
from lxml import etree

from hosting.models import CustomerRecord
from portal.directory import dn_child, get_gateway
from tests.conftest import ALPINE, CM, DC, DC2, HOSTING, PASSWORD

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


# --- AD01 stopped in the middle of a call -------------------------------------------------------

#: the directory write after which AD01 is stopped, and whether AD02 has received the writes made
#: so far by then. On AD the call's writes are, as the ``directory_written`` signal counts them:
#: the organization (2: its add, then the read of its GUID), its administrators group (4), its UPN
#: suffix (5), the user with the password (7), the user made a member of the group (8).
STOPPED_AFTER = ((7, True), (2, False), (4, False))


def _organization_with_a_user(name: str) -> str:
    """One MPS request of two executes through AD01: an organization and its first user."""
    organization = f"OU={name},{CM}"
    common = f"<preferredDomainController>{DC}</preferredDomainController>"
    return (
        "<request><procedure>"
        '<execute namespace="Hosted Exchange" procedure="CreateBusinessOrganization" impersonate="1">'
        f"<executeData><container>LDAP://{CM}</container><name>{name}</name>"
        f"<SMTPDomain>{name.lower()}.example.com</SMTPDomain>{common}</executeData></execute>"
        '<execute namespace="Hosted Exchange" procedure="CreateBusinessUser" impersonate="1">'
        f"<executeData><container>LDAP://{organization}</container>"
        f"<userPrincipalName>{name.lower()}@{name.lower()}.example.com</userPrincipalName>"
        f'<isAdmin>true</isAdmin><newPassword do-not-log="1">{PASSWORD}</newPassword>{common}'
        "</executeData></execute></procedure></request>"
    )


def _left_of(name: str, dc: str) -> list[str]:
    """What the directory behind ``dc`` holds of the call naming ``name`` (empty: nothing)."""
    gateway = get_gateway(dc)
    found = gateway.search(CM, f"(ou={name})", scope="onelevel")
    found += gateway.search(HOSTING, f"(userPrincipalName={name.lower()}@{name.lower()}.example.com)")
    return [entry.dn for entry in found]


def _ad02_pulls_from(ad01, samba_domain) -> None:
    """AD02 replicates from AD01 now. After AD01 came back AD02 waits for its next periodic pull,
    and its first pull may fail with WERR_NETNAME_DELETED (its connection to AD01's earlier
    process); the next one goes through."""
    from portal.directory.samba import SambaError

    for attempt in range(5):
        try:
            samba_domain.replicate(ad01, samba_domain.dcs[1])
            return
        except SambaError:
            if attempt == 4:
                raise
            time.sleep(1)


@pytest.mark.django_db(transaction=True)
def test_ad01_stopped_mid_call_is_503_and_the_recovery_leaves_nothing_on_either_dc(mps, ad01, samba_domain):
    from portal.engine.journal import pending
    from portal.engine.recovery import recover_now
    from portal.models import AuditRecord
    from tests.faults.conftest import WriteCounter

    for after, replicated in STOPPED_AFTER:
        name = f"Halfway{after}"
        what = f"AD01 stopped after write {after}{', replicated to AD02' if replicated else ''}"

        def stop(name=name, replicated=replicated):
            if replicated:
                _ad02_pulls_from(ad01, samba_domain)
                assert _left_of(name, DC2), "AD02 did not receive the writes made so far"
            ad01.stop()

        with WriteCounter(after, stop) as counter:
            response = mps(_organization_with_a_user(name), "cm-admin")
        assert counter.count == after, f"{what}: {counter.count} writes"
        assert response.status_code == 503, f"{what}: {response.content!r}"
        root = etree.fromstring(response.content)
        (context,) = root.findall("errorContext")
        assert context.get("code") == "0x8007203A", f"{what}: {response.content!r}"
        assert b"AD01" in response.content
        assert not CustomerRecord.objects.filter(dn_key__contains=name.lower()).exists(), what
        waiting = pending()
        assert len(waiting) == 1, f"{what}: the undo could not reach AD01, its steps wait: {waiting}"

        ad01.start()  # the portal is not restarted: its pool reconnects
        report = recover_now(door="test")
        assert report["left"] == [] and len(report["repaired"]) == 1, f"{what}: {report}"
        assert pending(include_running=True) == [], f"{what}: batches wait for repair"
        assert _left_of(name, DC) == [], what
        (record,) = [
            each
            for each in AuditRecord.objects.filter(procedure="CreateBusinessOrganization", parent=None)
            if name.lower() in str(each.input).lower()
        ]
        calls = AuditRecord.objects.filter(batch=record.batch, parent=None).order_by("sequence")
        *done, failed = calls  # the execute that AD01 stopped under failed; those before, rolled back
        assert (failed.status, failed.error_code) == (AuditRecord.Status.FAILED, "0x8007203A"), what
        assert {each.status for each in done} <= {AuditRecord.Status.ROLLED_BACK}, what

        # a later call through AD01 goes through
        after_name = f"Afterwards{after}"
        response = mps(_organization_with_a_user(after_name), "cm-admin")
        assert response.status_code == 200, f"{what}: {response.content!r}"
        assert len(_left_of(after_name, DC)) == 2, what

        _ad02_pulls_from(ad01, samba_domain)
        assert len(_left_of(after_name, DC2)) == 2, f"{what}: AD02 did not receive the later call"
        assert _left_of(name, DC2) == [], f"{what}: AD02 keeps what AD01 undid"
