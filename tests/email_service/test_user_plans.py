"""ModifyUserPlan, GetUserPlan, GetUserPlanAssignment, GetOrganizationPlan and
GetServiceInformation through POST /api/procedures/."""

from __future__ import annotations

import pytest

from email_service.models import UserPlanAssignment
from tests.conftest import ALPINE, BOB, JANE, NORTHWIND
from tests.email_service.conftest import BASIC, NS, error, provider_run

ADMIN = f"CN=alpine-admin,{ALPINE}"


def modify(call, user_dn, plan, who="alpine-admin"):
    return call("ModifyUserPlan", {"user": f"LDAP://{user_dn}", "userPlan": plan}, who)


def plan_of(user_dn: str) -> str | None:
    row = UserPlanAssignment.objects.at_path(user_dn).select_related("user_plan").first()
    return row.user_plan.name if row else None


@pytest.fixture
def third_user(alpine_subscribed, user_factory):
    return user_factory("Max Muster", ALPINE, login="max.muster", hosting=True)


def test_a_customer_administrator_gives_a_user_a_plan(call, alpine_subscribed):
    response = modify(call, JANE, "webmail only")

    assert response.status_code == 200, response.content
    assert plan_of(JANE) == "Webmail Only"


def test_changing_a_plan_keeps_one_assignment(call, alpine_subscribed):
    modify(call, JANE, "Webmail Only")

    response = modify(call, JANE, "Basic Mailbox")

    assert response.status_code == 200
    assert plan_of(JANE) == "Basic Mailbox"
    assert UserPlanAssignment.objects.count() == 1


def test_only_user_plans_of_the_subscribed_organization_plan_are_given(call, alpine_subscribed):
    response = modify(call, JANE, "Premium Mailbox")

    assert response.status_code == 400
    assert error(response) == (
        "'Premium Mailbox' is not a user plan of the organization plan 'Business Basic' that "
        "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com subscribes with "
        "(its user plans: Basic Mailbox, Webmail Only)."
    )
    assert plan_of(JANE) is None


def test_the_mailbox_limit_is_enforced(call, third_user):
    assert modify(call, JANE, "Webmail Only").status_code == 200
    assert modify(call, ADMIN, "Webmail Only").status_code == 200

    response = modify(call, third_user, "Webmail Only")

    assert response.status_code == 422
    assert error(response) == (
        "The organization LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com "
        "has reached the mailbox limit of its organization plan 'Business Basic': "
        "2 of 2 mailboxes are in use."
    )
    assert plan_of(third_user) is None
    # a user who already has a mailbox may still change plans at the limit
    assert modify(call, JANE, "Basic Mailbox").status_code == 200


def test_the_storage_limit_is_enforced(call, alpine_subscribed):
    provider_run(
        [(f"{NS}::CreateUserPlan", {"name": "Big", "organizationPlan": BASIC, "mailboxSizeMB": "3584"})]
    )
    assert modify(call, JANE, "Big").status_code == 200

    response = modify(call, ADMIN, "Basic Mailbox")

    assert response.status_code == 422
    assert error(response) == (
        "The user plan 'Basic Mailbox' (1024 MB) does not fit the storage limit of the organization plan "
        "'Business Basic': 3584 of 4096 MB are allocated."
    )


def test_a_user_of_an_organization_that_is_not_subscribed_is_refused(call, email_plans):
    response = modify(call, BOB, "Basic Mailbox", who="contoso-admin")

    assert response.status_code == 422
    assert error(response) == (
        "The organization LDAP://OU=Northwind,OU=Contoso,OU=Hosting,DC=fabrikam,DC=com of the user is not "
        "subscribed to Hosted Email 2007."
    )


def test_a_customer_administrator_is_refused_another_organizations_user(call, alpine_subscribed):
    response = modify(call, BOB, "Basic Mailbox")

    assert response.status_code == 403
    assert error(response) == f"<user> {BOB} is outside the scope of alpine-admin."


def test_an_organization_is_not_a_user(call, alpine_subscribed):
    response = modify(call, ALPINE, "Basic Mailbox")

    assert response.status_code == 400
    assert error(response) == f"<user> LDAP://{ALPINE} is not a user."


def test_get_user_plan_answers_the_plan(call, alpine_subscribed):
    modify(call, JANE, "Webmail Only")

    response = call("GetUserPlan", {"user": JANE}, "alpine-admin")

    assert response.status_code == 200
    assert response.json()["executeData"]["userPlan"] == {
        "name": "Webmail Only",
        "organizationPlan": BASIC,
        "mailboxSizeMB": 512,
        "features": {"feature": ["OWA"]},
    }


