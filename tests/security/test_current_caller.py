"""Findings 1-3: every request re-establishes who the caller is now.

A deleted, disabled or demoted user loses its page session's rights and its remembered machine-door
credentials at its next request, on every door.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from portal.accounts import account_checks_forget_all, account_recheck_due
from tests.conftest import ALPINE, DC
from tests.customers.conftest import STRONG
from tests.security.conftest import mps_body

pytestmark = pytest.mark.django_db

ALPINE_ADMIN = f"CN=alpine-admin,{ALPINE}"
ALPINE_ADMINS = f"CN=CustomerAdministrators,{ALPINE}"


def _create_user_page(client, gateway, name: str):
    guid = gateway.get(ALPINE).guid
    return client.post(
        f"/organizations/{guid}/users/new/",
        {
            "sAMAccountName": name,
            "userPrincipalName": f"{name}@alpineskihouse.com",
            "newPassword": STRONG,
            "customerTypeName": "BusinessUser",
        },
    )


def _create_user_mps(mps, name: str):
    return mps(
        mps_body(
            "Managed Active Directory",
            "CreateUser",
            {
                "container": f"LDAP://{ALPINE}",
                "sAMAccountName": name,
                "userPrincipalName": f"{name}@alpineskihouse.com",
                "newPassword": STRONG,
            },
        ),
        "alpine-admin",
    )


def _create_user_api(api, name: str):
    return api(
        "post",
        "/api/procedures/",
        json={
            "namespace": "Managed Active Directory",
            "procedure": "CreateUser",
            "executeData": {
                "container": f"LDAP://{ALPINE}",
                "sAMAccountName": name,
                "userPrincipalName": f"{name}@alpineskihouse.com",
                "newPassword": STRONG,
                "preferredDomainController": DC,
            },
        },
        user="alpine-admin",
    )


def _delete_alpine_admin(call):
    call("cm-admin", "Managed Active Directory::DeleteUser", {"user": f"LDAP://{ALPINE_ADMIN}"})


def test_deleted_users_page_session_stops_at_once(browser, gateway, call, read):
    client = browser("alpine-admin")
    assert client.get("/").status_code == 200
    _delete_alpine_admin(call)
    response = _create_user_page(client, gateway, "after.delete")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert read(f"CN=after.delete@alpineskihouse.com,{ALPINE}") is None
    assert client.get("/").status_code == 302


def test_deleted_users_remembered_credential_stops_on_mps_rest_and_soap(mps, api, soap, call, read):
    # each door remembers the credential once it has worked
    assert _create_user_mps(mps, "before.mps").status_code == 200
    assert _create_user_api(api, "before.api").status_code == 200
    before_soap = soap("alpine-admin")
    assert b"INVALID" not in before_soap.content and b"AuthHeader" not in before_soap.content
    _delete_alpine_admin(call)
    refused = _create_user_mps(mps, "after.mps")
    assert refused.status_code == 401
    assert _create_user_api(api, "after.api").status_code == 401
    assert b"AuthHeader" in soap("alpine-admin").content
    assert (
        read(f"CN=after.mps@alpineskihouse.com,{ALPINE}") is None
        and read(f"CN=after.api@alpineskihouse.com,{ALPINE}") is None
    )


def test_disabled_account_stops_session_and_credentials(browser, mps, gateway, read):
    client = browser("alpine-admin")
    assert _create_user_mps(mps, "before.disable").status_code == 200
    get_user_model().objects.filter(username="alpine-admin").update(is_active=False)
    assert _create_user_page(client, gateway, "after.disable").status_code == 302
    assert _create_user_mps(mps, "after.disable").status_code == 401
    assert read(f"CN=after.disable@alpineskihouse.com,{ALPINE}") is None


def test_demoted_administrator_loses_the_role_on_pages_and_machine_doors(
    browser, mps, api, gateway, call, read
):
    client = browser("alpine-admin")
    assert _create_user_mps(mps, "before.demote").status_code == 200
    call(
        "cm-admin",
        "Managed Active Directory::GroupRemove",
        {"group": f"LDAP://{ALPINE_ADMINS}", "member": f"LDAP://{ALPINE_ADMIN}"},
    )
    page = _create_user_page(client, gateway, "after.demote")
    assert page.status_code in (200, 403, 404)
    assert "no role" in client.get("/").content.decode()
    assert _create_user_mps(mps, "after.demote.mps").status_code == 403
    assert _create_user_api(api, "after.demote.api").status_code == 403
    for name in ("after.demote", "after.demote.mps", "after.demote.api"):
        assert read(f"CN={name}@alpineskihouse.com,{ALPINE}") is None


def test_promoted_user_gains_the_role_at_its_next_request(browser, call):
    client = browser("jane.smith")
    assert "no role" in client.get("/").content.decode()
    call(
        "cm-admin",
        "Managed Active Directory::GroupAdd",
        {"group": f"LDAP://{ALPINE_ADMINS}", "newMember": f"LDAP://CN=Jane Smith,{ALPINE}"},
    )
    assert "CustomerAdministrators" in client.get("/").content.decode()


def test_change_made_in_the_directory_itself_is_seen_after_the_recheck(browser, ldap_admin, gateway, read):
    client = browser("alpine-admin")
    assert client.get("/").status_code == 200
    ldap_admin.delete_s(ALPINE_ADMIN)
    # the recheck interval has passed: the shared cache's entry and what the process kept of it end
    cache.clear()
    account_checks_forget_all()
    assert client.get("/").status_code == 302
    assert client.get("/").status_code == 302  # and stays refused while the check is remembered


def test_group_removed_in_the_directory_demotes_after_the_recheck(mps, ldap_admin, read):
    import ldap

    assert _create_user_mps(mps, "before.out").status_code == 200
    ldap_admin.modify_s(ALPINE_ADMINS, [(ldap.MOD_DELETE, "member", [ALPINE_ADMIN.encode()])])
    # the recheck interval has passed; the credential itself is still remembered
    account_recheck_due(get_user_model().objects.get(username="alpine-admin").pk)
    assert _create_user_mps(mps, "after.out").status_code == 403
    assert read(f"CN=after.out@alpineskihouse.com,{ALPINE}") is None


def test_reseller_session_unaffected_by_another_users_deletion(browser, call):
    client = browser("cm-admin")
    _delete_alpine_admin(call)
    assert client.get("/").status_code == 200


def test_a_remembered_credential_reads_nothing_from_the_shared_cache(mps):
    """After its first request a process keeps the remembered credential and the account's last
    check: a request then reads nothing from the shared cache; the account's row, and with it the
    login failures' generation (a lockout must be seen at once everywhere), is still read every
    time."""
    from unittest import mock

    from django.core.cache import caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    body = mps_body("Managed Hosting", "GetOrgType", {"path": f"LDAP://{ALPINE}"})
    for _ in range(2):  # the login, then the first remembered request (which starts the generation)
        assert mps(body, "alpine-admin").status_code == 200
    backend = type(caches["default"])
    with (
        mock.patch.object(backend, "get", autospec=True, side_effect=backend.get) as reads,
        CaptureQueriesContext(connection) as queries,
    ):
        assert mps(body, "alpine-admin").status_code == 200
    keys = [call.args[1] for call in reads.call_args_list]
    assert keys == []
    assert any(
        "is_active" in query["sql"] and "axes_accessfailurelog" in query["sql"]
        for query in queries.captured_queries
    )


def test_requests_finding_the_recheck_due_together_read_the_directory_once(settings):
    """Threads of one process that find an account's re-read due at the same moment wait for one
    directory read and take its answer (a busy integration's 16 threads read it once, not 16
    times)."""
    import threading
    import time
    from unittest import mock

    from portal import accounts

    settings.PORTAL_ACCOUNT_RECHECK_SECONDS = 5
    user = get_user_model()(
        pk=987_654, username="busy.integration", directory_dn=ALPINE_ADMIN, is_active=True
    )
    account_recheck_due(user.pk)
    started, reading, go = threading.Barrier(8), threading.Event(), threading.Event()

    def directory_read(account) -> bool:
        reading.set()
        assert go.wait(10)
        return True

    answers: list[tuple[bool, bool]] = []

    def request() -> None:
        started.wait(10)
        answers.append(accounts.account_check(user))

    with mock.patch.object(accounts, "_refresh_from_directory", side_effect=directory_read) as reads:
        threads = [threading.Thread(target=request) for _ in range(8)]
        for thread in threads:
            thread.start()
        assert reading.wait(10)
        time.sleep(0.2)  # the other seven find the check due meanwhile
        go.set()
        for thread in threads:
            thread.join(10)
    assert reads.call_count == 1
    assert answers == [(True, True)] * 8
    account_recheck_due(user.pk)
