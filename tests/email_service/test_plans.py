"""CreateOrganizationPlan and CreateUserPlan through POST /api/procedures/."""

from __future__ import annotations

from email_service.models import OrganizationPlan, UserPlan
from tests.email_service.conftest import BASIC, error, features

PLAN = {
    "name": "Business Plus",
    "maxMailboxes": 25,
    "defaultMailboxSizeMB": 2048,
    "maxStorageMB": 51200,
    "features": features("POP", "OWA", "ActiveSync"),
}


def test_domain_admins_create_an_organization_plan(call, db, slapd):
    response = call("CreateOrganizationPlan", PLAN)

    assert response.status_code == 200, response.content
    assert response.json()["executeData"]["name"] == "Business Plus"
    plan = OrganizationPlan.objects.get()
    assert (plan.max_mailboxes, plan.default_mailbox_size_mb, plan.max_storage_mb) == (25, 2048, 51200)
    assert plan.features == ["POP", "OWA", "ActiveSync"]


def test_features_are_matched_without_regard_to_case_and_unknown_ones_refused(call, db, slapd):
    ok = call("CreateOrganizationPlan", {**PLAN, "features": features("pop", "activesync")})
    bad = call("CreateOrganizationPlan", {**PLAN, "name": "Other", "features": features("SMTP")})

    assert ok.status_code == 200
    assert OrganizationPlan.objects.get().features == ["POP", "ActiveSync"]
    assert bad.status_code == 400
    assert error(bad) == "<feature> must be one of POP, IMAP, OWA, ActiveSync; 'SMTP' is not."


def test_organization_plan_names_are_unique_without_regard_to_case(call, db, slapd):
    call("CreateOrganizationPlan", PLAN)

    again = call("CreateOrganizationPlan", {**PLAN, "name": "BUSINESS PLUS"})

    assert again.status_code == 409
    assert error(again) == "An organization plan named 'BUSINESS PLUS' already exists."
    assert OrganizationPlan.objects.count() == 1


def test_limits_must_be_positive_and_consistent(call, db, slapd):
    zero = call("CreateOrganizationPlan", {**PLAN, "maxMailboxes": 0})
    too_big = call("CreateOrganizationPlan", {**PLAN, "defaultMailboxSizeMB": 60000})

    assert zero.status_code == 400
    assert error(zero) == "<maxMailboxes> must be at least 1; 0 is not."
    assert error(too_big) == "<defaultMailboxSizeMB> 60000 is larger than <maxStorageMB> 51200."
    assert not OrganizationPlan.objects.exists()


def test_only_domain_admins_create_plans(call, db, slapd):
    response = call("CreateOrganizationPlan", PLAN, user="cm-admin")

    assert response.status_code == 403
    assert error(response) == "cm-admin is not allowed to run this procedure: it requires DomainAdmins."
    assert not OrganizationPlan.objects.exists()


def test_a_user_plan_takes_the_default_mailbox_size_of_its_organization_plan(call, email_plans):
    response = call("CreateUserPlan", {"name": "Light", "organizationPlan": "business basic"})

    assert response.status_code == 200, response.content
    plan = UserPlan.objects.get(name="Light")
    assert (plan.organization_plan.name, plan.mailbox_size_mb, plan.features) == (BASIC, 1024, [])


def test_a_user_plan_may_enable_only_its_organization_plans_features(call, email_plans):
    response = call(
        "CreateUserPlan",
        {"name": "Phone", "organizationPlan": BASIC, "features": features("OWA", "ActiveSync")},
    )

    assert response.status_code == 400
    assert error(response) == (
        "The organization plan 'Business Basic' does not enable ActiveSync; a user plan of it may "
        "enable only: POP, IMAP, OWA."
    )
    assert not UserPlan.objects.filter(name="Phone").exists()


def test_a_user_plan_of_an_unknown_organization_plan_is_refused(call, email_plans):
    response = call("CreateUserPlan", {"name": "X", "organizationPlan": "Gold"})

    assert response.status_code == 404
    assert error(response) == "The organization plan 'Gold' does not exist."


def test_user_plan_names_are_unique_within_their_organization_plan(call, email_plans):
    same = call("CreateUserPlan", {"name": "basic mailbox", "organizationPlan": BASIC})
    other = call("CreateUserPlan", {"name": "Basic Mailbox", "organizationPlan": "Business Premium"})

    assert same.status_code == 409
    assert (
        error(same) == "The organization plan 'Business Basic' already has a user plan named 'basic mailbox'."
    )
    assert other.status_code == 200


def test_a_user_plan_larger_than_the_storage_limit_is_refused(call, email_plans):
    response = call("CreateUserPlan", {"name": "Huge", "organizationPlan": BASIC, "mailboxSizeMB": 8192})

    assert response.status_code == 400
    assert error(response) == (
        "<mailboxSizeMB> 8192 is larger than the storage limit of the organization plan "
        "'Business Basic' (4096 MB)."
    )


def test_only_domain_admins_create_user_plans(call, email_plans):
    response = call("CreateUserPlan", {"name": "Mine", "organizationPlan": BASIC}, user="alpine-admin")

    assert response.status_code == 403
    assert not UserPlan.objects.filter(name="Mine").exists()
