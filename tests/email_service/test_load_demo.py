"""``manage.py load_demo`` loads the e-mail demo through the engine, and again changes nothing."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from email_service.models import (
    AvailablePlan,
    OrganizationPlan,
    SmtpDomain,
    Subscription,
    UserPlan,
    UserPlanAssignment,
)
from portal.models import AuditRecord
from tests.conftest import ALPINE, CM, CONTOSO


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (OrganizationPlan, UserPlan, AvailablePlan, Subscription, SmtpDomain, UserPlanAssignment)
    )


def test_load_demo_subscribes_alpine_ski_house_and_is_idempotent(db, slapd):
    call_command("load_demo", stdout=StringIO())
    first = counts()
    call_command("load_demo", stdout=StringIO())

    # three organization plans (BronzeMailHosting and BronzeMailbox: the plans Microsoft's examples
    # name), each available to both resellers; two of them to AlpineSkiHouse
    assert counts() == first == (3, 5, 8, 1, 1, 1)
    subscription = Subscription.objects.get()
    assert (subscription.dn_key, subscription.organization_plan.name) == (ALPINE.lower(), "Business Premium")
    assert SmtpDomain.objects.get().name == "alpineskihouse.com"
    for reseller in (CM, CONTOSO):
        names = AvailablePlan.objects.at_path(reseller).values_list("organization_plan__name", flat=True)
        assert sorted(names) == ["BronzeMailHosting", "Business Basic", "Business Premium"]
    assert UserPlan.objects.get(name="BronzeMailbox").organization_plan.name == "BronzeMailHosting"
    assert AuditRecord.objects.filter(procedure="Subscribe", status="succeeded").count() == 1
