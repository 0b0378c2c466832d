"""Managed Active Directory::DeleteUser and ::DeleteOrganization, and their undo."""

from __future__ import annotations

from unittest import mock

import ldap
import pytest
from django.contrib.auth import authenticate

from hosting.models import CustomerRecord
from portal.errors import AccessDenied, InvalidArgument, PrerequisiteFailed
from tests.conftest import ALPINE, BOB, CM, JANE, LITWARE, NORTHWIND, PASSWORD

pytestmark = pytest.mark.django_db

DELETE_USER = "Managed Active Directory::DeleteUser"
DELETE_ORG = "Managed Active Directory::DeleteOrganization"


def register(call, dn: str) -> None:
    call("administrator", "MPS Import::EnableCustomerForPlans", {"path": f"LDAP://{dn}"})


def test_deleted_user_is_gone_with_its_record_and_cannot_log_in(call, read):
    register(call, JANE)
    assert authenticate(None, username="jane.smith", password=PASSWORD) is not None
    call("alpine-admin", DELETE_USER, {"path": f"LDAP://{JANE}"})
    assert read(JANE) is None
    assert not CustomerRecord.objects.at_path(JANE).exists()
    assert authenticate(None, username="jane.smith", password=PASSWORD) is None


def test_deleted_user_leaves_the_groups_it_was_in(call, read):
    call("cm-admin", DELETE_USER, {"path": f"LDAP://CN=alpine-admin,{ALPINE}"})
    assert "member" not in read(f"CN=CustomerAdministrators,{ALPINE}")


def test_delete_own_account_refused(call, read):
    with pytest.raises(AccessDenied, match="its own account"):
        call("alpine-admin", DELETE_USER, {"path": f"LDAP://CN=alpine-admin,{ALPINE}"})
    assert read(f"CN=alpine-admin,{ALPINE}") is not None


def test_delete_user_of_another_reseller_refused(call, read):
    with pytest.raises(AccessDenied, match="outside the scope of cm-admin"):
        call("cm-admin", DELETE_USER, {"path": f"LDAP://{BOB}"})
    assert read(BOB) is not None


def test_delete_user_refuses_an_organization(call):
    with pytest.raises(InvalidArgument, match="is not a user"):
        call("cm-admin", DELETE_USER, {"path": f"LDAP://{ALPINE}"})


def test_delete_user_undone_when_the_database_step_fails(call, read):
    register(call, JANE)
    before = read(JANE, ["*", "entryUUID"])
    with (
        mock.patch.object(CustomerRecord.objects, "filter", side_effect=RuntimeError("db down")),
        pytest.raises(Exception, match="failed unexpectedly"),
    ):
        call("alpine-admin", DELETE_USER, {"path": f"LDAP://{JANE}"})
    assert read(JANE, ["*", "entryUUID"]) == before  # back, GUID included
    assert CustomerRecord.objects.at_path(JANE).exists()


def test_organization_holding_users_refused_without_recursive(call, read):
    with pytest.raises(PrerequisiteFailed, match="still holds 2 user"):
        call("cm-admin", DELETE_ORG, {"path": f"LDAP://{ALPINE}"})
    assert read(ALPINE) is not None


def test_empty_organization_deleted_with_its_group(call, read):
    call(
        "cm-admin",
        "Managed Active Directory::CreateOrganization",
        {"parentPath": f"LDAP://{CM}", "name": "Tmp", "type": "Customer"},
    )
    call("cm-admin", DELETE_ORG, {"path": f"LDAP://OU=Tmp,{CM}"})
    assert read(f"OU=Tmp,{CM}") is None


def test_recursive_delete_removes_tree_and_records(call, read):
    register(call, ALPINE)
    register(call, JANE)
    call("cm-admin", DELETE_ORG, {"path": f"LDAP://{ALPINE}", "recursive": "1"})
    assert read(ALPINE) is None and read(JANE) is None
    assert not CustomerRecord.objects.below(ALPINE).exists()
    assert authenticate(None, username="alpine-admin", password=PASSWORD) is None


