"""Mailboxes on the real Postfix and Dovecot: what the procedures write is what the servers do.

Mail is sent with smtplib to the harness's Postfix and read with imaplib from its Dovecot, both
reading the test slapd; the procedures run through the REST and MPS doors.
"""

from __future__ import annotations

import imaplib
import smtplib
import time

import pytest

from portal.directory import dn_to_path
from tests.conftest import ALPINE, CM, JANE, PASSWORD
from tests.email_service.conftest import error
from tests.mail.helpers import imap_login, inbox_subjects, message, rcpt_status, send, wait_for

UPN = "jane.smith@alpineskihouse.com"
JANE_PATH = dn_to_path(JANE)


@pytest.fixture
def servers(mail_servers, alpine_subscribed):
    return mail_servers


@pytest.fixture
def jane(servers, call):
    """Jane Smith with a Basic Mailbox at two addresses."""
    response = call(
        "CreateMailbox",
        {
            "user": JANE_PATH,
            "planName": "Basic Mailbox",
            "alias": "jane.smith",
            "emailAddresses": {"value": ["SMTP:jane.smith@alpineskihouse.com", "jane@AlpineSkiHouse.com"]},
        },
        user="alpine-admin",
    )
    assert response.status_code == 200, response.content
    return servers


def test_create_mailbox_delivers_at_every_address_within_a_second(servers, call):
    response = call(
        "CreateMailbox",
        {
            "user": JANE_PATH,
            "planName": "Basic Mailbox",
            "alias": "jane.smith",
            "emailAddresses": {"value": ["jane.smith@alpineskihouse.com", "jane@alpineskihouse.com"]},
        },
        user="alpine-admin",
    )
    answered = time.monotonic()
    assert response.status_code == 200, response.content
    first = send(servers, "jane.smith@alpineskihouse.com")
    second = send(servers, "jane@alpineskihouse.com")
    wait_for(servers, UPN, PASSWORD, first["Subject"])
    wait_for(servers, UPN, PASSWORD, second["Subject"])
    assert time.monotonic() - answered < 1.0


def test_get_mailbox_shows_addresses_plan_quota_and_real_usage(jane, call):
    sent = send(jane, "jane@alpineskihouse.com", message(size=20_000))
    wait_for(jane, UPN, PASSWORD, sent["Subject"])
    response = call("GetMailbox", {"user": JANE_PATH}, user="alpine-admin")
    assert response.status_code == 200, response.content
    data = response.json()["executeData"]
    assert data["alias"] == "jane.smith"
    assert data["emailAddresses"] == {"value": ["jane.smith@alpineskihouse.com", "jane@alpineskihouse.com"]}
    assert data["planName"] == "Basic Mailbox"
    assert data["enabled"] == "true"
    assert data["quotaKB"] == str(1024 * 1024)
    assert 20 <= int(data["usedKB"]) <= 30  # what Dovecot counts for the one message stored


def test_unknown_recipient_in_a_hosted_domain_gets_550(jane):
    assert rcpt_status(jane, "nobody@alpineskihouse.com")[0] == 550


def test_disabled_mailbox_refuses_mail_and_login_and_enabling_keeps_the_old_mail(jane, call):
    before = send(jane, "jane.smith@alpineskihouse.com")
    wait_for(jane, UPN, PASSWORD, before["Subject"])
    assert call("DisableMailbox", {"user": JANE_PATH}, user="alpine-admin").status_code == 200
    assert rcpt_status(jane, "jane.smith@alpineskihouse.com")[0] == 550
    assert rcpt_status(jane, "jane@alpineskihouse.com")[0] == 550
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap_login(jane, UPN, PASSWORD)
    data = call("GetMailbox", {"user": JANE_PATH}, user="alpine-admin").json()["executeData"]
    assert data["enabled"] == "false"
    assert call("EnableMailbox", {"user": JANE_PATH}, user="alpine-admin").status_code == 200
    after = send(jane, "jane@alpineskihouse.com")
    wait_for(jane, UPN, PASSWORD, after["Subject"])
    assert inbox_subjects(jane, UPN, PASSWORD) == [before["Subject"], after["Subject"]]


def test_deleted_mailbox_refuses_mail_and_login_and_frees_its_place(jane, call):
    assert call("DeleteMailbox", {"user": JANE_PATH}, user="alpine-admin").status_code == 200
    assert rcpt_status(jane, "jane.smith@alpineskihouse.com")[0] == 550
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(jane, UPN, PASSWORD)
    assert call("GetUserPlan", {"user": JANE_PATH}, user="alpine-admin").json()["executeData"]["plan"] is None
    assert call("GetMailbox", {"user": JANE_PATH}, user="alpine-admin").status_code == 404


def test_deleted_user_gets_no_more_mail(jane, call):
    response = call(
        "DeleteUser", {"user": JANE_PATH}, user="alpine-admin", namespace="Managed Active Directory"
    )
    assert response.status_code == 200, response.content
    assert rcpt_status(jane, "jane.smith@alpineskihouse.com")[0] == 550


