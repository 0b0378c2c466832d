"""Findings 5 and 7: errors name nothing outside the caller's scope, and a refused call stays in the
caller's own history instead of the history of the object it named."""

from __future__ import annotations

import pytest

from portal.models import AuditRecord
from portal.selectors import audit_history
from tests.conftest import ALPINE, CONTOSO
from tests.customers.conftest import STRONG
from tests.security.conftest import mps_body

pytestmark = pytest.mark.django_db


def test_a_taken_logon_name_does_not_reveal_another_tenants_user(mps):
    response = mps(
        mps_body(
            "Managed Active Directory",
            "CreateUser",
            {
                "container": f"LDAP://{ALPINE}",
                "sAMAccountName": "bob.kelly",
                "userPrincipalName": "bk@alpineskihouse.com",
                "newPassword": STRONG,
            },
        ),
        "alpine-admin",
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert "taken" in text
    for secret in ("Northwind", "Contoso", "Bob Kelly", "OU="):
        assert secret not in text


def test_a_refused_out_of_scope_call_stays_out_of_the_targets_history(mps, browser, gateway):
    response = mps(
        mps_body(
            "Managed Active Directory",
            "CreateUser",
            {
                "container": f"LDAP://{ALPINE}",
                "sAMAccountName": "intruder",
                "userPrincipalName": "i@x.com",
                "newPassword": STRONG,
            },
        ),
        "contoso-admin",
    )
    assert response.status_code == 403
    assert all(record.caller != "contoso-admin" for record in audit_history(dn=ALPINE))
    page = browser("cm-admin").get(f"/organizations/{gateway.get(ALPINE).guid}/").content.decode()
    assert "contoso-admin" not in page
    # the refusal is kept, in the intruder's own history
    refused = AuditRecord.objects.get(caller="contoso-admin", procedure="CreateUser")
    assert refused.status == "failed"
    assert refused.subject == f"cn=contoso-admin,{CONTOSO}".lower()


def test_a_refused_billing_call_stays_out_of_the_accounts_history(api, billing_demo):
    response = api(
        "post",
        "/api/procedures/",
        json={
            "namespace": "Billing",
            "procedure": "AddPackageToUserWithOptionalServices",
            "executeData": {"username": "northwind", "packageID": 1},
        },
        user="cm-admin",
    )
    assert response.status_code == 403
    assert all(record.caller != "cm-admin" for record in audit_history(subject="username:northwind"))
