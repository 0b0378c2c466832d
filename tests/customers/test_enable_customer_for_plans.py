"""MPS Import::EnableCustomerForPlans (seed 000), every branch, through the real slapd."""

from __future__ import annotations

from unittest import mock

import pytest

from hosting.models import CustomerRecord
from portal.directory import dn_key
from portal.engine import run
from portal.errors import (
    AccessDenied,
    Conflict,
    InvalidArgument,
    NotFound,
    PrerequisiteFailed,
    UnknownDomainController,
)
from portal.models import AuditRecord
from tests.conftest import ALPINE, BOB, CM, CONTOSO, DC, HOSTING, JANE, LITWARE, NORTHWIND

pytestmark = pytest.mark.django_db
PROC = "MPS Import::EnableCustomerForPlans"


def enable(caller, path, customer_type=None, dc=DC, user="administrator"):
    data = {"path": f"LDAP://{path}", "preferredDomainController": dc}
    if customer_type is not None:
        data["customerTypeName"] = customer_type
    return run(caller(user), PROC, data, door="test")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (CM, "ResellerOrganization"),
        (CONTOSO, "ResellerOrganization"),
        (ALPINE, "BusinessOrganization"),
        (NORTHWIND, "BusinessOrganization"),
        (JANE, "BusinessUser"),
        (BOB, "BusinessUser"),
        (f"CN=cm-admin,{CM}", "BusinessUser"),
    ],
)
def test_type_is_inferred_from_the_directory_when_not_supplied(caller, gateway, path, expected):
    out = enable(caller, path)
    assert out["customerTypeName"] == expected
    record = CustomerRecord.objects.get()
    assert record.customer_type == expected
    assert record.guid == gateway.get(path).guid
    assert record.dn.lower() == path.lower()
    # seed step 1, GetOrgType, ran nested (conditional: only when the type is inferred)
    assert AuditRecord.objects.filter(
        procedure="GetOrgType", parent__procedure="EnableCustomerForPlans"
    ).exists()


def test_users_organization_type_is_looked_up_for_a_user(caller, gateway):
    enable(caller, JANE)
    nested = AuditRecord.objects.get(procedure="GetOrgType")
    assert nested.output["organizationType"] == "Customer"
    assert CustomerRecord.objects.get().organization_guid == gateway.get(ALPINE).guid


def test_supplied_type_skips_get_org_type(caller):
    out = enable(caller, ALPINE, "BusinessOrganization")
    assert out == {
        "path": f"LDAP://{ALPINE}",
        "preferredDomainController": DC,
        "customerTypeName": "BusinessOrganization",
    }
    assert not AuditRecord.objects.filter(procedure="GetOrgType").exists()


def test_consumer_user_only_when_given(caller):
    enable(caller, JANE, "ConsumerUser")
    assert CustomerRecord.objects.get().customer_type == "ConsumerUser"


def test_bad_type_is_refused_listing_the_valid_ones(caller):
    with pytest.raises(InvalidArgument) as exc:
        enable(caller, ALPINE, "PremiumOrganization")
    assert "BusinessUser, ConsumerUser, BusinessOrganization, ResellerOrganization" in exc.value.text
    assert CustomerRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "customer_type", "text"),
    [
        (ALPINE, "BusinessUser", "is a user type, but"),
        (JANE, "BusinessOrganization", "is an organization type, but"),
        (ALPINE, "ResellerOrganization", "does not fit"),
    ],
)
def test_type_that_does_not_fit_the_object_is_refused(caller, path, customer_type, text):
    with pytest.raises(InvalidArgument) as exc:
        enable(caller, path, customer_type)
    assert text in exc.value.text
    assert CustomerRecord.objects.count() == 0


def test_non_compliant_organization_is_refused_naming_the_prerequisite(caller):
    with pytest.raises(PrerequisiteFailed) as exc:
        enable(caller, LITWARE)
    assert exc.value.text.startswith("Prerequisite 2 failed: the organization LDAP://OU=Litware")
    assert "not compliant with the hosting prescription" in exc.value.text
    assert "MPS Import::EnableOrganizationForHosting" in exc.value.text
    assert CustomerRecord.objects.count() == 0


def test_user_of_a_non_compliant_organization_is_refused(caller, user_factory):
    user = user_factory("Temp", LITWARE, hosting=True)
    with pytest.raises(PrerequisiteFailed) as exc:
        enable(caller, user)
    assert exc.value.text.startswith("Prerequisite 3 failed")
    assert "the organization of the user" in exc.value.text


