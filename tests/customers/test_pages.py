"""Provisioning pages: what each role sees and does, through Django's test client."""

from __future__ import annotations

import re

import pytest

from hosting.models import CustomerRecord
from tests.conftest import ALPINE, CM, LITWARE, NORTHWIND
from tests.customers.conftest import STRONG

pytestmark = pytest.mark.django_db


def guid(gateway, dn: str) -> str:
    return str(gateway.get(dn).guid)


def test_reseller_lists_its_customers_and_none_of_another_resellers(browser):
    page = browser("cm-admin").get("/organizations/").content.decode()
    assert "AlpineSkiHouse" in page and "Litware" in page
    assert "Northwind" not in page and "Contoso" not in page
    users = browser("cm-admin").get("/organizations/users/").content.decode()
    assert "Jane Smith" in users and "Bob Kelly" not in users


def test_another_resellers_organization_page_is_not_found(browser, gateway):
    response = browser("cm-admin").get(f"/organizations/{guid(gateway, NORTHWIND)}/")
    assert response.status_code == 404


def test_list_filters_by_name_and_paginates(browser, call):
    for i in range(30):
        call(
            "cm-admin",
            "Managed Active Directory::CreateOrganization",
            {"parentPath": f"LDAP://{CM}", "name": f"Shop {i:02d}", "type": "Customer"},
        )
    client = browser("cm-admin")
    first = client.get("/organizations/?q=shop").content.decode()
    assert "Page 1 of 2" in first and "AlpineSkiHouse" not in first
    second = client.get("/organizations/?q=shop&page=2").content.decode()
    assert second.count(">Shop ") == 5


def test_reseller_creates_a_customer_registered_in_the_plans_database(browser, read):
    response = browser("cm-admin").post(
        "/organizations/new/", {"parent": f"LDAP://{CM}", "name": "Wide World", "description": "Importers"}
    )
    assert response.status_code == 302
    assert read(f"OU=Wide World,{CM}")["hostingorganizationtype"] == ["Customer"]
    assert CustomerRecord.objects.get(name="Wide World").customer_type == "BusinessOrganization"


