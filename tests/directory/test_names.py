"""DNs, LDAP:// paths, GUID forms and escaping: no directory needed."""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.directory import (
    dn_child,
    dn_is_within,
    dn_key,
    filter_escape,
    guid_braced,
    guid_octets,
    guid_parse,
    path_to_dn,
)
from portal.errors import InvalidArgument
from tests.fixtures.seeds import seeds

# The two forms of one GUID that the comment of seed 001's "Example XML Request 2" names.
SEED_BRACED, SEED_OCTETS = re.search(
    r"Both of the two formats are supported: (\{[0-9a-f-]{36}\}) or ([0-9a-f]{32})\.",
    seeds.example("Unsubscribe", "Example XML Request 2").decode(),
).groups()


def test_both_seed_guid_forms_name_the_same_guid():
    assert guid_parse(SEED_BRACED) == guid_parse(SEED_OCTETS)
    assert guid_parse(SEED_OCTETS) == uuid.UUID("08fd2bcd-dcd6-4d80-9cd4-1e88069e37f8")


def test_guid_forms_print_as_the_seed_shows_them():
    guid = uuid.UUID("08fd2bcd-dcd6-4d80-9cd4-1e88069e37f8")
    assert guid_braced(guid) == SEED_BRACED
    assert guid_octets(guid) == SEED_OCTETS


@given(st.uuids())
def test_guid_round_trips_through_both_forms(guid):
    assert guid_parse(guid_braced(guid)) == guid
    assert guid_parse(guid_octets(guid)) == guid
    assert guid_parse(guid_octets(guid).upper()) == guid


@pytest.mark.parametrize(
    "bad", ["", "not-a-guid", "{08fd2bcd-dcd6-4d80-9cd4-1e88069e37f8", "cd2bfd08d6dc804d9cd41e88069e37f", "*"]
)
def test_malformed_guid_is_refused_with_both_forms_named(bad):
    with pytest.raises(InvalidArgument) as exc:
        guid_parse(bad)
    assert SEED_BRACED in exc.value.text
    assert SEED_OCTETS in exc.value.text


def test_ldap_path_prefix_is_matched_in_any_case_and_server_part_dropped():
    dn = "OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com"
    assert path_to_dn("LDAP://" + dn) == dn
    assert path_to_dn("ldap://" + dn) == dn
    assert path_to_dn("LDAP://AD01.fabrikam.com/" + dn) == dn
    assert path_to_dn(dn) == dn


@pytest.mark.parametrize("bad", ["LDAP://", "LDAP://not a dn", "OU=a,,DC=b", "   "])
def test_malformed_path_is_refused_naming_the_argument(bad):
    with pytest.raises(InvalidArgument) as exc:
        path_to_dn(bad, argument="organization")
    assert "<organization>" in exc.value.text


def test_dns_compare_without_regard_to_case_or_spacing():
    assert dn_key("OU=alpineskihouse,OU=consolidatedmessenger,OU=Hosting,DC=fabrikam,DC=Com") == dn_key(
        "ou=AlpineSkiHouse, ou=ConsolidatedMessenger, ou=Hosting, dc=fabrikam, dc=com"
    )


def test_containment_is_by_whole_rdns_not_by_string_suffix():
    root = "OU=Hosting,DC=fabrikam,DC=com"
    assert dn_is_within("OU=A,OU=Hosting,DC=fabrikam,DC=com", root)
    assert dn_is_within("ou=hosting,dc=FABRIKAM,dc=com", root)
    assert not dn_is_within("OU=NotHosting,DC=fabrikam,DC=com", root)
    assert not dn_is_within("OU=X,OU=Imports,DC=fabrikam,DC=com", root)
    # an escaped comma does not make a new RDN
    assert not dn_is_within(r"OU=Evil\,OU=Hosting,DC=fabrikam,DC=com", root)


def test_hostile_values_are_escaped_in_dns_and_filters():
    dn = dn_child("OU", "Evil,OU=Hosting", "OU=Contoso,OU=Hosting,DC=fabrikam,DC=com")
    assert dn == r"OU=Evil\,OU\=Hosting,OU=Contoso,OU=Hosting,DC=fabrikam,DC=com"
    assert filter_escape("x)(cn=*") == r"x\29\28cn=\2a"