def test_reseller_may_not_delete_its_own_organization(call, read):
    with pytest.raises(AccessDenied, match="organization of its own account"):
        call("cm-admin", DELETE_ORG, {"path": f"LDAP://{CM}", "recursive": "1"})
    assert read(CM) is not None


def test_customer_administrators_may_not_delete_organizations(call):
    with pytest.raises(AccessDenied):
        call("alpine-admin", DELETE_ORG, {"path": f"LDAP://{ALPINE}", "recursive": "1"})


def test_delete_of_another_resellers_customer_refused(call, read):
    with pytest.raises(AccessDenied, match="outside the scope"):
        call("cm-admin", DELETE_ORG, {"path": f"LDAP://{NORTHWIND}", "recursive": "1"})
    assert read(NORTHWIND) is not None


def test_recursive_delete_undone_entry_by_entry_when_the_last_delete_fails(call, tree):
    register(call, ALPINE)
    register(call, JANE)
    before = tree()
    records = set(CustomerRecord.objects.values_list("guid", "dn"))
    real_delete = ldap.ldapobject.SimpleLDAPObject.delete_s

    def delete_s(self, dn):
        if dn.lower() == ALPINE.lower():  # the last entry of the subtree to go
            raise RuntimeError("injected fault on the last delete")
        return real_delete(self, dn)

    with (
        mock.patch.object(ldap.ldapobject.SimpleLDAPObject, "delete_s", delete_s),
        pytest.raises(Exception, match="unexpectedly"),
    ):
        call("cm-admin", DELETE_ORG, {"path": f"LDAP://{ALPINE}", "recursive": "1"})
    assert tree() == before  # every entry back, each with its own entryUUID (relax control)
    assert set(CustomerRecord.objects.values_list("guid", "dn")) == records


def test_litware_without_users_can_be_deleted(call, read):
    call("cm-admin", DELETE_ORG, {"path": f"LDAP://{LITWARE}"})
    assert read(LITWARE) is None


def test_remembered_credentials_of_a_deleted_user_stop_working(api, call):
    assert api("get", "/api/users/", user="jane.smith").status_code == 200  # remembered now
    call("alpine-admin", DELETE_USER, {"path": f"LDAP://{JANE}"})
    assert api("get", "/api/users/", user="jane.smith").status_code == 401


def test_recursive_delete_deactivates_the_accounts_below(login, call):
    from django.contrib.auth import get_user_model

    login("alpine-admin")
    call("cm-admin", DELETE_ORG, {"path": f"LDAP://{ALPINE}", "recursive": "1"})
    assert not get_user_model().objects.get(username="alpine-admin").is_active
    assert get_user_model().objects.get(username="cm-admin").is_active


def test_deleting_a_subscribed_organization_with_an_account_leaves_their_records_as_orphans(call, read):
    """The subscription, its SMTP domain and the billing account hold the organization's record:
    it stays (the orphan is found, and unsubscribed, by GUID); the other records go."""
    import io

    from django.core.management import call_command

    from billing.models import BillingAccount
    from email_service.models import Subscription

    call_command("load_demo", stdout=io.StringIO())
    register(call, JANE)
    call("cm-admin", DELETE_ORG, {"path": f"LDAP://{ALPINE}", "recursive": "1"})
    assert read(ALPINE) is None and read(JANE) is None
    assert list(CustomerRecord.objects.below(ALPINE).values_list("name", flat=True)) == ["AlpineSkiHouse"]
    orphan = CustomerRecord.objects.get(name="AlpineSkiHouse")
    assert Subscription.objects.get().customer_record == orphan
    assert BillingAccount.objects.get(username="alpineskihouse").customer_record == orphan
    call(
        "administrator",
        "Hosted Email 2007::Unsubscribe",
        {"GUID": "{" + str(orphan.guid) + "}"},
    )
    assert not Subscription.objects.exists()
