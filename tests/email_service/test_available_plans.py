"""AddAvailablePlans, RemoveAvailablePlans and GetOrganizationAvailablePlans: plans pass from the
provider to a reseller, and from a reseller to its own customers only."""

from __future__ import annotations

from lxml import etree

from email_service.models import AvailablePlan
from tests.conftest import ALPINE, CM, CONTOSO, LITWARE, NORTHWIND
from tests.email_service.conftest import BASIC, NS, PREMIUM, error, provider_run


def plans(*names: str) -> dict:
    return {"planName": list(names)}


def available(dn: str) -> set[str]:
    return set(AvailablePlan.objects.at_path(dn).values_list("organization_plan__name", flat=True))


def test_a_reseller_passes_its_plans_on_to_its_customer(call, email_plans):
    response = call(
        "AddAvailablePlans", {"organization": f"LDAP://{ALPINE}", "availablePlans": plans(BASIC)}, "cm-admin"
    )

    assert response.status_code == 200, response.content
    assert available(ALPINE) == {BASIC}


def test_adding_a_plan_twice_keeps_one(call, email_plans):
    for _ in range(2):
        assert (
            call(
                "AddAvailablePlans", {"organization": ALPINE, "availablePlans": plans(BASIC)}, "cm-admin"
            ).status_code
            == 200
        )

    assert AvailablePlan.objects.at_path(ALPINE).count() == 1


def test_a_reseller_may_not_pass_on_a_plan_not_available_to_itself(call, email_plans):
    provider_run([(f"{NS}::RemoveAvailablePlans", {"organization": CM, "availablePlans": plans(PREMIUM)})])

    response = call(
        "AddAvailablePlans", {"organization": ALPINE, "availablePlans": plans(BASIC, PREMIUM)}, "cm-admin"
    )

    assert response.status_code == 422
    assert error(response) == (
        "The organization plan(s) Business Premium are not available to the reseller "
        "LDAP://OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com, so they cannot be made "
        "available to its customer LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com."
    )
    assert available(ALPINE) == set()


def test_not_even_domain_admins_give_a_customer_a_plan_its_reseller_lacks(call, email_plans):
    provider_run(
        [(f"{NS}::RemoveAvailablePlans", {"organization": CONTOSO, "availablePlans": plans(PREMIUM)})]
    )

    response = call("AddAvailablePlans", {"organization": NORTHWIND, "availablePlans": plans(PREMIUM)})

    assert response.status_code == 422
    assert available(NORTHWIND) == set()


def test_a_reseller_may_not_grant_plans_to_itself(call, email_plans):
    response = call(
        "AddAvailablePlans", {"organization": CM, "availablePlans": plans("Business Basic")}, "cm-admin"
    )

    assert response.status_code == 403
    assert "requires DomainAdmins" in error(response)


def test_a_reseller_may_not_reach_another_resellers_customer(call, email_plans):
    response = call(
        "AddAvailablePlans", {"organization": NORTHWIND, "availablePlans": plans(BASIC)}, "cm-admin"
    )

    assert response.status_code == 403
    assert error(response) == (f"<organization> {NORTHWIND} is outside the scope of cm-admin.")
    assert available(NORTHWIND) == set()


def test_customer_administrators_may_not_change_availability(call, email_plans):
    response = call(
        "AddAvailablePlans", {"organization": ALPINE, "availablePlans": plans(BASIC)}, "alpine-admin"
    )

    assert response.status_code == 403


def test_a_non_compliant_organization_gets_no_plans(call, email_plans):
    response = call(
        "AddAvailablePlans", {"organization": LITWARE, "availablePlans": plans(BASIC)}, "cm-admin"
    )

    assert response.status_code == 422
    assert "is not compliant with the hosting prescription" in error(response)


def test_an_unknown_plan_is_refused_and_nothing_is_added(call, email_plans):
    response = call(
        "AddAvailablePlans", {"organization": ALPINE, "availablePlans": plans(BASIC, "Gold")}, "cm-admin"
    )

    assert response.status_code == 404
    assert error(response) == "The plan 'Gold' does not exist."
    assert available(ALPINE) == set()


