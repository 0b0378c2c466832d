"""Portal::RoleGrant and Portal::RoleRevoke: the portal's own roles, given through the admin's
actions and the management commands, audited; the admin's user page no longer writes roles."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.engine import BILLING_ADMINS, DOMAIN_ADMINS, Caller
from portal.models import AuditRecord

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:portal_user_changelist"


def command(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue().strip()


def admin_action(client, action: str, *users) -> list[str]:
    response = client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [user.pk for user in users]}, follow=True
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_domain_admin_grants_billing_admins_in_the_admin_and_the_grant_is_audited(client, login):
    client.force_login(login("administrator"))
    reseller = login("cm-admin")
    assert BILLING_ADMINS not in Caller.from_user(reseller).roles
    assert admin_action(client, "role_grant_billingadmins", reseller) == ["BillingAdmins granted: cm-admin."]
    assert BILLING_ADMINS in Caller.from_user(reseller).roles
    record = AuditRecord.objects.get(procedure="RoleGrant")
    assert (record.namespace, record.door, record.caller, record.status) == (
        "Portal",
        "admin",
        "administrator",
        "succeeded",
    )
    assert record.input == {"user": "cm-admin", "role": "BillingAdmins"}
    assert record.subject == "user:cm-admin"
    # again: nothing changes, and the admin says so
    assert admin_action(client, "role_grant_billingadmins", reseller) == ["Nothing to change for cm-admin."]
    assert reseller.groups.filter(name=BILLING_ADMINS).count() == 1
    assert admin_action(client, "role_revoke_billingadmins", reseller) == ["BillingAdmins revoked: cm-admin."]
    assert BILLING_ADMINS not in Caller.from_user(reseller).roles


def test_only_domain_admins_grant_roles_and_a_refusal_changes_nothing(client, login):
    reseller = login("cm-admin")
    with pytest.raises(CommandError, match="requires DomainAdmins"):
        command("role_grant", "cm-admin", "BillingAdmins", "--as", "cm-admin")
    assert BILLING_ADMINS not in Caller.from_user(reseller).roles
    record = AuditRecord.objects.get(procedure="RoleGrant")
    assert (record.caller, record.door, record.status, record.error_code) == (
        "cm-admin",
        "command",
        "failed",
        "0x80070005",
    )


def test_commands_grant_and_revoke_superuser_of_a_local_account(login):
    login("administrator")
    operator = get_user_model().objects.create_user("operator", password="Str0ng-Secret")
    assert command("role_grant", "operator", "superuser", "--as", "administrator") == (
        "operator now holds superuser."
    )
    operator.refresh_from_db()
    assert operator.is_superuser and DOMAIN_ADMINS in Caller.from_user(operator).roles
    assert command("role_grant", "Operator", "SUPERUSER", "--as", "administrator") == (
        "operator already holds superuser; nothing changed."
    )
    assert command("role_revoke", "operator", "superuser", "--as", "administrator") == (
        "operator no longer holds superuser."
    )
    operator.refresh_from_db()
    assert not operator.is_superuser
    assert command("role_revoke", "operator", "staff", "--as", "administrator") == (
        "operator did not hold staff; nothing changed."
    )
    assert list(AuditRecord.objects.order_by("started_at").values_list("procedure", "door", "status")) == [
        ("RoleGrant", "command", "succeeded"),
        ("RoleGrant", "command", "succeeded"),
        ("RoleRevoke", "command", "succeeded"),
        ("RoleRevoke", "command", "succeeded"),
    ]


@pytest.mark.parametrize(
    ("user", "role", "text"),
    [
        (
            "cm-admin",
            "Owner",
            "The role 'Owner' is not known; the portal's own roles are BillingAdmins, staff, superuser.",
        ),
        (
            "cm-admin",
            "DomainAdmins",
            "DomainAdmins is a directory group: add the user to it or remove it with",
        ),
        ("cm-admin", "superuser", "cm-admin is a directory user: its superuser flag follows its membership"),
        ("nobody", "BillingAdmins", "There is no portal account 'nobody'"),
    ],
)
def test_unknown_roles_directory_roles_and_unknown_accounts_are_refused(login, user, role, text):
    login("administrator")
    reseller = login("cm-admin")
    with pytest.raises(CommandError) as refused:
        command("role_grant", user, role, "--as", "administrator")
    assert str(refused.value).startswith(text)
    reseller.refresh_from_db()
    assert not reseller.is_superuser and not reseller.groups.filter(name=BILLING_ADMINS).exists()
    assert AuditRecord.objects.get(procedure="RoleGrant").status == "failed"


def test_a_refused_grant_in_the_admin_is_shown_and_grants_nobody(client, login):
    client.force_login(login("administrator"))
    reseller, customer_admin = login("cm-admin"), login("alpine-admin")
    messages = admin_action(client, "role_grant_superuser", reseller, customer_admin)
    assert messages == [
        "alpine-admin is a directory user: its superuser flag follows its membership of the directory "
        "group DomainAdmins at each login (give or take that instead)."
    ]
    assert (
        not get_user_model()
        .objects.filter(is_superuser=True, username__in=["cm-admin", "alpine-admin"])
        .exists()
    )


def test_the_admin_user_page_shows_roles_but_writes_nothing(client, login):
    client.force_login(login("administrator"))
    reseller = login("cm-admin")
    url = reverse("admin:portal_user_change", args=[reseller.pk])
    page = client.get(url).content.decode()
    assert "OrgCreators" in page  # shown
    for field in ("is_superuser", "is_staff", "groups", "user_permissions", "first_name", "_save"):
        assert f'name="{field}"' not in page, field
    assert client.get(reverse("admin:portal_user_add")).status_code == 403
    response = client.post(
        url,
        {
            "username": "cm-admin",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [1],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 403
    reseller.refresh_from_db()
    assert not reseller.is_superuser and not reseller.is_staff
    assert DOMAIN_ADMINS not in Caller.from_user(reseller).roles