def test_get_user_plan_of_a_user_without_one_is_empty(call, alpine_subscribed):
    response = call("GetUserPlan", {"user": JANE}, "cm-admin")

    assert response.status_code == 200
    assert response.json()["executeData"]["userPlan"] is None


def test_get_user_plan_assignment_lists_the_organizations_users(call, alpine_subscribed, gateway):
    modify(call, JANE, "Basic Mailbox")

    response = call("GetUserPlanAssignment", {"organization": ALPINE}, "alpine-admin")

    assert response.status_code == 200, response.content
    users = response.json()["executeData"]["users"]["user"]
    assert [(user["name"], user["userPlan"]) for user in users] == [
        ("Alpine Ski House administrator", ""),
        ("Jane Smith", "Basic Mailbox"),
    ]
    assert users[1]["GUID"] == "{" + str(gateway.get(JANE).guid) + "}"


def test_get_organization_plan_answers_limits_features_and_user_plans(call, alpine_subscribed):
    response = call("GetOrganizationPlan", {"organization": ALPINE}, "alpine-admin")

    assert response.status_code == 200
    plan = response.json()["executeData"]["organizationPlan"]
    assert plan["name"] == BASIC
    assert (plan["maxMailboxes"], plan["defaultMailboxSizeMB"], plan["maxStorageMB"]) == (2, 1024, 4096)
    assert plan["features"] == {"feature": ["POP", "IMAP", "OWA"]}
    assert [p["name"] for p in plan["userPlans"]["userPlan"]] == ["Basic Mailbox", "Webmail Only"]


def test_get_organization_plan_of_an_organization_that_is_not_subscribed(call, email_plans):
    response = call("GetOrganizationPlan", {"organization": NORTHWIND}, "contoso-admin")

    assert response.status_code == 404
    assert error(response).endswith("is not subscribed to Hosted Email 2007.")


def test_get_service_information_answers_usage_against_limits(call, alpine_subscribed, gateway):
    modify(call, JANE, "Basic Mailbox")

    response = call("GetServiceInformation", {"organization": ALPINE}, "alpine-admin")

    assert response.status_code == 200, response.content
    info = response.json()["executeData"]
    assert info["organizationPlan"] == BASIC
    assert (info["name"], info["path"]) == (
        "AlpineSkiHouse",
        "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com",
    )
    assert info["GUID"] == "{" + str(gateway.get(ALPINE).guid) + "}"
    assert info["smtpDomains"] == {"smtpDomain": ["alpineskihouse.com"]}
    assert info["userCount"] == 2
    assert info["usage"] == {"mailboxes": {"used": 1, "limit": 2}, "storageMB": {"used": 1024, "limit": 4096}}


def test_reads_are_refused_outside_the_scope(call, alpine_subscribed):
    for procedure in ("GetServiceInformation", "GetOrganizationPlan", "GetUserPlanAssignment"):
        response = call(procedure, {"organization": ALPINE}, "contoso-admin")
        assert response.status_code == 403, procedure


def test_a_user_plan_survives_a_user_rename(call, alpine_subscribed, ldap_admin):
    modify(call, JANE, "Webmail Only")
    ldap_admin.rename_s(JANE, "cn=Jane Doe")

    response = call("GetUserPlan", {"user": f"cn=Jane Doe,{ALPINE}"}, "alpine-admin")

    assert response.json()["executeData"]["userPlan"]["name"] == "Webmail Only"


def test_a_deleted_users_mailbox_ends_and_frees_its_place_under_the_limit(call, third_user):
    assert modify(call, JANE, "Webmail Only").status_code == 200
    assert modify(call, ADMIN, "Webmail Only").status_code == 200
    assert modify(call, third_user, "Webmail Only").status_code == 422  # 2 of 2 in use

    deleted = call(
        "DeleteUser", {"path": f"LDAP://{JANE}"}, "alpine-admin", namespace="Managed Active Directory"
    )

    assert deleted.status_code == 200, deleted.content
    assert plan_of(JANE) is None
    assert modify(call, third_user, "Webmail Only").status_code == 200


def test_a_deleted_organizations_users_lose_their_mailboxes_and_the_orphan_keeps_its_subscription(
    call, alpine_subscribed
):
    from email_service.models import Subscription

    assert modify(call, JANE, "Webmail Only").status_code == 200
    deleted = call(
        "DeleteOrganization",
        {"path": f"LDAP://{ALPINE}", "recursive": "1"},
        "cm-admin",
        namespace="Managed Active Directory",
    )
    assert deleted.status_code == 200, deleted.content
    assert not UserPlanAssignment.objects.exists()
    assert Subscription.objects.count() == 1  # the orphan's, until it is unsubscribed by GUID
