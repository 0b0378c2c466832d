"""What each role sees once logged in with the demo data: its home dashboard, the trail of an
object page down the hosting tree, the search box inside its scope, and an object page's history
and actions."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, object_page
from tests.conftest import ALPINE, HOSTING, JANE, LITWARE, NORTHWIND

pytestmark = pytest.mark.django_db(transaction=True)


def region(page, name: str):
    """The section of the page headed ``name``."""
    return page.get_by_role("region", name=name, exact=True)


def counts(page) -> dict[str, int]:
    """The figures at the top of the dashboard, by label."""
    figures = {}
    for stat in page.locator(".stat").all():
        value = stat.locator(".value").inner_text()
        figures[stat.inner_text().replace(value, "", 1).strip()] = int(value)
    return figures


def crumbs(page) -> list[str]:
    """The breadcrumb trail as read: each step's name and, where shown, its kind."""
    return [
        item.inner_text().strip()
        for item in page.get_by_role("navigation", name="Breadcrumb").locator("li").all()
    ]


def test_staff_see_the_resellers_and_what_was_billed_per_month(page, invoice, portal):
    log_in(page, portal, "administrator")
    resellers = region(page, "Resellers")
    assert resellers.get_by_role("link").all_inner_texts() == ["ConsolidatedMessenger", "Contoso"]
    chart = region(page, "Billed per month")
    assert chart.get_by_role("img").is_visible()
    assert f"{invoice.issued_on:%b %Y} 6.50" in chart.locator("figcaption").inner_text()
    assert counts(page) == {"Organizations": 5, "Users": 6, "Subscriptions": 1, "Mailboxes": 1}


def test_a_reseller_sees_its_customers_usage_invoices_and_its_own_last_change(page, invoice, portal):
    log_in(page, portal, "cm-admin")
    customers = region(page, "Your customer organizations")
    assert customers.get_by_role("link").all_inner_texts() == ["AlpineSkiHouse", "Litware"]
    assert "(not compliant)" in customers.get_by_role("listitem").filter(has_text="Litware").inner_text()
    assert "Northwind" not in page.inner_text("main")  # Contoso's customer
    assert counts(page) == {"Organizations": 2, "Users": 3, "Subscriptions": 1, "Mailboxes": 1}
    usage = region(page, "Usage against plan limits").get_by_role("row").filter(has_text="AlpineSkiHouse")
    assert "Business Premium" in usage.inner_text()
    assert usage.get_by_label("1 of 50").get_attribute("value") == "1"  # a meter of the mailboxes
    assert region(page, "Open invoices").get_by_role("listitem").inner_text() == "1 open, 6.50 USD due"
    assert f"{invoice.issued_on:%b %Y} 6.50" in region(page, "Billed per month").inner_text()

    # a change made through a page shows up in the last changes (and in the counts)
    customers.get_by_role("link", name="Litware").click()
    page.get_by_role("button", name="Enable for hosting").click()
    assert "Litware is now an organization of the hosting tree." in page.get_by_role("status").inner_text()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    page.wait_for_url(f"{portal}/")
    latest = region(page, "Last changes").get_by_role("row").nth(1)
    assert latest.get_by_role("cell").all_inner_texts()[1:] == [
        "EnableOrganizationForHosting Litware",
        "cm-admin",
        "page",
    ]
    assert counts(page)["Organizations"] == 3
    assert region(page, "Your customer organizations").get_by_text("not compliant").count() == 0


def test_a_customer_administrator_sees_its_users_and_no_chart(page, invoice, portal):
    log_in(page, portal, "alpine-admin")
    main_nav = page.get_by_role("navigation", name="Main")
    assert main_nav.get_by_role("link").all_inner_texts() == [
        "Home",
        "Users",
        "E-mail service",
        "Billing",
        "API",
    ]
    users = region(page, "Your users")
    assert "Jane Smith" in users.get_by_role("link").all_inner_texts()
    assert "jane.smith@alpineskihouse.com" in users.inner_text()
    assert page.get_by_role("heading", name="Billed per month").count() == 0
    assert page.locator("svg").count() == 0
    assert region(page, "Open invoices").get_by_role("listitem").inner_text() == "1 open, 6.50 USD due"
    users.get_by_role("link", name="Jane Smith").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jane Smith")


