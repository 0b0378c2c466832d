"""Distinguished names and ``LDAP://`` paths: parsing, normalizing, containment, escaping.

DNs compare without regard to letter case or spacing (``OU=alpineskihouse`` and
``OU=AlpineSkiHouse`` name the same entry), so every comparison goes through :func:`dn_key`.
Values put into DNs are escaped per RFC 4514 and values put into filters per RFC 4515 by
python-ldap's own functions.
"""

from __future__ import annotations

import functools
import re

import ldap.dn
import ldap.filter

from portal.errors import InvalidArgument

PATH_PREFIX = "LDAP://"


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _dn_fault(dn: str) -> str | None:
    """What is wrong with ``dn`` (None when it is a DN the hosting tree can hold)."""
    try:
        rdns = ldap.dn.str2dn(dn)
    except (ldap.DECODING_ERROR, UnicodeError, ValueError):
        return "malformed"
    for rdn in rdns:
        for _type, value, flags in rdn:
            # "#..." is the BER-encoded form of a value (RFC 4514 2.4): names of the hosting tree
            # are always strings, and a value written that way is refused rather than sent on.
            if flags & ldap.AVA_BINARY or _CONTROL.search(value):
                return "binary"
    return None


def dn_check(dn: str, *, argument: str = "path") -> None:
    """Refuse a malformed DN with an :class:`InvalidArgument` naming the argument."""
    if not dn or not dn.strip():
        raise InvalidArgument(f"<{argument}> is empty.", field=argument)
    fault = _dn_fault_remembered(dn.strip())
    if fault == "malformed":
        raise InvalidArgument(f"<{argument}> is not a valid distinguished name: {dn}", field=argument)
    if fault is not None:
        raise InvalidArgument(
            f"<{argument}> is not a valid distinguished name: a value starts with an unescaped "
            "'#' or holds a control character.",
            field=argument,
        )


def path_to_dn(path: str, *, argument: str = "path") -> str:
    """The DN of an ``LDAP://`` path, as written (``LDAP://server/DN`` keeps the DN only).

    The ``LDAP://`` prefix is matched without regard to letter case; a bare DN is accepted too.
    """
    value = (path or "").strip()
    if value[: len(PATH_PREFIX)].upper() == PATH_PREFIX:
        value = value[len(PATH_PREFIX) :]
        head, sep, tail = value.partition("/")
        if sep and "=" not in head:
            value = tail
    dn_check(value, argument=argument)
    return value


def dn_to_path(dn: str) -> str:
    """The ``LDAP://`` path of a DN (or of a path), attribute types upper-cased as Active Directory
    writes them; text that is no DN is shown as it is."""
    value = dn[len(PATH_PREFIX) :] if dn[: len(PATH_PREFIX)].upper() == PATH_PREFIX else dn
    try:
        return PATH_PREFIX + dn_normalize(value)
    except ldap.DECODING_ERROR:
        return PATH_PREFIX + value


# DN parsing is pure and the same few DNs (the hosting root, a caller's scope, an import's
# organization) are parsed for every call: these functions remember their recent answers.
_remember = functools.lru_cache(maxsize=512)
_dn_fault_remembered = _remember(_dn_fault)


@_remember
def dn_key(dn: str) -> str:
    """A normalized form for comparing DNs: types and values lower-cased, spacing removed."""
    rdns = ldap.dn.str2dn(dn)
    return ldap.dn.dn2str([[(t.lower(), v.lower(), f) for t, v, f in rdn] for rdn in rdns])


@_remember
def dn_normalize(dn: str) -> str:
    """The DN in a canonical spelling: types upper-cased, values kept, spacing removed."""
    rdns = ldap.dn.str2dn(dn)
    return ldap.dn.dn2str([[(t.upper(), v, f) for t, v, f in rdn] for rdn in rdns])


@_remember
def dn_rdns(dn: str) -> tuple[tuple[str, ...], ...]:
    """The RDNs of a DN as comparable lower-case tuples, leaf first."""
    return tuple(tuple(sorted((t.lower(), v.lower()) for t, v, _ in rdn)) for rdn in ldap.dn.str2dn(dn))


def dn_is_within(dn: str, base: str) -> bool:
    """True when ``dn`` is ``base`` or lies below it."""
    inner, outer = dn_rdns(dn), dn_rdns(base)
    return len(inner) >= len(outer) and inner[len(inner) - len(outer) :] == outer


def dn_depth_below(dn: str, base: str) -> int:
    """How many levels ``dn`` lies below ``base`` (0 for ``base`` itself); requires containment."""
    return len(dn_rdns(dn)) - len(dn_rdns(base))


@_remember
def dn_parent(dn: str) -> str:
    """The DN of the parent entry."""
    rdns = ldap.dn.str2dn(dn)
    return ldap.dn.dn2str(rdns[1:])


def dn_rdn(dn: str) -> str:
    """The leaf RDN as text (``OU=AlpineSkiHouse`` of ``OU=AlpineSkiHouse,...``), escaped."""
    return ldap.dn.dn2str(ldap.dn.str2dn(dn)[:1])


def dn_rdn_value(dn: str) -> str:
    """The value of the leaf RDN (``AlpineSkiHouse`` of ``OU=AlpineSkiHouse,...``)."""
    return ldap.dn.str2dn(dn)[0][0][1]


def dn_child(rdn_type: str, value: str, parent: str) -> str:
    """The DN of a child entry, the value escaped per RFC 4514."""
    return f"{rdn_type}={ldap.dn.escape_dn_chars(value)},{parent}"


def filter_escape(value: str) -> str:
    """A value escaped for an LDAP filter (RFC 4515)."""
    return ldap.filter.escape_filter_chars(value)