def test_an_empty_plan_list_is_refused(call, email_plans):
    response = call("AddAvailablePlans", {"organization": ALPINE, "availablePlans": {}}, "cm-admin")

    assert response.status_code == 400
    assert error(response) == "<availablePlans> must hold at least 1 <planName> element(s)."


def test_a_user_plans_name_stands_for_its_organization_plan(call, email_plans):
    response = call(
        "AddAvailablePlans", {"organization": ALPINE, "availablePlans": plans("Webmail Only")}, "cm-admin"
    )

    assert response.status_code == 200, response.content
    assert available(ALPINE) == {BASIC}


def test_a_reseller_takes_a_plan_back_from_its_customer(call, alpine_subscribed):
    response = call(
        "RemoveAvailablePlans", {"organization": ALPINE, "availablePlans": plans(PREMIUM)}, "cm-admin"
    )

    assert response.status_code == 200, response.content
    assert available(ALPINE) == {BASIC}


def test_a_plan_the_organization_subscribes_with_cannot_be_taken_back(call, alpine_subscribed):
    response = call(
        "RemoveAvailablePlans", {"organization": ALPINE, "availablePlans": plans(BASIC)}, "cm-admin"
    )

    assert response.status_code == 409
    assert "subscribes to Hosted Email 2007 with the organization plan 'Business Basic'" in error(response)
    assert available(ALPINE) == {BASIC, PREMIUM}


def test_a_reseller_keeps_a_plan_while_its_customers_have_it(call, alpine_subscribed):
    response = call("RemoveAvailablePlans", {"organization": CM, "availablePlans": plans(PREMIUM)})

    assert response.status_code == 409
    assert error(response) == (
        "The organization plan 'Business Premium' is still available to customers of "
        "LDAP://OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com: "
        "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com. "
        "Take it back from them first."
    )
    assert available(CM) == {BASIC, PREMIUM}


def test_removing_a_plan_that_is_not_available_is_refused(call, email_plans):
    response = call(
        "RemoveAvailablePlans", {"organization": ALPINE, "availablePlans": plans(BASIC)}, "cm-admin"
    )

    assert response.status_code == 404
    assert error(response).startswith("The organization plan 'Business Basic' is not available to")


def test_available_plans_are_read_by_the_organizations_own_administrators(call, alpine_subscribed):
    response = call("GetOrganizationAvailablePlans", {"organization": ALPINE}, "alpine-admin")

    assert response.status_code == 200, response.content
    listed = response.json()["executeData"]["availablePlans"]["plan"]
    assert [(plan["planName"], plan["planTypeName"]) for plan in listed] == [
        (BASIC, "ExchOrgHosting"),
        ("Basic Mailbox", "ExchUserHosting"),
        ("Webmail Only", "ExchUserHosting"),
        (PREMIUM, "ExchOrgHosting"),
        ("Premium Mailbox", "ExchUserHosting"),
    ]
    assert set(listed[0]) == {
        "planName",
        "planDescription",
        "planStatus",
        "dateCreated",
        "dateLastUpdated",
        "planTypeName",
    }
    assert listed[0]["planStatus"] == "Enabled"


def test_available_plans_of_another_organization_are_out_of_reach(call, alpine_subscribed):
    response = call("GetOrganizationAvailablePlans", {"organization": CM}, "alpine-admin")

    assert response.status_code == 403


def test_available_plans_merge_into_the_mps_response_data(mps, alpine_subscribed):
    body = (
        "<request><data><organization>LDAP://" + ALPINE + "</organization>"
        "<preferredDomainController>AD01.fabrikam.com</preferredDomainController></data>"
        '<procedure><execute namespace="Hosted Email 2007" procedure="GetOrganizationAvailablePlans" '
        'impersonate="1"><before source="data" destination="executeData" mode="insert"/>'
        '<after source="executeData" destination="data" mode="merge"/></execute></procedure></request>'
    )

    response = mps(body, "cm-admin")

    assert response.status_code == 200, response.content
    data = etree.fromstring(response.content).find("data")
    names = data.xpath("availablePlans/plan[planTypeName='ExchOrgHosting']/planName/text()")
    assert names == [BASIC, PREMIUM]
    assert data.findtext("organization") == "LDAP://" + ALPINE
