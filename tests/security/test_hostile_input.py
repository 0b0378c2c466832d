"""Hostile values through every door (pages, REST, MPS, SOAP), driven by hypothesis: DN specials,
control characters, huge numbers, far dates, deep nesting. No answer is a server error, and a refused
call changes nothing (directory, Plans database, billing)."""

from __future__ import annotations

from urllib.parse import urlencode
from xml.sax.saxutils import escape

import ldap
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from billing.models import Service, UserPackage
from hosting.models import CustomerRecord
from tests.conftest import ALPINE, DC, HOSTING, basic
from tests.customers.conftest import STRONG
from tests.security.conftest import SOAP_CALL, mps_body

pytestmark = pytest.mark.django_db

# Bounded: a few examples each, reported as found (no shrinking, which would cost minutes).
BOUNDED = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
)

DN_SPECIALS = st.sampled_from(
    ["#", "#41", ",", "+", '"', "\\", "<", ">", ";", "=", " ", "\\00", "OU=x,", "*", "(", ")"]
)
CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.sampled_from(
    ["\x7f", "\x85", "\ufffe", "\ud800"]
)
HOSTILE_TEXT = st.lists(st.one_of(DN_SPECIALS, CONTROL, st.text(max_size=6)), min_size=1, max_size=6).map(
    "".join
)
HUGE_NUMBER = st.one_of(
    st.integers(min_value=2**31, max_value=10**30).map(str),
    st.integers(max_value=-(2**31) - 1, min_value=-(10**30)).map(str),
    st.sampled_from(["1e30", "-1e30", "NaN", "Infinity", "12345678901234567890.12", "0x10", "1" * 23]),
)
FAR_DATE = st.sampled_from(
    ["9999-12-31", "0002-01-01", "1899-12-31", "2200-01-01", "10000-01-01", "2026-02-30"]
)
HOSTILE = st.one_of(HOSTILE_TEXT, HUGE_NUMBER, FAR_DATE)


@pytest.fixture
def state(ldap_admin, billing_demo):
    """A snapshot of what a refused call must not change."""

    def _snapshot():
        entries = ldap_admin.search_s(HOSTING, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["modifyTimestamp"])
        return (
            sorted((dn.lower(), tuple(attrs.get("modifyTimestamp", []))) for dn, attrs in entries),
            CustomerRecord.objects.count(),
            Service.objects.count(),
            UserPackage.objects.count(),
        )

    return _snapshot


def _create_user_data(name: str, display: str, upn: str) -> dict:
    return {
        "organization": f"LDAP://{ALPINE}",
        "name": name,
        "userPrincipalName": upn,
        "password": STRONG,
        "displayName": display,
        "preferredDomainController": DC,
    }


@given(name=HOSTILE, display=HOSTILE, number=HOSTILE, date=HOSTILE)
@BOUNDED
def test_rest(api, state, name, display, number, date):
    calls = [
        (
            "Managed Active Directory",
            "CreateUser",
            _create_user_data(name, display, f"{name}@alpineskihouse.com"),
        ),
        (
            "Managed Hosting",
            "GetOrgType",
            {"path": f"LDAP://OU={name},{HOSTING}", "preferredDomainController": DC},
        ),
        ("Billing", "CreateService", {"name": "S", "serviceID": number, "price": number}),
        ("Billing", "RunBillCycle", {"date": date}),
        (
            "Hosted Email 2007",
            "CreateOrganizationPlan",
            {
                "name": name,
                "maxMailboxes": number,
                "defaultMailboxSizeMB": 1,
                "maxStorageMB": 1,
                "features": {"feature": ["POP"]},
                "preferredDomainController": DC,
            },
        ),
    ]
    for namespace, procedure, data in calls:
        before = state()
        answer = api(
            "post",
            "/api/procedures/",
            json={"namespace": namespace, "procedure": procedure, "executeData": data},
        )
        assert answer.status_code < 500, (procedure, data, answer.content)
        if answer.status_code >= 400:
            assert state() == before, (procedure, data)
    for query in ({"limit": number}, {"offset": number}, {"name": name}, {"parent": name}):
        assert (
            api(
                "get", "/api/users/?" + urlencode(query, encoding="utf-8", errors="surrogatepass")
            ).status_code
            < 500
        ), query


def _xml_text(value: str) -> str:
    return escape(value)


@given(name=HOSTILE, number=HOSTILE, depth=st.integers(min_value=1, max_value=3000))
@BOUNDED
def test_mps(mps, state, name, number, depth):
    bodies = [
        mps_body(
            "Managed Active Directory",
            "CreateUser",
            {
                "organization": f"LDAP://{ALPINE}",
                "name": _xml_text(name),
                "userPrincipalName": _xml_text(f"{name}@alpineskihouse.com"),
                "password": STRONG,
            },
        ),
        mps_body("Managed Hosting", "GetOrgType", {"path": _xml_text(f"LDAP://OU={name},{HOSTING}")}),
        mps_body("Billing", "CreateService", {"name": "S", "price": _xml_text(number)}),
        "<request><data>" + "<a>" * depth + "</a>" * depth + "</data></request>",
    ]
    for body in bodies:
        before = state()
        answer = mps(body.encode("utf-8", "surrogatepass"))
        assert answer.status_code < 500, (body[:300], answer.content)
        if answer.status_code >= 400:
            assert state() == before


@given(username=HOSTILE, package=HOSTILE, date=HOSTILE)
@BOUNDED
def test_soap(client, state, username, package, date):
    body = SOAP_CALL.format(
        user="administrator",
        password="Passw0rd!",
        username=escape(username),
        package=escape(package),
        date=escape(date),
    )
    before = state()
    answer = client.post(
        "/adminportal/webservice.asmx",
        data=body.encode("utf-8", "surrogatepass"),
        content_type="text/xml; charset=utf-8",
    )
    # SOAP 1.1 answers every fault with HTTP 500 (ASMX); what matters is that it is a refusal
    # the portal understood, never an unexpected failure.
    for unexpected in (b"InternalError", b"DirectoryError", b"Traceback"):
        assert unexpected not in answer.content, answer.content
    if b"Fault" in answer.content:
        assert state() == before


@given(name=HOSTILE, display=HOSTILE)
@BOUNDED
def test_pages(browser, gateway, state, name, display):
    client = browser("cm-admin")
    before = state()
    answer = client.post(
        f"/organizations/{gateway.get(ALPINE).guid}/users/new/",
        {
            "name": name.replace("\x00", ""),
            "userPrincipalName": f"{name}@alpineskihouse.com".replace("\x00", ""),
            "password": STRONG,
            "displayName": display.replace("\x00", ""),
            "customerTypeName": "BusinessUser",
        },
    )
    assert answer.status_code < 500
    if answer.status_code == 200:  # the form came back with its errors: nothing was created
        assert state() == before
    for url in (
        f"/organizations/?name={escape(name)}",
        f"/organizations/users/?name={escape(name)}",
        f"/search/?q={escape(name)}",
    ):
        assert client.get(url.replace("\x00", "")).status_code < 500


def test_every_door_was_reached_with_basic_credentials_once(api):
    assert api("get", "/api/procedures/").status_code == 200
    assert basic("administrator")
