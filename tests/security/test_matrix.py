"""Finding 6: one read rule per resource, read from the table in docs/security.md and checked on
every door that reads the resource (REST lists, pages, the MPS reads of the e-mail service)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from portal.directory import dn_is_within, dn_normalize, dn_parent
from tests.conftest import ALPINE, HOSTING, NORTHWIND, basic
from tests.security.conftest import mps_body

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"

# The demo user who stands for each role of the table, and one more of the same role elsewhere.
ROLE_USERS = {
    "DomainAdmins": ["administrator"],
    "BillingAdmins": ["jane.smith"],  # given the BillingAdmins group by the test
    "OrgCreators": ["cm-admin", "contoso-admin"],
    "CustomerAdministrators": ["alpine-admin"],
    "no role": ["bob.kelly"],
}
USER_DNS = {
    "administrator": f"CN=Administrator,{HOSTING}",
    "jane.smith": f"CN=Jane Smith,{ALPINE}",
    "cm-admin": f"CN=cm-admin,OU=ConsolidatedMessenger,{HOSTING}",
    "contoso-admin": f"CN=contoso-admin,OU=Contoso,{HOSTING}",
    "alpine-admin": f"CN=alpine-admin,{ALPINE}",
    "bob.kelly": f"CN=Bob Kelly,{NORTHWIND}",
}


def read_rules() -> list[dict]:
    """The rows of the read-rule table, as dicts keyed by the table's headings."""
    text = DOC.read_text()
    table = text.split("<!-- read rules: the test reads the rows of this table -->", 1)[1]
    table = table.split("<!-- end of read rules -->", 1)[0]
    lines = [line.strip() for line in table.strip().splitlines() if line.strip().startswith("|")]
    headings = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        rows.append(dict(zip(headings, cells, strict=True)))
    return rows


RULES = read_rules()
CASES = [
    pytest.param(rule, role, user, id=f"{rule['resource']}-{role}-{user}")
    for rule in RULES
    for role, users in ROLE_USERS.items()
    for user in users
]


def _items(response) -> list:
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def _path_dn(value: str) -> str:
    return dn_normalize(value[len("LDAP://") :] if value.upper().startswith("LDAP://") else value)


def _expected(rule: dict, role: str, user: str, everything: list) -> list:
    cell = rule[role]
    if cell == "all":
        return everything
    if cell in ("—", "-", ""):
        return []
    own = USER_DNS[user]
    scope = HOSTING if role == "DomainAdmins" else dn_parent(own)
    field = rule["path field"]
    assert field, f"{rule['resource']}: a rule of '{cell}' needs a path field"
    if cell == "scope":
        return [item for item in everything if dn_is_within(_path_dn(item[field]), scope)]
    if cell == "own":
        return [item for item in everything if _path_dn(item[field]).lower() == dn_normalize(own).lower()]
    raise AssertionError(f"unknown cell {cell!r}")


@pytest.fixture
def billing_admin_group(db):
    from django.contrib.auth import get_user_model

    def _give(user: str):
        account = get_user_model().objects.get(username=user)
        account.groups.add(Group.objects.get_or_create(name="BillingAdmins")[0])

    return _give


def _key(item: dict) -> str:
    return str(item.get("path") or item.get("id") or item.get("ID") or item.get("username"))


@pytest.mark.parametrize(("rule", "role", "user"), CASES)
def test_rest_reads_follow_the_table(rule, role, user, api, login, billing_demo, billing_admin_group):
    login(user)
    if role == "BillingAdmins":
        billing_admin_group(user)
    everything = _items(api("get", rule["REST"]))
    expected = _expected(rule, role, user, everything)
    answer = api("get", rule["REST"], user=user)
    assert answer.status_code in (200, 403)
    seen = _items(answer) if answer.status_code == 200 else []
    assert sorted(map(_key, seen)) == sorted(map(_key, expected))


PAGE_CASES = [case for case in CASES if case.values[0]["page"]]


@pytest.mark.parametrize(("rule", "role", "user"), PAGE_CASES)
def test_pages_follow_the_table(rule, role, user, api, browser, billing_demo, billing_admin_group):
    client = browser(user)
    if role == "BillingAdmins":
        billing_admin_group(user)
    everything = _items(api("get", rule["REST"]))
    expected = {_key(item) for item in _expected(rule, role, user, everything)}
    page = client.get(rule["page"] + "?limit=500")
    text = page.content.decode() if page.status_code == 200 else ""
    for item in everything:
        name = item.get("username") or item.get("name")
        if role == "DomainAdmins" or not name:
            continue
        shown = re.search(rf">\s*{re.escape(name)}\s*<", text) is not None
        assert shown == (_key(item) in expected), (name, shown)


EMAIL = next(rule for rule in RULES if rule["resource"] == "e-mail subscriptions")


@pytest.mark.parametrize(
    ("role", "user"), [(role, user) for role, users in ROLE_USERS.items() for user in users]
)
def test_mps_reads_of_the_email_service_follow_the_table(
    role, user, client, api, billing_demo, billing_admin_group
):
    if role == "BillingAdmins":
        api("get", "/api/procedures/", user=user)  # the account exists once it has logged in
        billing_admin_group(user)
    subscriptions = _items(api("get", "/api/subscriptions/"))
    expected = {_key(item) for item in _expected(EMAIL, role, user, subscriptions)}
    for item in subscriptions:
        body = mps_body("Hosted Email 2007", "GetServiceInformation", {"organization": item["organization"]})
        answer = client.post(
            "/mps/", data=body.encode(), content_type="text/xml", HTTP_AUTHORIZATION=basic(user)
        )
        assert answer.status_code == (200 if _key(item) in expected else 403), answer.content


def test_a_user_with_no_role_does_not_read_its_organizations_billing(browser, api, billing_demo):
    assert api("get", "/api/billing/accounts/alpineskihouse/", user="jane.smith").status_code == 404
    assert browser("jane.smith").get("/billing/accounts/alpineskihouse/").status_code == 404
    assert browser("alpine-admin").get("/billing/accounts/alpineskihouse/").status_code == 200
