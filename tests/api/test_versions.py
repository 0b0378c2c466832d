"""One prefix scheme for the REST door: every app's resources under ``/api/v1/<app>/``, and the
paths from before version 1 kept as deprecated aliases that answer the same (with a
``Deprecation`` and a ``Link`` header), in the OpenAPI schema as ``deprecated``."""

from __future__ import annotations

import pytest

from tests.conftest import ALPINE, DC

pytestmark = pytest.mark.django_db

#: every list resource: the path from before version 1 and its version 1 path
RESOURCES = [
    ("/api/procedures/", "/api/v1/portal/procedures/"),
    ("/api/customer-records/", "/api/v1/customers/customer-records/"),
    ("/api/organizations/", "/api/v1/customers/organizations/"),
    ("/api/users/", "/api/v1/customers/users/"),
    ("/api/subscriptions/", "/api/v1/email/subscriptions/"),
    ("/api/plans/", "/api/v1/email/plans/"),
    ("/api/smtp-domains/", "/api/v1/email/smtp-domains/"),
    ("/api/billing/accounts/", "/api/v1/billing/accounts/"),
    ("/api/billing/packages/", "/api/v1/billing/packages/"),
    ("/api/billing/user-packages/", "/api/v1/billing/user-packages/"),
    ("/api/billing/invoices/", "/api/v1/billing/invoices/"),
    ("/api/billing/payments/", "/api/v1/billing/payments/"),
    ("/api/billing/credit-notes/", "/api/v1/billing/credit-notes/"),
]
DEPRECATION = "@1796083200"  # 2026-12-01T00:00:00Z


def _deprecated(response, successor: str) -> None:
    assert response["Deprecation"] == DEPRECATION
    assert f'<{successor}>; rel="successor-version"' in response["Link"]
    assert '</api/redoc/>; rel="deprecation"' in response["Link"]


def _current(response) -> None:
    assert "Deprecation" not in response
    assert "Link" not in response


@pytest.mark.parametrize(("old", "new"), RESOURCES)
@pytest.mark.parametrize("user", ["administrator", "cm-admin", "alpine-admin"])
def test_old_and_new_paths_answer_the_same(api, billing_demo, old, new, user):
    before, now = api("get", old, user=user), api("get", new, user=user)
    assert before.status_code == now.status_code == 200
    assert before.json() == now.json()
    assert before["Content-Type"] == now["Content-Type"]
    _deprecated(before, new)
    _current(now)


def test_detail_and_query_string_answer_the_same(api, billing_demo):
    organizations = api("get", "/api/v1/customers/organizations/?name=AlpineSkiHouse").json()["results"]
    guid = organizations[0]["guid"].strip("{}")
    pairs = [
        (f"/api/organizations/{guid}/", f"/api/v1/customers/organizations/{guid}/"),
        ("/api/billing/accounts/northwind/", "/api/v1/billing/accounts/northwind/"),
        ("/api/billing/user-packages/?account=northwind", "/api/v1/billing/user-packages/?account=northwind"),
    ]
    for old, new in pairs:
        before, now = api("get", old), api("get", new)
        assert before.status_code == now.status_code == 200, (old, before.content)
        assert before.json() == now.json()
        _deprecated(before, new.split("?")[0])
        _current(now)


@pytest.mark.parametrize(
    ("user", "status"),
    [("cm-admin", 200), ("contoso-admin", 403)],
)
def test_a_procedure_posted_to_either_path_runs_and_answers_the_same(api, billing_demo, user, status):
    call = {
        "namespace": "Managed Hosting",
        "procedure": "GetOrgType",
        "executeData": {"path": f"LDAP://{ALPINE}", "preferredDomainController": DC},
    }
    before = api("post", "/api/procedures/", json=call, user=user)
    now = api("post", "/api/v1/portal/procedures/", json=call, user=user)
    assert before.status_code == now.status_code == status  # run, not redirected
    assert before.json() == now.json()
    _deprecated(before, "/api/v1/portal/procedures/")
    _current(now)


def test_refusals_answer_the_same_and_old_ones_carry_the_header(client, db):
    before, now = client.get("/api/billing/accounts/"), client.get("/api/v1/billing/accounts/")
    assert before.status_code == now.status_code == 401
    assert before.json() == now.json()
    _deprecated(before, "/api/v1/billing/accounts/")
    _current(now)


def test_the_schema_lists_the_v1_paths_and_marks_the_old_ones_deprecated(api):
    schema = api("get", "/api/schema/?format=json").json()
    paths = schema["paths"]
    for old, new in RESOURCES:
        assert new in paths and old in paths
        for operation in paths[new].values():
            assert "deprecated" not in operation
        for operation in paths[old].values():
            assert operation["deprecated"] is True
            assert operation["tags"] == ["deprecated (before v1)"]
            assert f"`{new}`" in operation["description"]
    current = [path for path in paths if path.startswith("/api/v1/")]
    old = [path for path in paths if not path.startswith("/api/v1/")]
    assert len(current) == len(old) == 25  # each resource's list and detail (the procedures: one path)
    assert {tag for path in current for op in paths[path].values() for tag in op["tags"]} == {
        "portal",
        "customers",
        "email",
        "billing",
    }


def test_the_docs_pages_read_the_schema(api):
    for url in ("/api/docs/", "/api/redoc/"):
        response = api("get", url)
        assert response.status_code == 200
        assert "/api/schema/" in response.content.decode()
        _current(response)
