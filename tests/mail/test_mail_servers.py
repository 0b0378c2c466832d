"""The private Postfix and Dovecot read the directory: what an entry says is what the servers do.

These tests write the mail attributes straight into the test slapd (arranging, as a provider's
other tools could) to prove the servers' wiring; the procedures that write them are tested in
tests/email_service/.
"""

from __future__ import annotations

import imaplib
import smtplib

import ldap
import pytest

from tests.conftest import ALPINE, JANE, PASSWORD
from tests.mail.helpers import imap_login, message, rcpt_status, send, wait_for

UPN = "jane.smith@alpineskihouse.com"


@pytest.fixture
def jane_mailbox(ldap_admin, mail_servers):
    ldap_admin.modify_s(ALPINE, [(ldap.MOD_ADD, "uPNSuffixes", [b"alpineskihouse.com"])])
    ldap_admin.modify_s(
        JANE,
        [
            (
                ldap.MOD_ADD,
                "proxyAddresses",
                [b"SMTP:jane.smith@alpineskihouse.com", b"smtp:js@alpineskihouse.com"],
            ),
            (ldap.MOD_ADD, "msDS-cloudExtensionAttribute2", [b"64"]),
        ],
    )
    return mail_servers


def test_mail_to_every_address_reaches_the_mailbox_over_imap(jane_mailbox):
    first = send(jane_mailbox, "jane.smith@alpineskihouse.com")
    second = send(jane_mailbox, "JS@AlpineSkiHouse.com")
    assert wait_for(jane_mailbox, UPN, PASSWORD, first["Subject"]) < 1.0
    wait_for(jane_mailbox, UPN, PASSWORD, second["Subject"])


def test_unknown_recipient_in_a_hosted_domain_is_refused_at_rcpt_with_550(jane_mailbox):
    code, text = rcpt_status(jane_mailbox, "nobody@alpineskihouse.com")
    assert code == 550
    assert "User unknown" in text


def test_other_domains_are_never_relayed(jane_mailbox):
    code, text = rcpt_status(jane_mailbox, "someone@example.com")
    assert code == 554
    assert "Relay access denied" in text


def test_no_submission_without_authentication(jane_mailbox):
    with smtplib.SMTP("127.0.0.1", jane_mailbox.smtp_port, timeout=10) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("auth")


def test_imap_login_is_a_directory_bind(jane_mailbox):
    imap_login(jane_mailbox, UPN, PASSWORD).logout()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap_login(jane_mailbox, UPN, "wrong password")


def test_a_user_without_a_mailbox_cannot_log_in_over_imap(jane_mailbox):
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap_login(jane_mailbox, "alpine-admin@alpineskihouse.com", PASSWORD)


def test_a_message_over_the_quota_is_refused_with_552(jane_mailbox):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(jane_mailbox, "jane.smith@alpineskihouse.com", message(size=100_000))
    code, text = refused.value.recipients["jane.smith@alpineskihouse.com"]
    assert code == 552
    assert b"5.2.2" in text and b"quota" in text
    assert jane_mailbox.usage(UPN) == (0, 64)
