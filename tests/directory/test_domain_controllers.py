"""One default domain controller for callers that name none, and one declaration of the seeds'
``preferredDomainController`` that every procedure reuses."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from portal.directory import domain_controller_default
from portal.engine import PREFERRED_DOMAIN_CONTROLLER, all_procedures
from portal.models import AuditRecord
from tests.conftest import DC, LITWARE

pytestmark = pytest.mark.django_db
SECOND = "AD02.fabrikam.com"


def test_every_procedure_declares_preferred_domain_controller_with_the_one_shared_argument():
    declaring = [proc for proc in all_procedures() if proc.schema.arg("preferredDomainController")]
    assert len(declaring) > 20
    for proc in declaring:
        assert proc.schema.arg("preferredDomainController") is PREFERRED_DOMAIN_CONTROLLER, proc.full_name


def test_the_first_configured_domain_controller_is_the_default_of_commands_and_pages(
    settings, slapd, gateway, browser
):
    uri = settings.DIRECTORY["DOMAIN_CONTROLLERS"][DC]
    settings.DIRECTORY = {**settings.DIRECTORY, "DOMAIN_CONTROLLERS": {SECOND: uri, DC: uri}}
    assert domain_controller_default() == SECOND
    call_command("load_demo", stdout=io.StringIO())
    response = browser("cm-admin").post(f"/organizations/{gateway.get(LITWARE).guid}/enable/")
    assert response.status_code == 302
    enable = AuditRecord.objects.get(procedure="EnableOrganizationForHosting")
    assert (enable.door, enable.status) == ("page", "succeeded")
    naming = AuditRecord.objects.filter(input__has_key="preferredDomainController")
    assert naming.count() > 4
    assert set(naming.values_list("input__preferredDomainController", flat=True)) == {SECOND}
