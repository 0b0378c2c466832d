"""The directory gateway: the only package that imports ``ldap`` (DESIGN.md, STYLE.md)."""

from portal.directory.dn import (
    dn_child,
    dn_depth_below,
    dn_is_within,
    dn_key,
    dn_normalize,
    dn_parent,
    dn_rdn,
    dn_rdn_value,
    dn_to_path,
    filter_escape,
    path_to_dn,
)
from portal.directory.gateway import (
    ORGANIZATION_PRESCRIPTION,
    USER_PRESCRIPTION,
    DirectoryGateway,
    DirectorySession,
    Entry,
    UndoJournal,
    default_gateway,
    directory_written,
    domain_controller_default,
    get_gateway,
    reset_gateways,
)
from portal.directory.guid import guid_braced, guid_octets, guid_parse
from portal.directory.ldif_io import LdifRecord, ldif_records
from portal.directory.passwords import password_attributes, password_ssha, password_ssha_matches

__all__ = [
    "ORGANIZATION_PRESCRIPTION",
    "USER_PRESCRIPTION",
    "DirectoryGateway",
    "DirectorySession",
    "Entry",
    "LdifRecord",
    "UndoJournal",
    "default_gateway",
    "directory_written",
    "dn_child",
    "dn_depth_below",
    "dn_is_within",
    "dn_key",
    "dn_normalize",
    "dn_parent",
    "dn_rdn",
    "dn_rdn_value",
    "dn_to_path",
    "domain_controller_default",
    "filter_escape",
    "get_gateway",
    "guid_braced",
    "guid_octets",
    "guid_parse",
    "ldif_records",
    "password_attributes",
    "password_ssha",
    "password_ssha_matches",
    "path_to_dn",
    "reset_gateways",
]
