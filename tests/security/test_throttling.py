"""Finding 9: failed logins are throttled per account and per client address on all five doors.

After ``AXES_FAILURE_LIMIT`` failures the right password is refused too (429, in the door's own
format), the lockout is recorded for staff, and a name that does not exist is treated alike.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog

from tests.conftest import PASSWORD, basic

pytestmark = pytest.mark.django_db

LIMIT = 3
WRONG = "Wr0ng-Password"


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def _pages(client, user, password, address):
    return client.post("/login/", {"username": user, "password": password}, REMOTE_ADDR=address)


def _admin(client, user, password, address):
    return client.post("/admin/login/", {"username": user, "password": password}, REMOTE_ADDR=address)


def _rest(client, user, password, address):
    return client.get("/api/procedures/", HTTP_AUTHORIZATION=basic(user, password), REMOTE_ADDR=address)


def _mps(client, user, password, address):
    return client.post(
        "/mps/",
        data=b"<request/>",
        content_type="text/xml",
        HTTP_AUTHORIZATION=basic(user, password),
        REMOTE_ADDR=address,
    )


def _soap(client, user, password, address):
    from tests.security.conftest import SOAP_CALL

    body = SOAP_CALL.format(
        user=user, password=password, username="northwind", package=1, date="2026-02-01T00:00:00"
    )
    return client.post(
        "/adminportal/webservice.asmx",
        data=body.encode(),
        content_type="text/xml; charset=utf-8",
        REMOTE_ADDR=address,
    )


DOORS = {"pages": _pages, "admin": _admin, "rest": _rest, "mps": _mps, "soap": _soap}


def _accepted(door: str, response) -> bool:
    if door in ("pages", "admin"):
        return response.status_code == 302
    if door == "soap":
        return b"AuthHeader" not in response.content and response.status_code != 429
    return response.status_code not in (401, 429)


@pytest.mark.parametrize("door", DOORS)
def test_right_password_refused_after_too_many_wrong_ones(door, client, slapd):
    send = DOORS[door]
    assert _accepted(door, send(client, "administrator", PASSWORD, "10.0.0.1"))
    client.logout()
    for _ in range(LIMIT):
        send(client, "administrator", WRONG, "10.0.0.1")
    locked = send(client, "administrator", PASSWORD, "10.0.0.1")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    # the account is locked from every address, and the refusal is recorded for staff
    assert send(client, "administrator", PASSWORD, "10.0.0.2").status_code == 429
    assert AccessFailureLog.objects.filter(username="administrator", locked_out=True).exists()


@pytest.mark.parametrize("door", DOORS)
def test_an_address_with_too_many_failures_is_refused_for_every_account(door, client, slapd):
    send = DOORS[door]
    for number in range(LIMIT):
        send(client, f"nobody{number}", WRONG, "10.0.0.9")
    assert send(client, "administrator", PASSWORD, "10.0.0.9").status_code == 429
    assert _accepted(door, send(client, "administrator", PASSWORD, "10.0.0.10"))


def test_letter_case_does_not_give_more_attempts(client, slapd):
    for name in ("CM-ADMIN", "cm-admin", "Cm-Admin"):
        _rest(client, name, WRONG, f"10.1.0.{len(name)}{name.count('A')}")
    assert _rest(client, "cm-admin", PASSWORD, "10.1.1.1").status_code == 429


def test_a_locked_account_is_not_revealed_as_existing(client, slapd):
    answers = {}
    for number, name in enumerate(("cm-admin", "no-such-user")):
        for attempt in range(LIMIT):
            _mps(client, name, WRONG, f"10.2.{number}.{attempt}")
        answers[name] = _mps(client, name, PASSWORD, f"10.2.{number}.9")
    assert answers["cm-admin"].status_code == answers["no-such-user"].status_code == 429
    assert answers["cm-admin"].content == answers["no-such-user"].content


def test_staff_see_the_lockout_in_the_admin(client, browser, slapd):
    for attempt in range(LIMIT):
        _rest(client, "alpine-admin", WRONG, f"10.3.0.{attempt}")
    assert AccessAttempt.objects.filter(username="alpine-admin").exists()
    page = browser("administrator").get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert "alpine-admin" in page.content.decode()


def test_a_success_before_the_limit_starts_the_count_again(client, slapd):
    for _ in range(LIMIT - 1):
        _rest(client, "cm-admin", WRONG, "10.4.0.1")
    assert _rest(client, "cm-admin", PASSWORD, "10.4.0.1").status_code == 200
    for _ in range(LIMIT - 1):
        _rest(client, "cm-admin", WRONG, "10.4.0.1")
    assert _rest(client, "cm-admin", PASSWORD, "10.4.0.2").status_code == 200
