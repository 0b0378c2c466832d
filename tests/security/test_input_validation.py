"""Findings 8, 10 and 11: what the directory, XML or the money fields cannot carry is refused with
a 400 naming the field, on every door, and changes nothing; amounts stay Decimal end to end."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from billing.models import Service
from tests.conftest import ALPINE, DC, JANE
from tests.customers.conftest import STRONG
from tests.security.conftest import mps_body

pytestmark = pytest.mark.django_db

PROCEDURES = "/api/procedures/"


def _run(api, namespace, procedure, data, user="administrator"):
    return api(
        "post",
        PROCEDURES,
        json={"namespace": namespace, "procedure": procedure, "executeData": data},
        user=user,
    )


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == field, response.json()


def _new_user(name: str, **more) -> dict:
    return {
        "container": f"LDAP://{ALPINE}",
        "sAMAccountName": name,
        "userPrincipalName": f"{name}@alpineskihouse.com",
        "newPassword": STRONG,
        "preferredDomainController": DC,
        **more,
    }


def test_a_control_character_is_refused_and_reads_keep_working(api, mps, read):
    _refused(
        _run(api, "Managed Active Directory", "CreateUser", _new_user("ctl", displayName="a\u0000b")),
        "displayName",
    )
    assert read(f"CN=ctl@alpineskihouse.com,{ALPINE}") is None
    for user in ("administrator", "cm-admin", "alpine-admin"):
        answer = mps(
            mps_body("Hosted Email 2007", "GetUserPlanAssignment", {"organization": f"LDAP://{ALPINE}"}), user
        )
        assert answer.status_code < 500


def test_a_control_character_already_in_the_directory_does_not_break_a_read(
    mps, ldap_admin, alpine_subscribed
):
    import ldap

    ldap_admin.modify_s(JANE, [(ldap.MOD_REPLACE, "displayName", [b"Jane\x01Smith"])])
    answer = mps(mps_body("Hosted Email 2007", "GetUserPlanAssignment", {"organization": f"LDAP://{ALPINE}"}))
    assert answer.status_code == 200, answer.content


@pytest.mark.parametrize(
    "path", ["LDAP://OU=#41,OU=Hosting,DC=fabrikam,DC=com", "OU=#00ff,OU=Hosting,DC=fabrikam,DC=com"]
)
def test_a_dn_value_starting_with_a_hash_is_a_400(api, path):
    _refused(
        _run(api, "Managed Hosting", "GetOrgType", {"path": path, "preferredDomainController": DC}), "path"
    )


def test_a_name_starting_with_a_hash_is_escaped_not_a_server_error(api, read):
    answer = _run(api, "Managed Active Directory", "CreateUser", _new_user("#hash"))
    assert answer.status_code in (200, 400), answer.content


def test_json_nested_ten_thousand_deep_is_a_400(client, slapd, db):
    from tests.conftest import basic

    body = '{"namespace": "a", "procedure": "b", "executeData": ' + "[" * 10_000 + "]" * 10_000 + "}"
    answer = client.post(
        PROCEDURES, data=body, content_type="application/json", HTTP_AUTHORIZATION=basic("administrator")
    )
    assert answer.status_code == 400
    assert "nests deeper" in answer.json()["error"]["description"]


def test_xml_nested_ten_thousand_deep_is_a_400(mps):
    answer = mps("<request><data>" + "<a>" * 10_000 + "</a>" * 10_000 + "</data></request>")
    assert answer.status_code == 400


@pytest.mark.parametrize(
    ("value", "field"),
    [("1e30", "price"), ("12345678901234567890.12", "price"), ("-1e30", "price")],
)
def test_amounts_beyond_the_money_field_are_refused(api, billing_demo, value, field):
    before = Service.objects.count()
    _refused(_run(api, "Billing", "CreateService", {"name": "Huge", "price": value}), field)
    body = json.dumps(
        {"namespace": "Billing", "procedure": "CreateService", "executeData": {"name": "Huge", "price": 0}}
    )
    body = body.replace('"price": 0', f'"price": {value}')
    answer = api("post", PROCEDURES, json=body)
    assert answer.status_code == 400
    assert Service.objects.count() == before


def test_an_amount_keeps_every_digit_it_was_given(api, billing_demo):
    body = '{"namespace": "Billing", "procedure": "CreateService", "executeData": {"name": "Exact", "price": 123456789012.34}}'
    answer = api("post", PROCEDURES, json=body)
    assert answer.status_code == 200, answer.content
    assert Service.objects.get(name="Exact").price == Decimal("123456789012.34")


def test_a_23_digit_service_id_is_a_400(api, billing_demo):
    _refused(
        _run(api, "Billing", "CreateService", {"serviceID": "1" * 23, "name": "X", "price": "1.00"}),
        "serviceID",
    )
    _refused(
        _run(api, "Billing", "CreateService", {"serviceID": 10**22, "name": "X", "price": "1.00"}),
        "serviceID",
    )


def test_a_23_digit_max_mailboxes_is_a_400(api):
    data = {
        "planName": "Huge",
        "description": "A plan with a 23-digit mail store",
        "features": {"mailStore": {"megabytes": "9" * 23}},
        "preferredDomainController": DC,
    }
    _refused(_run(api, "Hosted Email 2007", "CreateOrganizationPlan", data), "features")


def test_a_next_bill_date_in_year_9999_is_a_400(soap, billing_demo):
    answer = soap("administrator", date="9999-12-31T00:00:00")
    assert answer.status_code != 500 or b"InternalError" not in answer.content
    assert b"NextBillDate" in answer.content and b"out of range" in answer.content


def test_a_bill_run_far_in_the_future_is_refused_and_bills_nothing(api, billing_demo):
    from billing.models import Invoice

    _refused(_run(api, "Billing", "RunBillCycle", {"date": "9999-12-31"}), "date")
    _refused(_run(api, "Billing", "RunBillCycle", {"date": "2200-01-01"}), "date")
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/organizations/",
        "/api/users/",
        "/api/customer-records/",
        "/api/subscriptions/",
        "/api/smtp-domains/",
        "/api/plans/",
        "/api/billing/accounts/",
        "/api/billing/invoices/",
    ],
)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=99999999999999999999", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("offset=-5", "offset"),
        ("offset=x", "offset"),
        ("offset=99999999999999999999", "offset"),
    ],
)
def test_paging_parameters_are_checked(api, url, query, field):
    _refused(api("get", f"{url}?{query}"), field)
