"""The pages of one user and one organization: details, breadcrumbs down the hosting tree, only
the actions the caller may do, the e-mail service, billing and history."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from email_service.models import OrganizationPlan
from tests.conftest import ALPINE, BOB, CM, JANE, LITWARE, NORTHWIND
from tests.pages import crumbs

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db, slapd):
    """The demo database (AlpineSkiHouse subscribed to Business Premium, Jane Smith on Standard
    Mailbox, the billing accounts)."""
    call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def url(gateway):
    def _url(dn: str) -> str:
        entry = gateway.get(dn)
        prefix = "/organizations/users/" if entry.kind == "user" else "/organizations/"
        return f"{prefix}{entry.guid}/"

    return _url


def test_user_page_shows_details_plan_and_a_trail_from_the_reseller(demo, browser, url):
    response = browser("cm-admin").get(url(JANE))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Jane Smith</h1>" in page
    for shown in ("jane.smith", "jane.smith@alpineskihouse.com", "Managed Active Directory::CreateUser"):
        assert shown in page
    assert re.search(r"<dt>Compliant</dt><dd>yes</dd>", page)
    assert f'<a href="{url(ALPINE)}">AlpineSkiHouse</a>' in page
    assert "Standard Mailbox (2048 MB" in page
    assert crumbs(page) == ["Home", "ConsolidatedMessenger", "AlpineSkiHouse", "Jane Smith"]


def test_domain_admins_trail_starts_at_the_hosting_root(demo, browser, url):
    page = browser("administrator").get(url(JANE)).content.decode()
    assert crumbs(page) == ["Home", "Hosting", "ConsolidatedMessenger", "AlpineSkiHouse", "Jane Smith"]
    org_page = browser("administrator").get(url(ALPINE)).content.decode()
    assert crumbs(org_page) == ["Home", "Hosting", "ConsolidatedMessenger", "AlpineSkiHouse"]


def test_another_resellers_user_and_an_unknown_guid_are_not_found(demo, browser, url):
    client = browser("contoso-admin")
    assert client.get(url(JANE)).status_code == 404
    assert client.get("/organizations/users/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert browser("cm-admin").get(url(BOB)).status_code == 404


def test_user_list_links_each_name_to_its_page(demo, browser, url):
    page = browser("cm-admin").get("/organizations/users/").content.decode()
    assert f'<a href="{url(JANE)}">Jane Smith</a>' in page


def test_user_of_an_unsubscribed_organization_has_no_mailbox_and_no_plan_form(demo, browser, url):
    page = browser("contoso-admin").get(url(BOB)).content.decode()
    assert "No mailbox." in page
    assert "Change e-mail plan" not in page
    assert "Delete this user" in page


def test_changing_a_users_plan_from_its_page_is_recorded_in_its_history(demo, browser, url):
    client = browser("cm-admin")
    response = client.post(url(JANE), {"user": "ignored", "planName": "Premium Mailbox"})
    assert response.status_code == 302
    page = client.get(url(JANE)).content.decode()
    assert "Premium Mailbox (4096 MB" in page
    history = page[page.index('id="history-title"') :]
    assert re.search(r"<td>ModifyUserPlan</td><td>cm-admin</td><td>page</td><td>succeeded</td>", history)
    assert "GetUserPlan" not in history  # the page's own reads are not the object's history


def test_refused_plan_change_shows_the_engine_error_beside_the_field(demo, browser, url, gateway):
    OrganizationPlan.objects.filter(name="Business Premium").update(max_storage_mb=5000)
    admin = f"CN=alpine-admin,{ALPINE}"
    response = browser("alpine-admin").post(url(admin), {"user": "x", "planName": "Premium Mailbox"})
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(
        r'id="id_planName".*?class="error"[^>]*>The user plan &#x27;Premium Mailbox&#x27; \(4096 MB\) '
        r"does not fit the storage limit",
        page,
        re.S,
    )
    assert "No mailbox." in page


def test_customer_administrator_is_not_offered_to_delete_its_own_organization(demo, browser, url):
    page = browser("alpine-admin").get(url(ALPINE)).content.decode()
    assert "Delete this organization" not in page
    assert "Create a user" in page
    assert crumbs(page) == ["Home", "AlpineSkiHouse"]


def test_reseller_sees_enable_only_on_a_non_compliant_organization(demo, browser, url):
    client = browser("cm-admin")
    alpine = client.get(url(ALPINE)).content.decode()
    assert "Enable for hosting" not in alpine and "Delete this organization" in alpine
    litware = client.get(url(LITWARE)).content.decode()
    assert "Enable for hosting" in litware and "Create a user" not in litware


def test_reseller_page_offers_a_customer_preset_under_it(demo, browser, url):
    client = browser("cm-admin")
    page = client.get(url(CM)).content.decode()
    assert "Delete this organization" not in page  # its own organization
    link = re.search(r'<a href="([^"]+)">Create a customer organization</a>', page).group(1)
    form = client.get(link.replace("&amp;", "&")).content.decode()
    assert re.search(r'<option value="LDAP://OU=ConsolidatedMessenger,[^"]*" selected>', form)


def test_enabling_from_the_page_appears_in_the_history(demo, browser, url, gateway):
    client = browser("cm-admin")
    guid = gateway.get(LITWARE).guid
    assert client.post(f"/organizations/{guid}/enable/").status_code == 302
    page = client.get(url(LITWARE)).content.decode()
    assert "Enable for hosting" not in page
    assert re.search(r"<td>EnableOrganizationForHosting</td><td>cm-admin</td><td>page</td>", page)


def test_organization_shows_its_email_service_and_billing_account(demo, browser, url):
    page = browser("alpine-admin").get(url(ALPINE)).content.decode()
    email = page[page.index('id="email-title"') : page.index('id="billing-title"')]
    assert "Business Premium" in email and "alpineskihouse.com" in email
    assert "Mailboxes: 1 of 50" in email and "Storage: 2048 MB of 102400 MB" in email
    assert "/email/organization/?organization=LDAP%3A%2F%2FOU%3DAlpineSkiHouse" in email
    assert '<a href="/billing/accounts/alpineskihouse/">alpineskihouse</a>' in page


def test_unsubscribed_customer_offers_the_subscriptions_page_to_its_reseller(demo, browser, url):
    page = browser("contoso-admin").get(url(NORTHWIND)).content.decode()
    email = page[page.index('id="email-title"') :]
    assert "Not subscribed." in email
    assert 'href="/email/subscriptions/">Subscribe Northwind' in email
    assert '<a href="/billing/accounts/northwind/">northwind</a>' in page
