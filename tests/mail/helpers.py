"""Sending and reading mail on the harness's Postfix and Dovecot, as a mail client would."""

from __future__ import annotations

import imaplib
import smtplib
import time
import uuid
from email.message import EmailMessage


def message(subject: str | None = None, body: str = "Hello.\n", size: int = 0) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "sender@example.org"
    msg["Subject"] = subject or f"test {uuid.uuid4().hex[:12]}"
    msg.set_content(body + ("x" * 76 + "\n") * (size // 77))
    return msg


def send(servers, to: str | list[str], msg: EmailMessage | None = None) -> EmailMessage:
    """Send one message over SMTP; refused recipients raise smtplib's errors."""
    msg = msg or message()
    recipients = [to] if isinstance(to, str) else to
    msg["To"] = ", ".join(recipients)
    with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=10) as smtp:
        smtp.send_message(msg, to_addrs=recipients)
    return msg


def rcpt_status(servers, to: str) -> tuple[int, str]:
    """The answer to RCPT TO for ``to`` (nothing is sent)."""
    with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("sender@example.org")
        code, text = smtp.rcpt(to)
        smtp.rset()
    return code, text.decode()


def imap_login(servers, user: str, password: str) -> imaplib.IMAP4:
    imap = imaplib.IMAP4("127.0.0.1", servers.imap_port, timeout=10)
    imap.login(user, password)
    return imap


def inbox_subjects(servers, user: str, password: str) -> list[str]:
    """The subjects in the mailbox's INBOX, oldest first."""
    imap = imap_login(servers, user, password)
    try:
        imap.select("INBOX", readonly=True)
        _, data = imap.search(None, "ALL")
        subjects = []
        for num in data[0].split():
            _, parts = imap.fetch(num, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            header = parts[0][1].decode().strip()
            subjects.append(header.partition(":")[2].strip())
        return subjects
    finally:
        imap.logout()


def wait_for(servers, user: str, password: str, subject: str, timeout: float = 5.0) -> float:
    """Seconds until a message with ``subject`` is in the INBOX; fails after ``timeout``."""
    start = time.monotonic()
    while True:
        if subject in inbox_subjects(servers, user, password):
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{subject!r} did not reach {user} within {timeout} s")
        time.sleep(0.05)
