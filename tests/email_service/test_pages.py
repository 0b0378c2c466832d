"""The e-mail service pages through Django's test client, logged in through the directory."""

from __future__ import annotations

import re

from email_service.models import AvailablePlan, OrganizationPlan, Subscription, UserPlanAssignment
from hosting.models import CustomerRecord
from portal.models import AuditRecord
from tests.conftest import ALPINE, BOB, JANE, NORTHWIND
from tests.email_service.conftest import BASIC, PREMIUM


def record_dn(dn: str) -> str:
    """The DN a page's organization choice carries: the Plans database record's."""
    return CustomerRecord.objects.get(dn_key=dn.lower()).dn


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_pages_need_a_login(client, db):
    for url in ("/email/", "/email/plans/", "/email/subscriptions/", "/email/organization/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_the_index_links_the_three_pages(browser):
    page = text(browser("alpine-admin").get("/email/"))

    for url in ("/email/plans/", "/email/subscriptions/", "/email/organization/"):
        assert f'href="{url}"' in page


def test_domain_admins_see_every_plan_and_define_new_ones(browser, email_plans):
    client = browser("administrator")
    page = text(client.get("/email/plans/"))
    assert "Business Basic" in page and "Webmail Only (512 MB: OWA)" in page
    assert '<label for="id_plan-name">Plan name:</label>' in page

    response = client.post(
        "/email/plans/",
        {
            "action": "plan",
            "plan-name": "Business Plus",
            "plan-maxMailboxes": "20",
            "plan-defaultMailboxSizeMB": "2048",
            "plan-maxStorageMB": "40960",
            "plan-features": ["POP", "OWA"],
        },
    )

    assert response.status_code == 302
    assert OrganizationPlan.objects.get(name="Business Plus").features == ["POP", "OWA"]
    assert AuditRecord.objects.filter(procedure="CreateOrganizationPlan", door="page").count() == 1


def test_the_engines_refusal_is_shown_beside_the_field(browser, email_plans):
    response = browser("administrator").post(
        "/email/plans/",
        {
            "action": "user-plan",
            "user-plan-name": "Phone",
            "user-plan-organizationPlan": BASIC,
            "user-plan-features": ["ActiveSync"],
        },
    )

    assert response.status_code == 400
    assert (
        '<p class="error" role="alert" id="id_user-plan-features_error">The organization plan '
        "&#x27;Business Basic&#x27; does not enable ActiveSync; a user plan of it may enable only: "
        "POP, IMAP, OWA.</p>"
    ) in text(response)


def test_a_reseller_sees_only_its_plans_and_no_definition_forms(browser, email_plans):
    page = text(browser("cm-admin").get("/email/plans/"))

    assert "Business Basic" in page
    assert "New organization plan" not in page


def test_a_reseller_sees_its_customers_subscriptions_only(browser, alpine_subscribed):
    page = text(browser("cm-admin").get("/email/subscriptions/"))
    other = text(browser("contoso-admin").get("/email/subscriptions/"))

    assert "AlpineSkiHouse" in page and "alpineskihouse.com" in page and "0 of 2" in page
    assert "alpineskihouse.com" not in other
    assert "No customer of yours subscribes" in other


def test_a_reseller_subscribes_a_customer_from_its_page(browser, email_plans):
    client = browser("contoso-admin")
    passed = client.post(
        "/email/subscriptions/",
        {
            "action": "plan-add",
            "available-organization": record_dn(NORTHWIND),
            "available-plan": PREMIUM,
        },
    )
    assert passed.status_code == 302, text(passed)
    assert AvailablePlan.objects.at_path(NORTHWIND).count() == 1

    response = client.post(
        "/email/subscriptions/",
        {
            "action": "subscribe",
            "subscribe-organization": record_dn(NORTHWIND),
            "subscribe-organizationPlan": PREMIUM,
            "subscribe-smtpDomain": "northwind.com",
        },
    )

    assert response.status_code == 302
    assert Subscription.objects.get().organization_plan.name == PREMIUM
    assert "northwind.com" in text(client.get("/email/subscriptions/"))


def test_a_refused_subscription_shows_the_engines_text(browser, alpine_subscribed):
    response = browser("cm-admin").post(
        "/email/subscriptions/",
        {
            "action": "subscribe",
            "subscribe-organization": record_dn(ALPINE),
            "subscribe-organizationPlan": BASIC,
            "subscribe-smtpDomain": "alpine.example",
        },
    )

    assert response.status_code == 400
    assert (
        "is already subscribed to Hosted Email 2007 (organization plan &#x27;Business Basic&#x27;)."
        in text(response)
    )


def test_a_reseller_unsubscribes_a_customer_from_its_page_after_confirming(browser, alpine_subscribed):
    reseller = browser("cm-admin")
    form = {"action": "unsubscribe", "unsubscribe-organization": Subscription.objects.get().dn}
    asked = reseller.post("/email/subscriptions/", form)

    assert asked.status_code == 200
    assert "Unsubscribe from the e-mail service?" in text(asked)
    assert 'name="confirmed" value="yes"' in text(asked)
    assert Subscription.objects.exists()  # nothing happens before the person confirms

    response = reseller.post("/email/subscriptions/", {**form, "confirmed": "yes"})

    assert response.status_code == 302
    assert not Subscription.objects.exists()


def test_a_customer_administrator_sees_its_plan_and_usage_bars(browser, alpine_subscribed):
    page = text(browser("alpine-admin").get("/email/organization/"))

    assert "<h1>E-mail service of AlpineSkiHouse</h1>" in page
    assert "Your plan: Business Basic" in page
    assert '<label for="limit-1">Mailboxes: 0 of 2</label>' in page
    assert '<meter id="limit-1" min="0" max="2" value="0">' in page
    assert '<label for="limit-2">Storage: 0 MB of 4096 MB</label>' in page
    assert '<meter id="limit-2" min="0" max="4096" value="0">' in page
    assert "alpineskihouse.com" in page
    assert '<label for="user-1-userPlan">Plan for Jane Smith</label>' in page


def test_a_customer_administrator_changes_a_users_plan(browser, alpine_subscribed):
    client = browser("alpine-admin")

    response = client.post("/email/organization/", {"user": f"LDAP://{JANE}", "userPlan": "Webmail Only"})

    assert response.status_code == 302
    assert UserPlanAssignment.objects.get().user_plan.name == "Webmail Only"
    page = text(client.get("/email/organization/"))
    assert '<label for="limit-1">Mailboxes: 1 of 2</label>' in page
    assert '<label for="limit-2">Storage: 512 MB of 4096 MB</label>' in page


def test_a_refused_plan_change_is_shown_in_the_users_row(browser, alpine_subscribed):
    response = browser("alpine-admin").post(
        "/email/organization/", {"user": f"LDAP://{JANE}", "userPlan": "Premium Mailbox"}
    )

    assert response.status_code == 400
    assert (
        "&#x27;Premium Mailbox&#x27; is not a user plan of the organization plan &#x27;Business Basic&#x27;"
        in text(response)
    )
    assert not UserPlanAssignment.objects.exists()


def test_an_organization_out_of_scope_is_refused(browser, alpine_subscribed):
    response = browser("contoso-admin").get("/email/organization/", {"organization": f"LDAP://{ALPINE}"})

    assert response.status_code == 403
    assert "is outside the scope of contoso-admin" in text(response)


def test_an_organization_that_is_not_subscribed_says_so(browser, email_plans):
    response = browser("alpine-admin").get("/email/organization/")

    assert response.status_code == 404
    assert "is not subscribed to Hosted Email 2007." in text(response)


def test_a_refused_change_of_a_user_not_listed_is_shown_at_the_top(browser, alpine_subscribed):
    response = browser("alpine-admin").post(
        "/email/organization/", {"user": f"LDAP://{BOB}", "userPlan": "Webmail Only"}
    )

    assert response.status_code == 400
    assert (
        f'<div class="error" role="alert"><p>&lt;user&gt; {BOB} is outside the scope of alpine-admin.</p>'
        in text(response)
    )
