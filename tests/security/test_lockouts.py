"""Staff see the current login lockouts on their home page and lift one through the engine
(``Portal::LockoutClear``: DomainAdmins only, confirmed first, audited)."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client

from portal.models import AuditRecord
from tests.conftest import PASSWORD, basic

pytestmark = pytest.mark.django_db

LIMIT = 3
ADDRESS = "10.0.0.7"


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def locked(slapd):
    """jane.smith locked out after failed logins on the login page and the REST door, from one
    address (so the address is locked out too)."""
    outsider = Client()
    for _ in range(LIMIT - 1):
        outsider.post("/login/", {"username": "jane.smith", "password": "Wr0ng"}, REMOTE_ADDR=ADDRESS)
    outsider.get(
        "/api/v1/portal/procedures/", HTTP_AUTHORIZATION=basic("jane.smith", "Wr0ng"), REMOTE_ADDR=ADDRESS
    )
    refused = outsider.post("/login/", {"username": "jane.smith", "password": PASSWORD}, REMOTE_ADDR=ADDRESS)
    assert refused.status_code == 429
    return outsider


def _home(login, username: str) -> str:
    client = Client()
    client.force_login(login(username))
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def _panel(page: str) -> str:
    return page.split(">Login lockouts</h2>", 1)[1].split("</section>", 1)[0]


def test_staff_see_the_account_and_the_address_locked_out(login, locked):
    from django.utils import timezone

    panel = _panel(_home(login, "administrator"))
    rows = panel.split("<tr>")[2:]
    assert len(rows) == 2
    account = next(row for row in rows if "jane.smith" in row)
    address = next(row for row in rows if ADDRESS in row)
    for row in (account, address):
        assert "<td>REST, pages</td>" in row
        assert f"<td>{LIMIT + 1}</td>" in row  # the refused try with the right password counts too
        assert "Unlock" in row
        assert f"<td>{timezone.localtime():%Y-%m-%d} " in row  # since: the failure that locked it
    assert 'name="username" value="jane.smith"' in account
    assert f'name="ipAddress" value="{ADDRESS}"' in address


def test_staff_see_an_empty_panel_when_nobody_is_locked_out(login, slapd):
    assert "No account or address is locked out." in _panel(_home(login, "administrator"))


@pytest.mark.parametrize("user", ["cm-admin", "alpine-admin", "jane.smith"])
def test_no_one_else_sees_the_panel(login, locked, user):
    page = _home(login, user)
    assert "Login lockouts" not in page
    assert ADDRESS not in page


def test_unlocking_asks_first_then_clears_through_the_engine_with_an_audit_record(login, locked):
    staff = Client()
    staff.force_login(login("administrator"))
    asked = staff.post("/lockouts/clear/", {"username": "jane.smith"})
    assert asked.status_code == 200
    assert "Unlock the account jane.smith?" in asked.content.decode()
    assert AccessAttempt.objects.filter(username="jane.smith").exists()  # nothing yet

    done = staff.post("/lockouts/clear/", {"username": "jane.smith", "confirmed": "yes"})
    assert done.status_code == 302 and done["Location"] == "/"
    assert not AccessAttempt.objects.filter(username="jane.smith").exists()
    record = AuditRecord.objects.get(namespace="Portal", procedure="LockoutClear")
    assert (record.caller, record.door, record.status) == ("administrator", "page", "succeeded")
    assert record.output == {"username": "jane.smith", "ipAddress": None, "cleared": 1}
    assert record.subject == "username:jane.smith"

    panel = _panel(staff.get("/").content.decode())
    assert "jane.smith" not in panel and ADDRESS not in panel  # its one counting row is gone
    again = Client().post("/login/", {"username": "jane.smith", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8")
    assert again.status_code == 302


def test_unlocking_an_address_through_the_rest_door(api, locked):
    AccessAttempt.objects.create(
        username="someone", ip_address=ADDRESS, user_agent="x", failures_since_start=1, path_info="/mps/"
    )
    answer = api(
        "post",
        "/api/v1/portal/procedures/",
        json={"namespace": "Portal", "procedure": "LockoutClear", "executeData": {"ipAddress": ADDRESS}},
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["executeData"] == {"username": None, "ipAddress": ADDRESS, "cleared": 2}
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize("user", ["cm-admin", "alpine-admin"])
def test_no_one_else_may_unlock(api, login, locked, user):
    answer = api(
        "post",
        "/api/v1/portal/procedures/",
        json={"namespace": "Portal", "procedure": "LockoutClear", "executeData": {"username": "jane.smith"}},
        user=user,
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["name"] == "AccessDenied"
    page = Client()
    page.force_login(login(user))
    assert page.post("/lockouts/clear/", {"username": "jane.smith", "confirmed": "yes"}).status_code == 403
    assert AccessAttempt.objects.filter(username="jane.smith").exists()
    assert not AuditRecord.objects.filter(procedure="LockoutClear", status="succeeded").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [({}, "username"), ({"ipAddress": "10.0.0.999"}, "ipAddress")],
)
def test_a_lockout_must_be_named_well(api, locked, data, field):
    answer = api(
        "post",
        "/api/v1/portal/procedures/",
        json={"namespace": "Portal", "procedure": "LockoutClear", "executeData": data},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == field
    assert AccessAttempt.objects.count() == 1
