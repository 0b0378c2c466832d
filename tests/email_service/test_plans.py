"""CreateOrganizationPlan (dd252246) and CreateUserPlan (dd251582) through POST /api/procedures/,
with the pages' nested ``features``."""

from __future__ import annotations

from email_service.models import OrganizationPlan, UserPlan
from tests.email_service.conftest import BASIC, MEBIBYTE, error, organization_plan, user_plan

PLAN = organization_plan("Business Plus", 25, 2048, 51200, "POP", "OWA", "ActiveSync")


def with_features(plan: dict, **changes) -> dict:
    return {**plan, "features": {**plan["features"], **changes}}


def test_domain_admins_create_an_organization_plan(call, db, slapd):
    response = call("CreateOrganizationPlan", PLAN)

    assert response.status_code == 200, response.content
    assert response.json()["executeData"]["planName"] == "Business Plus"
    plan = OrganizationPlan.objects.get()
    assert (plan.max_mailboxes, plan.default_mailbox_size_mb, plan.max_storage_mb) == (25, 2048, 51200)
    assert (plan.description, plan.features) == ("Business Plus plan", ["POP", "OWA", "ActiveSync"])


def test_the_pages_minimal_organization_plan_is_enough(call, db, slapd):
    response = call(
        "CreateOrganizationPlan",
        {
            "planName": "Bare",
            "description": "Only what the page requires",
            "features": {
                "mailStore": {
                    "dynamicQuota": "1",
                    "megabytes": "2048",
                    "shared": "1",
                    "algorithm": "tightPack",
                },
                "publicStore": {"megabytes": "100"},
            },
        },
    )

    assert response.status_code == 200, response.content
    plan = OrganizationPlan.objects.get()
    assert (plan.max_storage_mb, plan.default_mailbox_size_mb) == (2048, 1024)
    assert plan.features == ["POP", "IMAP", "OWA", "ActiveSync"]


def test_protocols_are_matched_without_regard_to_case_and_unknown_ones_refused(call, db, slapd):
    ok = call("CreateOrganizationPlan", with_features(PLAN, protocols={"protocol": ["pop", "activesync"]}))
    bad = call(
        "CreateOrganizationPlan",
        {**with_features(PLAN, protocols={"protocol": ["SMTP"]}), "planName": "Other"},
    )

    assert ok.status_code == 200
    assert OrganizationPlan.objects.get().features == ["POP", "ActiveSync"]
    assert bad.status_code == 400
    assert error(bad) == "<protocol> must be one of POP, IMAP, OWA, ActiveSync; 'SMTP' is not."


def test_the_mail_store_needs_what_the_page_requires(call, db, slapd):
    missing = call("CreateOrganizationPlan", with_features(PLAN, mailStore={"megabytes": "10"}))
    algorithm = call(
        "CreateOrganizationPlan",
        with_features(
            PLAN, mailStore={"dynamicQuota": "0", "megabytes": "10", "shared": "0", "algorithm": "random"}
        ),
    )
    unknown = call("CreateOrganizationPlan", with_features(PLAN, colour="blue"))

    assert error(missing) == "<features/mailStore> needs <dynamicQuota>, <shared> and <algorithm>."
    assert error(algorithm) == "<algorithm> must be one of tightPack, level, minStoreCount; 'random' is not."
    assert error(unknown).startswith("<features> does not take <colour>")
    assert not OrganizationPlan.objects.exists()


def test_organization_plan_names_are_unique_without_regard_to_case(call, db, slapd):
    call("CreateOrganizationPlan", PLAN)

    again = call("CreateOrganizationPlan", {**PLAN, "planName": "BUSINESS PLUS"})

    assert again.status_code == 409
    assert error(again) == "An organization plan named 'BUSINESS PLUS' already exists."
    assert OrganizationPlan.objects.count() == 1


