"""Logging in through the directory, roles from groups, scope from the entry's place."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from tests.conftest import ALPINE, CM

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["cm-admin", "CM-ADMIN", "cm-admin@consolidatedmessenger.com"])
def test_a_user_logs_in_by_name_or_user_principal_name_to_one_account(slapd, name):
    user = authenticate(None, username=name, password="Passw0rd!")
    assert user is not None
    assert user.username == "cm-admin"
    assert user.directory_dn.lower() == f"cn=cm-admin,{CM}".lower()
    assert list(user.groups.values_list("name", flat=True)) == ["OrgCreators"]


def test_wrong_password_does_not_log_in(slapd):
    assert authenticate(None, username="cm-admin", password="Passw0rd") is None


def test_roles_map_from_directory_groups(login):
    assert login("administrator").is_staff
    assert login("administrator").groups.get().name == "DomainAdmins"
    assert login("alpine-admin").groups.get().name == "CustomerAdministrators"
    assert not login("jane.smith").groups.exists()


def test_login_page_then_home_shows_who_and_scope(client, slapd):
    page = client.get("/")
    assert page.status_code == 302
    assert page["Location"].startswith("/login/")
    refused = client.post("/login/", {"username": "alpine-admin", "password": "bad"})
    assert refused.status_code == 200
    assert b"Please enter a correct" in refused.content
    assert b'value="alpine-admin"' in refused.content
    done = client.post("/login/", {"username": "alpine-admin", "password": "Passw0rd!"}, follow=True)
    assert done.status_code == 200
    html = done.content.decode()
    assert "CustomerAdministrators" in html
    assert f"LDAP://{ALPINE}" in html


def test_health_answers_without_login(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_pages_style_sheet_is_served_by_the_portal_itself(client):
    page = client.get("/login/")
    assert b'href="/static/portal/portal.css"' in page.content
    css = client.get("/static/portal/portal.css")
    assert css.status_code == 200
    assert b"--accent" in b"".join(css.streaming_content)


def test_the_portal_has_its_own_icon(client):
    page = client.get("/login/")
    assert b'rel="icon" href="/static/portal/favicon.svg"' in page.content
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301
    assert answer["Location"] == "/static/portal/favicon.svg"
