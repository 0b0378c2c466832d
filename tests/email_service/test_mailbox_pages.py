"""The user page's mailbox section and the organization page's lists, on the real mail servers."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.core.management import call_command

from tests.conftest import ALPINE, JANE, PASSWORD
from tests.mail.helpers import message, rcpt_status, send, wait_for

pytestmark = pytest.mark.django_db

UPN = "jane.smith@alpineskihouse.com"


@pytest.fixture
def demo(db, mail_servers):
    """The demo data: Jane Smith has a Standard Mailbox at jane.smith@alpineskihouse.com."""
    call_command("load_demo", stdout=io.StringIO())
    return mail_servers


@pytest.fixture
def url(gateway):
    def _url(dn: str) -> str:
        entry = gateway.get(dn)
        prefix = "/organizations/users/" if entry.kind == "user" else "/organizations/"
        return f"{prefix}{entry.guid}/"

    return _url


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_demo_mailbox_receives_mail_and_the_page_shows_its_real_usage(demo, browser, url):
    sent = send(demo, UPN, message(size=50_000))
    wait_for(demo, UPN, PASSWORD, sent["Subject"])
    page = text(browser("alpine-admin").get(url(JANE)))
    assert "jane.smith@alpineskihouse.com (primary)" in page
    assert "enabled: receives mail" in page
    assert "of 2048.0 MB" in page  # Standard Mailbox
    used = re.search(r"Used: ([0-9.]+) MB of 2048.0 MB", page)
    assert used and 0.04 < float(used.group(1)) < 0.1  # the 50 kB message, as Dovecot counts it


def test_disabling_from_the_user_page_stops_mail(demo, browser, url):
    client = browser("alpine-admin")
    response = client.post(url(JANE), {"mailbox_action": "disable"})
    assert response.status_code == 302
    page = text(client.get(url(JANE)))
    assert "The mailbox of Jane Smith is disabled" in page
    assert "Enable mailbox" in page
    assert rcpt_status(demo, UPN)[0] == 550


def test_creating_a_mailbox_from_the_user_page(demo, browser, url):
    admin = f"CN=alpine-admin,{ALPINE}"
    client = browser("alpine-admin")
    page = text(client.get(url(admin)))
    assert "Create mailbox" in page
    response = client.post(
        url(admin),
        {
            "mailbox_action": "create",
            "mailbox-planName": "Standard Mailbox",
            "mailbox-alias": "admin",
            "mailbox-emailAddresses": "office@alpineskihouse.com\nadmin@alpineskihouse.com",
        },
    )
    assert response.status_code == 302, text(response)
    sent = send(demo, "admin@alpineskihouse.com")
    wait_for(demo, "alpine-admin@alpineskihouse.com", PASSWORD, sent["Subject"])
    org = text(client.get(url(ALPINE)))
    assert (
        "<td>Alpine Ski House administrator</td><td>office@alpineskihouse.com</td><td>enabled</td><td>0.0"
        in org
    )
    assert (
        "<td>Jane Smith</td><td>jane.smith@alpineskihouse.com</td><td>enabled</td><td>0.0 MB of 2048.0 MB</td>"
        in org
    )


def test_a_refused_mailbox_shows_the_engine_error_beside_the_field(demo, browser, url):
    admin = f"CN=alpine-admin,{ALPINE}"
    response = browser("alpine-admin").post(
        url(admin),
        {
            "mailbox_action": "create",
            "mailbox-planName": "Standard Mailbox",
            "mailbox-alias": "admin",
            "mailbox-emailAddresses": "jane.smith@alpineskihouse.com",
        },
    )
    assert response.status_code == 400
    assert "The e-mail address jane.smith@alpineskihouse.com is already in use." in text(response)


def test_a_reseller_sees_the_mailboxes_on_the_organization_page(demo, browser, url):
    page = text(browser("cm-admin").get(url(ALPINE)))
    assert "<td>Jane Smith</td><td>jane.smith@alpineskihouse.com</td><td>enabled</td>" in page
    assert "No distribution lists." in page


def test_the_dashboard_shows_the_mail_stored_next_to_the_allocated_storage(demo, browser):
    sent = send(demo, UPN, message(size=300_000))
    wait_for(demo, UPN, PASSWORD, sent["Subject"])
    page = text(browser("cm-admin").get("/"))
    usage = page[page.index('id="usage-title"') :]
    row = re.search(r"<td>AlpineSkiHouse</td>.*?</tr>", usage, re.S).group(0)
    assert "2048 of 102400 MB" in row  # allocated by the plans
    stored = re.search(r"<td>([0-9.]+) MB</td>", row)
    assert stored and 0.25 < float(stored.group(1)) < 0.4  # stored, as Dovecot counts it


def test_deleting_a_mailbox_from_the_user_page_asks_first(demo, browser, url):
    client = browser("alpine-admin")
    response = client.post(url(JANE), {"mailbox_action": "delete"})
    assert response.status_code == 400
    assert "Tick the box to confirm that the mailbox is to be deleted." in text(response)
    assert rcpt_status(demo, UPN)[0] == 250
    response = client.post(url(JANE), {"mailbox_action": "delete", "confirm": "yes"})
    assert response.status_code == 302
    assert "The mailbox of Jane Smith is deleted." in text(client.get(url(JANE)))
    assert rcpt_status(demo, UPN)[0] == 550