def test_unsubscribed_organization_gets_no_mail_and_no_login(jane, call):
    response = call("Unsubscribe", {"organization": dn_to_path(ALPINE)}, user="cm-admin")
    assert response.status_code == 200, response.content
    assert rcpt_status(jane, "jane.smith@alpineskihouse.com")[0] in (550, 554)
    code, text = rcpt_status(jane, "sales@alpineskihouse.com")
    assert code == 554 and "Relay access denied" in text  # the domain is no longer accepted
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(jane, UPN, PASSWORD)


def test_quota_refuses_a_message_that_would_pass_it_with_a_clear_status(jane, call):
    response = call(
        "ModifyMailbox",
        {"user": JANE_PATH, "planOverrides": {"prohibitSendReceiveQuota": str(40 * 1024)}},
        user="alpine-admin",
    )
    assert response.status_code == 200, response.content
    small = send(jane, "jane@alpineskihouse.com", message(size=10_000))
    wait_for(jane, UPN, PASSWORD, small["Subject"])
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(jane, "jane@alpineskihouse.com", message(size=50_000))
    code, text = refused.value.recipients["jane@alpineskihouse.com"]
    assert code == 552 and b"5.2.2" in text and b"quota" in text
    data = call("GetMailbox", {"user": JANE_PATH}, user="alpine-admin").json()["executeData"]
    assert data["quotaKB"] == "40"
    assert 10 <= int(data["usedKB"]) < 40


def test_change_user_plan_assignment_changes_the_enforced_quota(jane, call):
    response = call(
        "ChangeUserPlanAssignment", {"user": JANE_PATH, "planName": "Webmail Only"}, user="alpine-admin"
    )
    assert response.status_code == 200, response.content
    assert jane.usage(UPN) == (0, 512 * 1024)


def test_address_outside_the_organizations_domains_is_refused_and_changes_nothing(servers, call):
    response = call(
        "CreateMailbox",
        {
            "user": JANE_PATH,
            "planName": "Basic Mailbox",
            "alias": "jane",
            "emailAddresses": {"value": ["jane@northwind.com"]},
        },
        user="alpine-admin",
    )
    assert response.status_code == 400
    assert "not in an SMTP domain of the organization" in error(response)
    assert call("GetUserPlan", {"user": JANE_PATH}, user="alpine-admin").json()["executeData"]["plan"] is None


def test_an_address_in_use_elsewhere_is_refused(jane, call):
    response = call(
        "CreateMailbox",
        {
            "user": dn_to_path(f"CN=alpine-admin,{ALPINE}"),
            "planName": "Basic Mailbox",
            "alias": "admin",
            "emailAddresses": {"value": ["JANE@alpineskihouse.com"]},
        },
        user="alpine-admin",
    )
    assert response.status_code == 409
    assert error(response) == "The e-mail address JANE@alpineskihouse.com is already in use."


def test_a_failed_request_leaves_the_mail_servers_as_before(jane, mps):
    # one MPS request: the mailbox gains an address and a smaller quota, then a later step fails
    body = f"""<request>
  <procedure>
    <execute namespace="Hosted Email 2007" procedure="ModifyMailbox" impersonate="1">
      <executeData>
        <user>{JANE_PATH}</user>
        <preferredDomainController>AD01.fabrikam.com</preferredDomainController>
        <emailAddresses><value>jane.smith@alpineskihouse.com</value><value>js@alpineskihouse.com</value></emailAddresses>
        <planOverrides><prohibitSendReceiveQuota>1024</prohibitSendReceiveQuota></planOverrides>
      </executeData>
    </execute>
    <execute namespace="Hosted Email 2007" procedure="DisableMailbox" impersonate="1">
      <executeData>
        <user>{JANE_PATH}</user>
        <preferredDomainController>AD01.fabrikam.com</preferredDomainController>
      </executeData>
    </execute>
    <execute namespace="Hosted Email 2007" procedure="DeleteMailbox" impersonate="1">
      <executeData>
        <user>{dn_to_path(f"CN=alpine-admin,{ALPINE}")}</user>
        <preferredDomainController>AD01.fabrikam.com</preferredDomainController>
      </executeData>
    </execute>
  </procedure>
</request>"""
    response = mps(body, "alpine-admin")
    assert response.status_code == 404  # alpine-admin has no mailbox: the whole request fails
    assert rcpt_status(jane, "js@alpineskihouse.com")[0] == 550
    sent = send(jane, ["jane@alpineskihouse.com", "jane.smith@alpineskihouse.com"])
    wait_for(jane, UPN, PASSWORD, sent["Subject"])
    assert jane.usage(UPN)[1] == 1024 * 1024


