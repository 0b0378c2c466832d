"""The one hardened XML parser of the portal, for every XML door (MPS requests, SOAP envelopes,
XML arguments).

It never loads a DTD, never resolves an entity, never touches the network or a file, and any
document that carries a DOCTYPE is refused before its internal subset is even read, so an entity
expansion ("billion laughs") or an external entity (a file, a URL) cannot happen.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from lxml import etree

from portal.errors import InvalidRequest

#: The text of the refusal of any document that carries a DOCTYPE, a DTD or entity declarations.
DTD_REFUSED = "DTDs and entity declarations are not allowed in a request."
_POSITION_SUFFIX = re.compile(r",\s*line \d+,\s*column \d+\s*$")


class _DoctypeFound(Exception):
    """Raised from the parser target the moment libxml2 meets ``<!DOCTYPE``."""


class _DoctypeTripwire:
    """A parser target that builds nothing and stops the parse at the DOCTYPE.

    libxml2 reports the DOCTYPE (its internalSubset event) before it reads the internal subset, so
    raising here stops the parse before a single entity declaration has been looked at.
    """

    def doctype(self, name: str | None, pubid: str | None, system: str | None) -> None:
        raise _DoctypeFound(name)

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        pass

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        return None


class RefuseExternal(etree.Resolver):
    """Answers every request for an external resource (DTD, entity, XInclude) with nothing, so
    that no file and no URL is ever read, whatever libxml2 would otherwise do."""

    def resolve(self, system_url: str, public_id: str, context: object) -> Any:
        return self.resolve_string("", context)


def _hardened_parser(target: object | None = None) -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        target=target,
    )
    parser.resolvers.add(RefuseExternal())
    return parser


# The two parsers of :func:`xml_parse_hardened`, made once per thread (an lxml parser may serve one
# thread at a time, one document after another; making one costs more than a small request's parse).
_parsers = threading.local()


def _thread_parsers() -> tuple[etree.XMLParser, etree.XMLParser]:
    found = getattr(_parsers, "pair", None)
    if found is None:
        found = _parsers.pair = (_hardened_parser(_DoctypeTripwire()), _hardened_parser())
    return found


def _not_well_formed(exc: etree.XMLSyntaxError, what: str) -> InvalidRequest:
    message = _POSITION_SUFFIX.sub("", exc.msg or "").strip() or "unreadable document"
    line, column = exc.position if exc.position else (exc.lineno, 0)
    return InvalidRequest(f"{what} is not well-formed XML: {message} (line {line}, column {column}).")


# The encoding a document declares (at its very start, as XML puts it).
_DECLARED_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']"""
)
#: encodings in which every byte below 0x80 is the ASCII character
_READ_AS_ASCII = frozenset({"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1"})


def _no_declarations(body: bytes) -> bool:
    """Whether ``body`` cannot hold a DOCTYPE: it is read as ASCII (UTF-8, or an encoding it
    declares that reads the ASCII bytes as ASCII), starts with ``<`` and has no ``<!`` anywhere (a
    DOCTYPE, an entity declaration, a comment and a CDATA section all start so). Anything else
    (another encoding, a NUL byte of UTF-16, any ``<!``) goes through the tripwire first."""
    if not isinstance(body, bytes) or b"<!" in body or b"\x00" in body:
        return False
    if not body.startswith((b"<", b"\xef\xbb\xbf<")):
        return False
    declared = _DECLARED_ENCODING.match(body)
    return declared is None or declared.group(1).decode("ascii").lower() in _READ_AS_ASCII


def xml_parse_hardened(body: bytes, *, what: str = "The request") -> etree._Element:
    """The root element of ``body``; an :class:`InvalidRequest` for a DOCTYPE, a DTD, an entity or
    ill-formed XML (``what`` names the document in the error text)."""
    # Pass 1 only looks for a DOCTYPE and stops there; pass 2 builds the tree of a document that
    # is known to have none. A document that cannot hold one (no "<!" in bytes read as ASCII, as
    # nearly every request) needs no pass 1.
    tripwire, builder = _thread_parsers()
    if not _no_declarations(body):
        try:
            etree.fromstring(body, tripwire)
        except _DoctypeFound:
            raise InvalidRequest(DTD_REFUSED) from None
        except etree.XMLSyntaxError as exc:
            raise _not_well_formed(exc, what) from None
    try:
        root = etree.fromstring(body, builder)
    except etree.XMLSyntaxError as exc:
        raise _not_well_formed(exc, what) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise InvalidRequest(DTD_REFUSED)
    for node in root.iter():
        if node.tag is etree.Entity:
            raise InvalidRequest(DTD_REFUSED)
    return root
