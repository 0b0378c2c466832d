"""The directory gateway against the real test slapd."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.test import override_settings

from portal.directory import filter_escape, get_gateway, guid_octets, reset_gateways
from portal.errors import DirectoryError, UnknownDomainController
from tests.conftest import ALPINE, CM, DC, HOSTING, JANE, LITWARE, NORTHWIND


def test_domain_controller_name_is_matched_in_any_letter_case(slapd):
    assert get_gateway("AD01.fabrikam.com") is get_gateway("ad01.FABRIKAM.com")


def test_unknown_domain_controller_is_a_clear_error(slapd):
    with pytest.raises(UnknownDomainController) as exc:
        get_gateway("AD99.fabrikam.com")
    assert "AD99.fabrikam.com" in exc.value.text
    assert "AD01.fabrikam.com" in exc.value.text


def test_entry_carries_guid_type_and_compliance_from_the_directory(gateway):
    alpine = gateway.get(ALPINE.lower())
    assert alpine.kind == "organization"
    assert alpine.organization_type == "Customer"
    assert alpine.compliant
    assert isinstance(alpine.guid, uuid.UUID)
    litware = gateway.get(LITWARE)
    assert litware.organization_type == "Default"
    assert not litware.compliant
    jane = gateway.get(JANE)
    assert jane.kind == "user"
    assert jane.compliant
    assert gateway.get(f"OU=Nowhere,{CM}") is None


def test_find_guid_finds_the_entry_by_either_guid_form(gateway):
    northwind = gateway.get(NORTHWIND)
    from portal.directory import guid_parse

    assert gateway.find_guid(guid_parse(guid_octets(northwind.guid))).dn.lower() == NORTHWIND.lower()
    assert gateway.find_guid(guid_parse("{" + str(northwind.guid) + "}")).name == "Northwind"
    assert gateway.find_guid(uuid.uuid4()) is None


def test_connections_are_pooled_not_bound_per_call(gateway):
    gateway.close()
    before = gateway.binds
    for _ in range(20):
        assert gateway.get(ALPINE) is not None
    assert gateway.binds - before == 1


def test_hostile_filter_value_matches_nothing_instead_of_everything(gateway):
    found = gateway.search(HOSTING, f"(cn={filter_escape('*)(objectClass=*')})")
    assert found == []
    assert len(gateway.search(HOSTING, "(cn=*)")) > 3


def test_hostile_name_stays_inside_its_own_rdn(gateway, organization_factory):
    dn = organization_factory("Evil,OU=Hosting (x)*", CM)
    entry = gateway.get(dn)
    assert entry.name == "Evil,OU=Hosting (x)*"
    assert gateway.in_hosting_root(dn)
    assert entry.dn.lower().endswith(CM.lower())


def test_server_that_cannot_be_reached_is_a_directory_error(slapd):
    unreachable = {**settings.DIRECTORY, "DOMAIN_CONTROLLERS": {DC: "ldap://127.0.0.1:1"}, "TIMEOUT": 2}
    with override_settings(DIRECTORY=unreachable):
        reset_gateways()
        try:
            with pytest.raises(DirectoryError) as exc:
                get_gateway(DC).get(ALPINE)
            assert "cannot be reached" in exc.value.text
            assert exc.value.__cause__ is not None
        finally:
            reset_gateways()
