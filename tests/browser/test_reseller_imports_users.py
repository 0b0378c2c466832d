"""A reseller imports users from a small CSV file on the import page: a file with a wrong header
is refused beside the file field; a good one runs as a job whose page shows its progress live and
then every row's result, to filter and to download."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import accessibility_violations, log_in, navigate, screenshot
from tests.conftest import ALPINE, NORTHWIND

pytestmark = pytest.mark.django_db(transaction=True)

STRONG = "Str0ng-Secret"
USERS_CSV = (
    "container,sAMAccountName,userPrincipalName,newPassword,mail,customerTypeName\n"
    f'"LDAP://{ALPINE}",Ann Lee,ann@alpineskihouse.com,{STRONG},ann@alpineskihouse.com,BusinessUser\n'
    f'"LDAP://{ALPINE}",Weak Pass,weak@alpineskihouse.com,password,,BusinessUser\n'
    f'"LDAP://{NORTHWIND}",Far Away,far@northwind.com,{STRONG},,\n'
)


def csv_file(name: str, text: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def test_import_shows_live_progress_then_each_rows_result(page, demo, held_job):
    log_in(page, demo, "cm-admin")
    navigate(page, "Import users")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import users")

    page.get_by_label("CSV or LDIF file").set_input_files(csv_file("wrong.csv", "name,password\nx,y\n"))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_label("CSV or LDIF file")).to_have_accessible_description(
        re.compile("missing: .*container")
    )
    screenshot(page, "import-refused")

    page.get_by_label("CSV or LDIF file").set_input_files(csv_file("users.csv", USERS_CSV))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of users.csv")
    expect(page.get_by_role("status")).to_have_text("Status: running — 1 of 3")
    expect(page.get_by_label("Progress")).to_have_attribute("value", "33")
    screenshot(page, "import-running")
    held_job()  # the job goes on; the page follows it to the end on its own

    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Status: partly failed — 3 of 3")
    expect(page.locator("#job").get_by_role("alert")).to_have_text(
        "2 of 3 rows failed: see the rows marked failed; the others were done."
    )
    summary = page.locator("#job dl")
    expect(summary).to_contain_text(re.compile(r"Created\s*1"))
    expect(summary).to_contain_text(re.compile(r"Failed\s*2"))
    rows = page.get_by_role("row")
    expect(rows).to_have_count(4)  # the header and one row per line of the file
    expect(rows.nth(1).get_by_role("cell")).to_have_text(["2", "created", "ann@alpineskihouse.com", ""])
    expect(rows.nth(2)).to_contain_text(
        re.compile("3\\s*failed\\s*weak@alpineskihouse.com\\s*The password is too")
    )
    expect(rows.nth(3)).to_contain_text("outside the scope of cm-admin")
    screenshot(page, "import-results")
    assert accessibility_violations(page) == []

    page.get_by_label("Show").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row")).to_have_count(3)
    expect(page.get_by_role("row").filter(has_text="ann@alpineskihouse.com")).to_have_count(0)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download all results as CSV").click()
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0] == "line,status,subject,message"
    assert lines[1] == "2,created,ann@alpineskihouse.com,"
    assert [line.split(",")[1] for line in lines[2:]] == ["failed", "failed"]

    navigate(page, "Users")
    expect(page.get_by_role("link", name="ann@alpineskihouse.com", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="weak@alpineskihouse.com", exact=True)).to_have_count(0)