def test_non_compliant_user_is_refused(caller, user_factory):
    user = user_factory("Plain", ALPINE)
    with pytest.raises(PrerequisiteFailed) as exc:
        enable(caller, user)
    assert exc.value.text.startswith(f"Prerequisite 3 failed: the user LDAP://{user}")


def test_organization_at_the_wrong_level_is_refused(caller, organization_factory):
    # a Customer-typed, compliant OU directly below the hosting root (the level of a reseller)
    misplaced = organization_factory("Misplaced", HOSTING, organization_type="Customer")
    with pytest.raises(PrerequisiteFailed) as exc:
        enable(caller, misplaced)
    assert exc.value.text.startswith("Prerequisite 1 failed")
    assert "not at the proper level" in exc.value.text


def test_object_too_deep_in_the_tree_is_refused(caller, organization_factory):
    deep = organization_factory("Deep", ALPINE)
    with pytest.raises(PrerequisiteFailed) as exc:
        enable(caller, deep)
    assert exc.value.text.startswith("Prerequisite 1 failed")


def test_hosting_root_itself_is_not_a_customer(caller):
    with pytest.raises(PrerequisiteFailed):
        enable(caller, HOSTING)


def test_path_outside_the_hosting_root_is_refused(caller):
    with pytest.raises(AccessDenied) as exc:
        enable(caller, "OU=Imports,DC=fabrikam,DC=com")
    assert "lies outside the hosting tree" in exc.value.text


def test_unknown_domain_controller_is_refused(caller):
    with pytest.raises(UnknownDomainController) as exc:
        enable(caller, ALPINE, dc="AD07.fabrikam.com")
    assert "AD07.fabrikam.com" in exc.value.text


@pytest.mark.parametrize("missing", ["path", "preferredDomainController"])
def test_missing_required_argument_is_refused(caller, missing):
    data = {"path": f"LDAP://{ALPINE}", "preferredDomainController": DC}
    del data[missing]
    with pytest.raises(InvalidArgument) as exc:
        run(caller("administrator"), PROC, data, door="test")
    assert exc.value.text == f"The argument <{missing}> is required."


def test_missing_object_is_not_found(caller):
    with pytest.raises(NotFound) as exc:
        enable(caller, f"OU=Ghost,{CM}")
    assert "LDAP://OU=Ghost" in exc.value.text


def test_repeat_call_does_not_fail_and_keeps_one_record(caller):
    enable(caller, ALPINE)
    first = CustomerRecord.objects.get()
    out = enable(caller, ALPINE.upper(), "BusinessOrganization")
    assert out["customerTypeName"] == "BusinessOrganization"
    assert list(CustomerRecord.objects.all()) == [first]


def test_existing_record_of_another_type_is_a_conflict(caller):
    enable(caller, JANE, "ConsumerUser")
    with pytest.raises(Conflict) as exc:
        enable(caller, JANE, "BusinessUser")
    assert exc.value.sources == [
        ("Managed Helpers", "CreateCustomerRecord_"),
        ("MPS Import", "EnableCustomerForPlans"),
    ]


def test_reseller_reaches_its_customers_but_not_another_resellers(caller):
    enable(caller, ALPINE, user="cm-admin")
    with pytest.raises(AccessDenied):
        enable(caller, NORTHWIND, user="cm-admin")
    with pytest.raises(AccessDenied):
        enable(caller, CONTOSO, user="cm-admin")
    assert [r.name for r in CustomerRecord.objects.all()] == ["AlpineSkiHouse"]


def test_customer_administrator_reaches_its_own_users_only(caller):
    enable(caller, JANE, user="alpine-admin")
    with pytest.raises(AccessDenied):
        enable(caller, CM, user="alpine-admin")


def test_hostile_name_is_registered_under_its_own_dn(caller, organization_factory):
    name = "Evil, Inc. (x)*"
    dn = organization_factory(name, CM, organization_type="Customer")
    enable(caller, dn)
    record = CustomerRecord.objects.get()
    assert record.name == name
    assert dn_key(record.dn) == dn_key(dn)
    assert record.path.startswith("LDAP://OU=Evil\\, Inc. (x)*,OU=ConsolidatedMessenger")


def test_failure_creating_the_record_leaves_nothing(caller):
    with (
        mock.patch("hosting.models.CustomerRecord.save", side_effect=RuntimeError("disk full")),
        pytest.raises(Exception) as exc,
    ):
        enable(caller, ALPINE)
    assert exc.value.sources[-1] == ("MPS Import", "EnableCustomerForPlans")
    assert CustomerRecord.objects.count() == 0
    assert AuditRecord.objects.get(procedure="EnableCustomerForPlans").status == "failed"