@pytest.mark.parametrize(
    ("username", "trail"),
    [
        (
            "administrator",
            [
                "Home",
                "Hosting Provider",
                "ConsolidatedMessenger Reseller",
                "AlpineSkiHouse Customer",
                "Jane Smith User",
            ],
        ),
        (
            "cm-admin",
            ["Home", "ConsolidatedMessenger Reseller", "AlpineSkiHouse Customer", "Jane Smith User"],
        ),
        ("alpine-admin", ["Home", "AlpineSkiHouse Customer", "Jane Smith User"]),
    ],
)
def test_the_trail_follows_the_hosting_tree_from_the_top_of_the_scope(page, demo, portal, username, trail):
    log_in(page, portal, username)
    page.goto(object_page(portal, JANE))
    assert crumbs(page) == trail
    trail_nav = page.get_by_role("navigation", name="Breadcrumb")
    assert trail_nav.locator("[aria-current=page]").inner_text() == "Jane Smith"
    assert page.get_by_role("navigation", name="Main").locator("[aria-current=page]").inner_text() == "Users"

    # one step up the tree, to the customer, whose own page ends the trail there
    trail_nav.get_by_role("link", name="AlpineSkiHouse").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("AlpineSkiHouse")
    assert crumbs(page) == trail[:-1]
    if username != "alpine-admin":
        page.get_by_role("navigation", name="Breadcrumb").get_by_role(
            "link", name="ConsolidatedMessenger"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("ConsolidatedMessenger")
        assert page.get_by_role("navigation", name="Main").locator("[aria-current=page]").inner_text() == (
            "Organizations"
        )


def search(page, text: str) -> dict[str, list[str]]:
    """Type ``text`` in the search box and submit it; what was found, by kind."""
    box = page.get_by_role("search").get_by_role("searchbox")
    box.fill(text)
    box.press("Enter")
    page.get_by_role("heading", name="Search", exact=True).wait_for()
    return {
        group.get_by_role("heading").inner_text(): group.get_by_role("link").all_inner_texts()
        for group in page.locator("main section").all()
    }


def test_search_finds_each_kind_of_object_by_name_and_leads_to_its_page(page, demo, portal):
    log_in(page, portal, "cm-admin")
    assert search(page, "alpine") == {
        "Organizations": ["AlpineSkiHouse"],
        "Users": ["Alpine Ski House administrator", "Jane Smith"],  # jane.smith@alpineskihouse.com
        "SMTP domains": ["alpineskihouse.com"],
        "Billing accounts": ["alpineskihouse"],
    }
    page.get_by_role("link", name="alpineskihouse", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing account alpineskihouse")
    assert search(page, "jane") == {"Users": ["Jane Smith"]}
    page.get_by_role("link", name="Jane Smith").click()
    expect(page).to_have_url(object_page(portal, JANE))


def test_search_stays_inside_the_callers_scope(page, demo, portal):
    log_in(page, portal, "cm-admin")
    assert search(page, "Northwind") == {}
    assert page.get_by_role("status").inner_text() == "0 found for “Northwind”."
    page.get_by_role("button", name="Log out").click()
    log_in(page, portal, "administrator")
    found = search(page, "Northwind")
    assert found["Organizations"] == ["Northwind"]
    assert found["Billing accounts"] == ["northwind"]
    page.get_by_role("link", name="Northwind", exact=True).click()
    expect(page).to_have_url(object_page(portal, NORTHWIND))


def actions(page) -> list[str]:
    """The actions an object page offers (empty when it has no Actions section)."""
    section = region(page, "Actions")
    if section.count() == 0:
        return []
    return section.get_by_role("link").all_inner_texts() + section.get_by_role("button").all_inner_texts()


def history(page) -> list[list[str]]:
    """The history table's rows: when, what, who, through, result."""
    rows = region(page, "History").get_by_role("row").all()[1:]
    return [row.get_by_role("cell").all_inner_texts() for row in rows]


def test_organization_pages_show_only_the_actions_the_caller_may_do_and_their_history(page, demo, portal):
    log_in(page, portal, "cm-admin")
    page.goto(object_page(portal, LITWARE))
    assert actions(page) == ["Delete this organization", "Enable for hosting"]  # not compliant yet
    assert history(page) == []
    page.get_by_role("button", name="Enable for hosting").click()
    expect(page.get_by_role("status")).to_contain_text("Litware is now an organization of the hosting tree.")
    assert actions(page) == ["Create a user", "Delete this organization"]
    assert [row[1:] for row in history(page)] == [
        ["EnableOrganizationForHosting", "cm-admin", "page", "succeeded"]
    ]
    page.goto(object_page(portal, "OU=ConsolidatedMessenger," + HOSTING))
    assert actions(page) == ["Create a user", "Create a customer organization"]  # never delete its own

    page.get_by_role("button", name="Log out").click()
    log_in(page, portal, "alpine-admin")
    page.goto(object_page(portal, ALPINE))
    assert actions(page) == ["Create a user"]
    assert "EnableCustomerForPlans" in [row[1] for row in history(page)]
    users = region(page, "Users")
    assert users.get_by_role("link", name="Delete Jane Smith").is_visible()
    assert users.get_by_role("link", name="Delete alpine-admin").count() == 0  # never itself
    assert page.get_by_role("link", name="Import users").count() == 0  # a reseller's page

    page.get_by_role("button", name="Log out").click()
    log_in(page, portal, "administrator")
    page.goto(object_page(portal, HOSTING))
    assert actions(page) == ["Create a reseller"]


def test_user_page_changes_the_plan_for_those_who_may_and_records_it(page, demo, portal):
    log_in(page, portal, "alpine-admin")
    page.goto(object_page(portal, JANE))
    assert region(page, "E-mail plan").get_by_text("Standard Mailbox (2048 MB").is_visible()
    assert actions(page) == ["Delete this user"]
    page.get_by_label("User plan").select_option("Premium Mailbox")
    page.get_by_role("button", name="Change e-mail plan").click()
    assert "The e-mail plan of Jane Smith is now Premium Mailbox." in page.get_by_role("status").inner_text()
    assert history(page)[0][1:] == ["ModifyUserPlan", "alpine-admin", "page", "succeeded"]

    page.goto(object_page(portal, "CN=alpine-admin," + ALPINE))  # its own entry: no deleting itself
    assert actions(page) == []
