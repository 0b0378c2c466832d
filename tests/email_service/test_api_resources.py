"""The read-only REST resources /api/subscriptions/, /api/plans/, /api/smtp-domains/, scoped."""

from __future__ import annotations

import pytest

from tests.conftest import ALPINE, NORTHWIND
from tests.email_service.conftest import BASIC, NS, PREMIUM, organization_plan, provider_run


@pytest.fixture
def two_subscriptions(alpine_subscribed):
    provider_run(
        [
            (
                f"{NS}::AddAvailablePlans",
                {"organization": NORTHWIND, "availablePlans": {"planName": [PREMIUM]}},
            ),
            (f"{NS}::Subscribe", {"organization": NORTHWIND, "planName": PREMIUM}),
            (f"{NS}::CreateSMTPDomain", {"organization": NORTHWIND, "domainName": "northwind.com"}),
            (f"{NS}::ModifyUserPlan", {"user": f"CN=Jane Smith,{ALPINE}", "planName": "Basic Mailbox"}),
        ]
    )


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_domain_admins_see_every_subscription_with_usage(api, two_subscriptions):
    rows = results(api("get", "/api/subscriptions/"))

    assert [(row["planName"], row["domainNames"]) for row in rows] == [
        (BASIC, ["alpineskihouse.com"]),
        (PREMIUM, ["northwind.com"]),
    ]
    assert rows[0]["organization"] == (
        "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com"
    )
    assert rows[0]["usage"] == {
        "mailboxes": {"used": 1, "limit": 2},
        "storageMB": {"used": 1024, "limit": 4096},
    }


@pytest.mark.parametrize(
    ("user", "domains"),
    [
        ("cm-admin", ["alpineskihouse.com"]),
        ("contoso-admin", ["northwind.com"]),
        ("alpine-admin", ["alpineskihouse.com"]),
    ],
)
def test_each_caller_sees_the_subscriptions_and_domains_of_its_scope_only(
    api, two_subscriptions, user, domains
):
    subscriptions = results(api("get", "/api/subscriptions/", user=user))
    smtp = results(api("get", "/api/smtp-domains/", user=user))

    assert [domain for row in subscriptions for domain in row["domainNames"]] == domains
    assert [row["name"] for row in smtp] == domains


def test_a_subscription_out_of_scope_is_not_found(api, two_subscriptions):
    northwind = results(api("get", "/api/subscriptions/", user="contoso-admin"))[0]["id"]

    assert api("get", f"/api/subscriptions/{northwind}/", user="cm-admin").status_code == 404
    assert api("get", f"/api/subscriptions/{northwind}/", user="contoso-admin").status_code == 200


def test_plans_are_those_in_reach(api, two_subscriptions):
    provider_run([(f"{NS}::CreateOrganizationPlan", organization_plan("Internal", 1, 1, 1))])

    every = [row["planName"] for row in results(api("get", "/api/plans/"))]
    reseller = [row["planName"] for row in results(api("get", "/api/plans/", user="contoso-admin"))]
    customer = results(api("get", "/api/plans/", user="alpine-admin"))

    assert every == [BASIC, PREMIUM, "Internal"]
    assert reseller == [BASIC, PREMIUM]
    assert [row["planName"] for row in customer] == [BASIC, PREMIUM]
    assert customer[0]["protocols"] == ["POP", "IMAP", "OWA"]
    assert [plan["planName"] for plan in customer[0]["userPlans"]] == ["Basic Mailbox", "Webmail Only"]


@pytest.mark.parametrize("url", ["/api/subscriptions/", "/api/plans/", "/api/smtp-domains/"])
def test_the_resources_are_read_only(api, two_subscriptions, url):
    response = api("post", url, json={"name": "x"})

    assert response.status_code == 405


@pytest.mark.parametrize("url", ["/api/subscriptions/", "/api/plans/", "/api/smtp-domains/"])
def test_the_resources_need_credentials(api, db, url):
    assert api("get", url, user=None).status_code == 401


def test_the_resources_are_in_the_openapi_schema(api, db):
    response = api("get", "/api/schema/?format=json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/subscriptions/", "/api/plans/", "/api/smtp-domains/", "/api/subscriptions/{id}/"):
        assert "get" in paths[path]
        assert "post" not in paths[path]