def test_distribution_list_reaches_every_member(jane, call):
    response = call(
        "CreateDistributionList",
        {"container": dn_to_path(ALPINE), "name": "Sales@AlpineSkiHouse.com", "managedBy": UPN},
        user="alpine-admin",
    )
    assert response.status_code == 200, response.content
    assert response.json()["executeData"] == {}  # the page's schema: an empty <executeData>
    group = dn_to_path(f"CN=Sales@AlpineSkiHouse.com,{ALPINE}")
    response = call(
        "GroupAdd",
        {"group": group, "newMember": JANE_PATH},
        user="alpine-admin",
        namespace="Managed Active Directory",
    )
    assert response.status_code == 200, response.content
    sent = send(jane, "sales@alpineskihouse.com")
    wait_for(jane, UPN, PASSWORD, sent["Subject"])


def test_smtp_domains_decide_what_the_server_accepts(jane, call):
    assert rcpt_status(jane, "someone@alpine.example")[0] == 554
    response = call(
        "CreateSMTPDomain",
        {"organization": dn_to_path(ALPINE), "domainName": "Alpine.Example"},
        user="cm-admin",
    )
    assert response.status_code == 200, response.content
    assert rcpt_status(jane, "someone@alpine.example")[0] == 550  # accepted domain, unknown user
    response = call(
        "ModifyMailbox",
        {
            "user": JANE_PATH,
            "emailAddresses": {"value": ["jane.smith@alpineskihouse.com", "jane@alpine.example"]},
        },
        user="alpine-admin",
    )
    assert response.status_code == 200, response.content
    sent = send(jane, "jane@alpine.example")
    wait_for(jane, UPN, PASSWORD, sent["Subject"])
    response = call(
        "DeleteSMTPDomain",
        {"organization": dn_to_path(ALPINE), "domainName": "alpine.example"},
        user="cm-admin",
    )
    assert response.status_code == 422
    assert "still used by" in error(response)


def test_a_mailbox_made_through_mps_receives_mail_within_a_second(servers, mps):
    org = f"OU=Tailspin,{CM}"
    user = f"CN=ann@tailspin.example,{org}"

    def step(procedure: str, namespace: str, data: str) -> str:
        return (
            f'<execute namespace="{namespace}" procedure="{procedure}" impersonate="1"><executeData>'
            f"{data}<preferredDomainController>AD01.fabrikam.com</preferredDomainController>"
            "</executeData></execute>"
        )

    body = (
        "<request><procedure>"
        + step(
            "CreateOrganization",
            "Managed Active Directory",
            f"<container>{dn_to_path(CM)}</container><name>Tailspin</name><policyName>customer</policyName>",
        )
        + step("EnableCustomerForPlans", "MPS Import", f"<path>{dn_to_path(org)}</path>")
        + step(
            "AddAvailablePlans",
            "Hosted Email 2007",
            f"<organization>{dn_to_path(org)}</organization>"
            "<availablePlans><planName>Business Basic</planName></availablePlans>",
        )
        + step(
            "Subscribe",
            "Hosted Email 2007",
            f"<organization>{dn_to_path(org)}</organization><planName>Business Basic</planName>",
        )
        + step(
            "CreateSMTPDomain",
            "Hosted Email 2007",
            f"<organization>{dn_to_path(org)}</organization><domainName>tailspin.example</domainName>",
        )
        + step(
            "CreateUser",
            "Managed Active Directory",
            f"<container>{dn_to_path(org)}</container><displayName>Ann Beebe</displayName>"
            "<userPrincipalName>ann@tailspin.example</userPrincipalName>"
            '<newPassword do-not-log="1">Tailspin-2026!</newPassword>',
        )
        + step(
            "CreateMailbox",
            "Hosted Email 2007",
            f"<user>{dn_to_path(user)}</user><planName>Basic Mailbox</planName><alias>ann</alias>"
            "<emailAddresses><value>SMTP:ann@tailspin.example</value><value>smtp:ann.beebe@tailspin.example</value>"
            "<value>sales@tailspin.example</value></emailAddresses>",
        )
        + "</procedure></request>"
    )
    response = mps(body, "cm-admin")
    answered = time.monotonic()
    assert response.status_code == 200, response.content
    sent = send(servers, ["ann@tailspin.example", "ann.beebe@tailspin.example", "sales@tailspin.example"])
    wait_for(servers, "ann@tailspin.example", "Tailspin-2026!", sent["Subject"])
    assert time.monotonic() - answered < 1.0
    assert inbox_subjects(servers, "ann@tailspin.example", "Tailspin-2026!") == [sent["Subject"]] * 3


def test_a_deleted_organization_gets_no_more_mail(jane, call):
    response = call(
        "DeleteOrganization",
        {"org": dn_to_path(ALPINE), "recursive": "1"},
        user="cm-admin",
        namespace="Managed Active Directory",
    )
    assert response.status_code == 200, response.content
    assert rcpt_status(jane, "postmaster@alpineskihouse.com")[0] == 554
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(jane, UPN, PASSWORD)