def test_limits_must_be_positive_and_consistent(call, db, slapd):
    zero = call("CreateOrganizationPlan", with_features(PLAN, maxMailboxes="0"))
    too_big = call("CreateOrganizationPlan", with_features(PLAN, defaultMailboxMegabytes="60000"))

    assert zero.status_code == 400
    assert error(zero) == "<maxMailboxes> must be at least 1; 0 is not."
    assert error(too_big) == "<defaultMailboxMegabytes> 60000 is larger than <megabytes> 51200."
    assert not OrganizationPlan.objects.exists()


def test_only_domain_admins_create_plans(call, db, slapd):
    response = call("CreateOrganizationPlan", PLAN, user="cm-admin")

    assert response.status_code == 403
    assert error(response) == "cm-admin is not allowed to run this procedure: it requires DomainAdmins."
    assert not OrganizationPlan.objects.exists()


def test_a_user_plans_mailbox_size_comes_from_its_quotas_in_bytes(call, email_plans):
    response = call(
        "CreateUserPlan",
        {
            "planName": "Light",
            "description": "Light",
            "organizationPlanName": "business basic",
            "features": {"prohibitSendQuota": str(300 * MEBIBYTE + 1), "maxSendSize": "unlimited"},
        },
    )

    assert response.status_code == 200, response.content
    plan = UserPlan.objects.get(name="Light")
    assert (plan.organization_plan.name, plan.mailbox_size_mb, plan.features) == (
        BASIC,
        301,
        ["POP", "IMAP", "OWA"],
    )


def test_a_send_quota_outside_the_pages_range_is_refused(call, email_plans):
    small = call("CreateUserPlan", user_plan("Tiny", BASIC, 1) | {"features": {"prohibitSendQuota": "999"}})
    large = call(
        "CreateUserPlan", user_plan("Big", BASIC, 1) | {"features": {"prohibitSendQuota": "2147483648"}}
    )

    assert error(small) == "<prohibitSendQuota> must be at least 1000; 999 is not."
    assert error(large) == "<prohibitSendQuota> may be at most 2,147,483,647 bytes."


def test_a_user_plan_may_enable_only_its_organization_plans_protocols(call, email_plans):
    response = call("CreateUserPlan", user_plan("Phone", BASIC, 512, "OWA", "ActiveSync"))

    assert response.status_code == 400
    assert error(response) == (
        "The organization plan 'Business Basic' does not enable ActiveSync; a user plan of it may "
        "enable only: POP, IMAP, OWA."
    )
    assert not UserPlan.objects.filter(name="Phone").exists()


def test_a_user_plan_of_an_unknown_organization_plan_is_refused(call, email_plans):
    response = call("CreateUserPlan", user_plan("X", "Gold", 512))

    assert response.status_code == 404
    assert error(response) == "The organization plan 'Gold' does not exist."


def test_a_user_plan_without_its_organization_plan_needs_there_to_be_one(call, email_plans):
    data = user_plan("X", BASIC, 512)
    del data["organizationPlanName"]

    response = call("CreateUserPlan", data)

    assert response.status_code == 400
    assert "<organizationPlanName>" in error(response)


def test_user_plan_names_are_unique_within_their_organization_plan(call, email_plans):
    same = call("CreateUserPlan", user_plan("basic mailbox", BASIC, 512))
    other = call("CreateUserPlan", user_plan("Basic Mailbox", "Business Premium", 512))

    assert same.status_code == 409
    assert (
        error(same) == "The organization plan 'Business Basic' already has a user plan named 'basic mailbox'."
    )
    assert other.status_code == 200


def test_a_user_plan_larger_than_the_storage_limit_is_refused(call, email_plans):
    response = call("CreateUserPlan", user_plan("Huge", BASIC, 8192))

    assert response.status_code == 400
    assert error(response) == (
        "The mailbox size 8192 MB is larger than the storage limit of the organization plan "
        "'Business Basic' (4096 MB)."
    )


def test_only_domain_admins_create_user_plans(call, email_plans):
    response = call("CreateUserPlan", user_plan("Mine", BASIC, 512), user="alpine-admin")

    assert response.status_code == 403
    assert not UserPlan.objects.filter(name="Mine").exists()