def test_duplicate_organization_shows_the_engine_error_beside_the_name(browser):
    response = browser("cm-admin").post(
        "/organizations/new/", {"parent": f"LDAP://{CM}", "name": "AlpineSkiHouse"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(
        r'id="id_name".*?class="error"[^>]*>An organization named AlpineSkiHouse already exists', page, re.S
    )


def test_reseller_cannot_choose_another_resellers_parent(browser):
    response = browser("cm-admin").post(
        "/organizations/new/", {"parent": "LDAP://OU=Contoso,OU=Hosting,DC=fabrikam,DC=com", "name": "X"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_reseller_enables_litware(browser, gateway, read):
    response = browser("cm-admin").post(f"/organizations/{guid(gateway, LITWARE)}/enable/")
    assert response.status_code == 302
    assert read(LITWARE)["hostingorganizationtype"] == ["Customer"]


def test_customer_administrator_creates_a_user_and_sees_only_its_own(browser, gateway, read):
    client = browser("alpine-admin")
    alpine = guid(gateway, ALPINE)
    response = client.post(
        f"/organizations/{alpine}/users/new/",
        {
            "name": "Ann Lee",
            "userPrincipalName": "ann@alpineskihouse.com",
            "password": STRONG,
            "customerTypeName": "BusinessUser",
        },
    )
    assert response.status_code == 302
    assert read(f"CN=Ann Lee,{ALPINE}") is not None
    page = client.get("/organizations/users/").content.decode()
    assert "Ann Lee" in page and "Jane Smith" in page
    assert "cm-admin" not in page
    assert "Litware" not in client.get("/organizations/").content.decode()


def test_weak_password_error_shown_beside_the_password_field(browser, gateway, read):
    response = browser("alpine-admin").post(
        f"/organizations/{guid(gateway, ALPINE)}/users/new/",
        {
            "name": "Ann Lee",
            "userPrincipalName": "ann@alpineskihouse.com",
            "password": "weakweak",
            "customerTypeName": "",
        },
    )
    page = response.content.decode()
    assert re.search(r'id="id_password".*?class="error"[^>]*>The password is too simple', page, re.S)
    assert 'value="weakweak"' not in page
    assert read(f"CN=Ann Lee,{ALPINE}") is None


def test_delete_user_asks_for_confirmation_first(browser, gateway, read):
    client = browser("alpine-admin")
    jane = guid(gateway, f"CN=Jane Smith,{ALPINE}")
    confirm = client.get(f"/organizations/users/{jane}/delete/")
    assert "Delete the user Jane Smith?" in confirm.content.decode()
    assert read(f"CN=Jane Smith,{ALPINE}") is not None
    assert client.post(f"/organizations/users/{jane}/delete/").status_code == 302
    assert read(f"CN=Jane Smith,{ALPINE}") is None


def test_delete_organization_refusal_shown_at_the_top(browser, gateway, read):
    response = browser("cm-admin").post(f"/organizations/{guid(gateway, ALPINE)}/delete/", {})
    assert "still holds 2 user(s)" in response.content.decode()
    assert read(ALPINE) is not None
    response = browser("cm-admin").post(
        f"/organizations/{guid(gateway, ALPINE)}/delete/", {"recursive": "on"}
    )
    assert response.status_code == 302
    assert read(ALPINE) is None


@pytest.mark.django_db(transaction=True)
def test_upload_runs_as_a_job_that_shows_each_row_and_offers_the_csv(browser):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.jobs import jobs_wait

    client = browser("alpine-admin")
    body = (
        "organization,name,userPrincipalName,password,mail,customerTypeName\n"
        f'"LDAP://{ALPINE}",Ann Lee,ann@alpineskihouse.com,{STRONG},,BusinessUser\n'
        f'"LDAP://{ALPINE}",Weak,weak@alpineskihouse.com,weak,,\n'
    )
    response = client.post("/organizations/import/", {"file": SimpleUploadedFile("users.csv", body.encode())})
    assert response.status_code == 302
    job_page = response["Location"]
    assert job_page.startswith("/jobs/")
    jobs_wait()
    page = client.get(job_page).content.decode()
    assert "Import of users.csv" in page
    assert "<dt>Created</dt><dd>1</dd>" in page
    assert "<dt>Failed</dt><dd>1</dd>" in page
    assert "The password is too short" in page
    download = client.get(job_page + "results.csv")
    assert download.status_code == 200
    csv_text = b"".join(download.streaming_content).decode()
    assert "ann@alpineskihouse.com" in csv_text
    assert ",failed,weak@alpineskihouse.com," in csv_text
    # someone else cannot see the job
    client.logout()
    assert browser("cm-admin").get(job_page).status_code == 404


def test_upload_with_a_wrong_header_shows_the_error_beside_the_file(browser):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = browser("alpine-admin").post(
        "/organizations/import/", {"file": SimpleUploadedFile("u.csv", b"a,b\n1,2\n")}
    )
    assert "missing: organization" in response.content.decode()


def test_pages_require_login(client, slapd):
    assert client.get("/organizations/").status_code == 302


def test_domain_admin_sees_the_whole_tree_and_creates_a_reseller(browser, read):
    client = browser("administrator")
    page = client.get("/organizations/").content.decode()
    assert "Contoso" in page and "Northwind" in page and "AlpineSkiHouse" in page
    response = client.post(
        "/organizations/new/", {"parent": "LDAP://OU=Hosting,DC=fabrikam,DC=com", "name": "Tailspin"}
    )
    assert response.status_code == 302
    assert read("OU=Tailspin,OU=Hosting,DC=fabrikam,DC=com")["hostingorganizationtype"] == ["Reseller"]


def test_reseller_is_not_offered_the_hosting_root(browser):
    page = browser("cm-admin").get("/organizations/new/").content.decode()
    assert "a new reseller" not in page and "ConsolidatedMessenger (a new customer)" in page
