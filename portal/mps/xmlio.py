"""The XML of the MPS door: parse a request, move nodes between ``data`` and ``executeData``,
convert XML to and from the engine's plain mappings, and render responses and errors.

The request format is the one of the Microsoft Provisioning Framework as the HMC SDK pages describe
it (``Provisioning Schema::request``, ``::execute``, ``::before``, ``::after``, ``::errorContext``).
Where the seeds and those pages differ, the seeds win (see :func:`apply_transform`).

This module is pure XML logic: no Django, no database, no directory. Every refusal is a
:class:`portal.errors.InvalidRequest` with a text that says what is wrong.

Security: the parser never loads a DTD, never resolves an entity, never touches the network or a
file, and any document that carries a DOCTYPE is refused before its internal subset is even read,
so XXE and entity-expansion ("billion laughs") payloads are refused before anything is expanded.
Paths in ``sourcePath`` / ``destinationPath`` are plain XPath 1.0 without extension functions, and
may only reach nodes inside their own ``data`` or ``executeData`` node.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree

from portal.engine import Impersonate
from portal.errors import InvalidArgument, InvalidRequest
from portal.mps.xpath_budget import xpath_cost_refusal
from portal.xml import DTD_REFUSED, xml_parse_hardened

__all__ = [
    "DO_NOT_LOG",
    "DTD_REFUSED",
    "IF_NULL",
    "MODES",
    "NODES",
    "REQUEST_SOURCE",
    "ExecuteStep",
    "MpsRequest",
    "SkipStep",
    "Transform",
    "apply_transform",
    "do_not_log_remove",
    "do_not_log_values",
    "element_to_value",
    "parse_request",
    "render_error",
    "render_response",
    "value_to_elements",
]


#: The nodes a ``<before>`` / ``<after>`` may read from and write to.
NODES = ("data", "executeData")

#: The transformation modes of ``<before>`` / ``<after>``; the first one is the default.
MODES = ("insert", "merge", "replace", "move")

#: The values of ``ifNull`` (``Provisioning Schema::before`` / ``::after``).
IF_NULL = ("fail", "ignore", "skip")

#: The attribute that marks an ``executeData`` value as never to be written anywhere
#: (``<newPassword do-not-log="1">`` in ``Managed Active Directory::SetUserPassword``).
DO_NOT_LOG = "do-not-log"

#: The ``errorSource`` of an error of the request as a whole (not of one of its procedures).
REQUEST_SOURCE = ("Provisioning Schema", "request")

_IMPERSONATE = {str(value.value): value for value in Impersonate}
_ALLOW_NULL_TRANSFORM = {"0": False, "1": True}

_TRANSFORM_ATTRIBUTES = {
    "source",
    "sourcePath",
    "destination",
    "destinationPath",
    "mode",
    "ifNull",
    "allowNullTransform",
}

# Children of <execute> that the Provisioning Schema defines but this portal does not run.
_UNSUPPORTED_EXECUTE_CHILDREN = ("forEach", "repeat", "when")

_XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'

# Characters that XML 1.0 cannot carry at all, not even escaped.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# libxml2 appends the position to its message; the refusal names it once, in its own words.


# --------------------------------------------------------------------------------------------
# The parsed request
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transform:
    """One ``<before>`` or ``<after>`` element: what to move, from where, to where, and how.

    ``source`` and ``destination`` are ``"data"`` or ``"executeData"``; ``mode`` is one of
    :data:`MODES`; the paths are XPath expressions relative to the source / destination node, or
    ``None`` when the attribute is absent. ``if_null`` is one of :data:`IF_NULL` and
    ``allow_null_transform`` a bool, each ``None`` when the attribute is absent: the seeds' own
    requests rely on an absent ``ifNull`` moving nothing (see :func:`apply_transform`).
    """

    source: str
    source_path: str | None
    destination: str
    destination_path: str | None
    mode: str
    if_null: str | None = None
    allow_null_transform: bool | None = None


class SkipStep(Exception):
    """A ``<before>`` / ``<after>`` with ``ifNull="skip"`` found no source node: the rest of the
    current ``<execute>`` is skipped (the portal runs no loops, so the step is the iteration)."""


@dataclass(frozen=True)
class ExecuteStep:
    """One ``<execute>`` step of a request.

    ``impersonate`` is :class:`~portal.engine.Impersonate`: INHERIT (0, also when absent), CALLER
    (1, impersonate the caller) or SERVICE (2, do not). The
    ``execute_data`` element is the step's own ``<executeData>``, detached from the request (an
    empty ``<executeData/>`` when the request has none); ``before`` and ``after`` keep document
    order.
    """

    namespace: str
    procedure: str
    impersonate: Impersonate
    execute_data: etree._Element
    before: list[Transform]
    after: list[Transform]


@dataclass(frozen=True)
class MpsRequest:
    """A parsed MPS request: the shared ``<data>`` node (``None`` when absent, else detached from
    the request document) and the ``<execute>`` steps in document order (at least one)."""

    data: etree._Element | None
    executes: list[ExecuteStep]


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _unqualify(root: etree._Element) -> None:
    """Treat the request's own default namespace (``<request xmlns="...prov.xml">``) as none.

    The SDK samples show both forms; removing the request's namespace from the elements in it
    lets ``sourcePath="GUID"`` select ``<GUID>`` in both. Elements in other namespaces are kept.
    """
    namespace = etree.QName(root).namespace
    if not namespace:
        return
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).namespace == namespace:
            element.tag = etree.QName(element).localname
    etree.cleanup_namespaces(root)


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _detached(element: etree._Element) -> etree._Element:
    clone = copy.deepcopy(element)
    clone.tail = None
    return clone


def _taken(element: etree._Element) -> etree._Element:
    """``element`` taken out of its tree, with no text after it. It stays in its document (an
    absolute path would still see the rest of it): only for an element that is put into another
    tree at once, as the answer into its ``<response>``."""
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)
    element.tail = None
    return element


def _check_xpath(path: str, attribute: str, where: str) -> None:
    too_costly = xpath_cost_refusal(path)
    if too_costly:
        raise InvalidRequest(
            f'{where}: {attribute}="{path}" is over the cost allowed for a path: {too_costly}.'
        )
    try:
        etree.XPath(path, regexp=False, smart_strings=False)
    except etree.XPathError as exc:
        raise InvalidRequest(f'{where}: {attribute}="{path}" is not a valid XPath ({exc}).') from None


def _parse_transform(element: etree._Element, where: str) -> Transform:
    kind = f"{where} <{element.tag}>"
    if _elements(element):
        raise InvalidRequest(
            f"{kind}: XSL templates inside <{element.tag}> are not supported; "
            "use sourcePath, destinationPath and mode."
        )
    values: dict[str, str] = {}
    for attribute in ("source", "destination"):
        value = element.get(attribute)
        if value is None:
            raise InvalidRequest(f'{kind} is missing the required attribute "{attribute}".')
        if value not in NODES:
            raise InvalidRequest(
                f'{kind}: {attribute}="{value}" is not supported; use "data" or "executeData".'
            )
        values[attribute] = value
    mode = element.get("mode", MODES[0])
    if mode not in MODES:
        raise InvalidRequest(f'{kind}: mode="{mode}" is not one of "insert", "merge", "replace", "move".')
    source_path = element.get("sourcePath")
    destination_path = element.get("destinationPath")
    if source_path is not None:
        _check_xpath(source_path, "sourcePath", kind)
    if destination_path is not None:
        _check_xpath(destination_path, "destinationPath", kind)
    if_null = element.get("ifNull")
    if if_null is not None and if_null not in IF_NULL:
        raise InvalidRequest(f'{kind}: ifNull="{if_null}" is not one of "fail", "ignore", "skip".')
    raw_allow = element.get("allowNullTransform")
    if raw_allow is not None and raw_allow not in _ALLOW_NULL_TRANSFORM:
        raise InvalidRequest(f'{kind}: allowNullTransform="{raw_allow}" is not one of "0", "1".')
    unknown = sorted(set(element.attrib) - _TRANSFORM_ATTRIBUTES)
    if unknown:
        raise InvalidRequest(f'{kind}: the attribute "{unknown[0]}" is not supported.')
    return Transform(
        source=values["source"],
        source_path=source_path,
        destination=values["destination"],
        destination_path=destination_path,
        mode=mode,
        if_null=if_null,
        allow_null_transform=None if raw_allow is None else _ALLOW_NULL_TRANSFORM[raw_allow],
    )


def _parse_execute(element: etree._Element, number: int) -> ExecuteStep:
    where = f"<execute> step {number}"
    names: dict[str, str] = {}
    for attribute in ("namespace", "procedure"):
        value = element.get(attribute)
        if value is None or not value.strip():
            raise InvalidRequest(f'{where} is missing the required attribute "{attribute}".')
        names[attribute] = value
    where = f'<execute namespace="{names["namespace"]}" procedure="{names["procedure"]}">'
    raw_impersonate = element.get("impersonate")
    if raw_impersonate is None:
        impersonate = Impersonate.INHERIT
    elif raw_impersonate in _IMPERSONATE:
        impersonate = _IMPERSONATE[raw_impersonate]
    else:
        raise InvalidRequest(f'{where}: impersonate="{raw_impersonate}" is not one of "0", "1", "2".')
    execute_data: etree._Element | None = None
    before: list[Transform] = []
    after: list[Transform] = []
    for child in _elements(element):
        if child.tag == "executeData":
            if execute_data is not None:
                raise InvalidRequest(f"{where} holds more than one <executeData>.")
            execute_data = _detached(child)
        elif child.tag == "before":
            before.append(_parse_transform(child, where))
        elif child.tag == "after":
            after.append(_parse_transform(child, where))
        elif child.tag in _UNSUPPORTED_EXECUTE_CHILDREN:
            raise InvalidRequest(f"{where}: <{child.tag}> is not supported.")
        else:
            raise InvalidRequest(f"{where}: unknown element <{_local(child)}>.")
    return ExecuteStep(
        namespace=names["namespace"],
        procedure=names["procedure"],
        impersonate=impersonate,
        execute_data=execute_data if execute_data is not None else etree.Element("executeData"),
        before=before,
        after=after,
    )


def parse_request(body: bytes) -> MpsRequest:
    """Parse an MPS ``<request>`` document.

    Guarantees: a document with a DOCTYPE (internal or external DTD, entity or parameter-entity
    declarations) is refused with :data:`DTD_REFUSED` before any declaration is read; no entity
    is expanded and no file or URL is opened. A document that is not well-formed is refused with
    the parser's message, line and column. The root must be ``<request>`` with at most one
    ``<data>`` and exactly one ``<procedure>`` holding one or more ``<execute>``; every
    ``<execute>`` has non-empty ``namespace`` and ``procedure``, ``impersonate`` in "0"/"1"/"2"
    (absent: 0), at most one ``<executeData>`` and any ``<before>`` / ``<after>`` with a valid
    ``source``, ``destination``, ``mode`` and syntactically valid paths. Comments, processing
    instructions, whitespace and the XML declaration are tolerated and dropped. The returned
    ``data`` and ``executeData`` elements are detached copies: changing them changes nothing else.
    Any violation raises :class:`~portal.errors.InvalidRequest`.
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError("parse_request() takes the request body as bytes.")
    root = xml_parse_hardened(bytes(body))
    _unqualify(root)
    if root.tag != "request":
        raise InvalidRequest(f"The root element must be <request>, not <{_local(root)}>.")
    data: etree._Element | None = None
    procedure: etree._Element | None = None
    for child in _elements(root):
        if child.tag == "data":
            if data is not None:
                raise InvalidRequest("The request holds more than one <data> element.")
            data = child
        elif child.tag == "procedure":
            if procedure is not None:
                raise InvalidRequest("The request holds more than one <procedure> element.")
            procedure = child
        else:
            raise InvalidRequest(
                f"<request> may hold only <data> and <procedure>; <{_local(child)}> is not supported."
            )
    if procedure is None:
        raise InvalidRequest("The request has no <procedure> element.")
    executes: list[ExecuteStep] = []
    for child in _elements(procedure):
        if child.tag != "execute":
            raise InvalidRequest(
                f"<procedure> may hold only <execute> steps; <{_local(child)}> is not supported."
            )
        executes.append(_parse_execute(child, len(executes) + 1))
    if not executes:
        raise InvalidRequest("The <procedure> element holds no <execute> step.")
    return MpsRequest(data=_detached(data) if data is not None else None, executes=executes)


# --------------------------------------------------------------------------------------------
# before / after
# --------------------------------------------------------------------------------------------


def _is_inside(element: etree._Element, ancestor: etree._Element) -> bool:
    return any(parent is ancestor for parent in element.iterancestors())


def _select_nodes(node: etree._Element, path: str, attribute: str) -> list[Any]:
    too_costly = xpath_cost_refusal(path)
    if too_costly:
        raise InvalidRequest(f'{attribute}="{path}" is over the cost allowed for a path: {too_costly}.')
    try:
        xpath = etree.XPath(path, regexp=False, smart_strings=False)
        result = xpath(node)
    except etree.XPathError as exc:
        raise InvalidRequest(f'{attribute}="{path}" is not a valid XPath ({exc}).') from None
    if not isinstance(result, list):
        raise InvalidRequest(f'{attribute}="{path}" must select elements, not a value.')
    return result


def _only_elements(result: list[Any]) -> list[etree._Element]:
    # Only elements take part; text, attributes and the like are not nodes that can be moved.
    return [item for item in result if isinstance(item, etree._Element) and isinstance(item.tag, str)]


def _select(node: etree._Element, path: str, attribute: str) -> list[etree._Element]:
    return _only_elements(_select_nodes(node, path, attribute))


def _outermost(elements: list[etree._Element]) -> list[etree._Element]:
    chosen: list[etree._Element] = []
    for element in elements:
        if any(element is other or _is_inside(element, other) for other in chosen):
            continue
        chosen.append(element)
    return chosen


def _detach(element: etree._Element) -> None:
    """Remove ``element`` from its parent; text that followed it (not mere whitespace) stays."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    element.tail = None
    parent.remove(element)


def _append(target: etree._Element, element: etree._Element) -> None:
    element.tail = None
    target.append(element)


def _merge(target: etree._Element, incoming: list[etree._Element]) -> None:
    """Merge ``incoming`` (detached copies) into ``target``'s children.

    A name the target does not have is appended. A name that occurs once on both sides is merged
    recursively when both elements have element children (attributes of the new one win), and
    replaced in place otherwise. A name that repeats on either side is a list, and the new list
    replaces the old one where the old one started.
    """
    groups: dict[str, list[etree._Element]] = {}
    for element in incoming:
        groups.setdefault(element.tag, []).append(element)
    for tag, new in groups.items():
        old = [child for child in _elements(target) if child.tag == tag]
        if not old:
            for element in new:
                _append(target, element)
        elif len(old) == 1 and len(new) == 1 and _elements(old[0]) and _elements(new[0]):
            old[0].attrib.update(dict(new[0].attrib))
            _merge(old[0], _elements(new[0]))
        else:
            anchor = old[0]
            for element in reversed(new):
                element.tail = anchor.tail
                anchor.addnext(element)
            for element in old:
                _detach(element)


def apply_transform(transform: Transform, nodes: dict[str, etree._Element]) -> None:
    """Apply one ``<before>`` / ``<after>`` to ``nodes`` (``"data"`` and ``"executeData"``).

    The selected nodes are the element children of the source node (no ``sourcePath``) or the
    elements ``sourcePath`` selects relative to it; a ``sourcePath`` that selects nothing moves
    nothing and is no error (the seed's ``sourcePath="GUID"`` when there is no GUID). The target
    is the destination node, or the first element ``destinationPath`` selects relative to it,
    which must exist. Modes:

    * ``insert``: deep copies of the selected elements are appended to the target;
    * ``move``: the selected elements themselves are appended and so leave the source;
    * ``replace``: the target's children with the same names as the selected ones (without
      ``sourcePath``: all of them) are removed, then copies are appended;
    * ``merge``: copies are merged into the target's children (see :func:`_merge`): same-named
      children are replaced in place, or merged recursively when both have element children;
      new names are appended.

    Only elements move, never the text between them. Paths are XPath 1.0 without extension
    functions and may only reach nodes strictly inside the source node and, for the target, the
    destination node or nodes inside it. An invalid path, a missing target or a ``move`` into one
    of the moved elements raises :class:`~portal.errors.InvalidRequest`; ``nodes`` is then
    unchanged.

    A missing source (``sourcePath`` selects nothing inside the source node) follows ``ifNull``:
    ``fail`` raises :class:`~portal.errors.InvalidArgument` naming the path, ``ignore`` moves
    nothing, ``skip`` raises :class:`SkipStep` (the caller skips the rest of its ``<execute>``).
    Absent, it moves nothing: the page's default would be ``fail``, but the seeds' requests move
    ``GUID`` and ``organization`` where one of them is absent, and the seeds win. A null transform
    (the source is there but yields no element: an empty node, or a path that selects only text or
    attributes) follows ``allowNullTransform``: ``0`` raises
    :class:`~portal.errors.InvalidArgument`, ``1`` leaves the destination as it is; absent, the
    mode applies to the empty selection as it always has (a ``replace`` without ``sourcePath``
    empties the target).
    """
    if transform.mode not in MODES:
        raise InvalidRequest(f'mode="{transform.mode}" is not one of "insert", "merge", "replace", "move".')
    for role, name in (("source", transform.source), ("destination", transform.destination)):
        if name not in NODES:
            raise InvalidRequest(f'{role}="{name}" is not supported; use "data" or "executeData".')
    source = nodes[transform.source]
    destination = nodes[transform.destination]

    if transform.source_path is None:
        selected = _elements(source)
    else:
        found_nodes = _select_nodes(source, transform.source_path, "sourcePath")
        inside = [
            item for item in found_nodes if not isinstance(item, etree._Element) or _is_inside(item, source)
        ]
        if not inside:
            _source_missing(transform)
            return
        selected = _outermost(_only_elements(inside))
    if not selected and transform.allow_null_transform is not None:
        if not transform.allow_null_transform:
            where = f' sourcePath="{transform.source_path}"' if transform.source_path else ""
            raise InvalidArgument(
                f"The source <{transform.source}>{where} holds no element to transform "
                '(allowNullTransform="0").',
                field=transform.source_path,
            )
        return

    if transform.destination_path is None:
        target = destination
    else:
        found = [
            element
            for element in _select(destination, transform.destination_path, "destinationPath")
            if element is destination or _is_inside(element, destination)
        ]
        if not found:
            raise InvalidRequest(
                f'destinationPath="{transform.destination_path}" selects no element in '
                f"<{transform.destination}>."
            )
        target = found[0]

    if transform.mode == "move":
        for element in selected:
            if element is target or _is_inside(target, element):
                raise InvalidRequest(
                    f"Cannot move <{element.tag}> into itself (destinationPath="
                    f'"{transform.destination_path}").'
                )
        for element in selected:
            _detach(element)
            _append(target, element)
        return

    copies = [_detached(element) for element in selected]
    if transform.mode == "insert":
        for element in copies:
            _append(target, element)
    elif transform.mode == "replace":
        if transform.source_path is None:
            for child in list(target):
                target.remove(child)
            target.text = None
        else:
            names = {element.tag for element in copies}
            for child in _elements(target):
                if child.tag in names:
                    _detach(child)
        for element in copies:
            _append(target, element)
    else:
        _merge(target, copies)


def _source_missing(transform: Transform) -> None:
    """What a ``sourcePath`` that selects nothing does, by ``ifNull`` (absent: nothing)."""
    if transform.if_null == "fail":
        raise InvalidArgument(
            f'The source node sourcePath="{transform.source_path}" is missing from '
            f'<{transform.source}> (ifNull="fail").',
            field=transform.source_path,
        )
    if transform.if_null == "skip":
        raise SkipStep(transform.source_path)


# --------------------------------------------------------------------------------------------
# XML <-> plain values
# --------------------------------------------------------------------------------------------


def element_to_value(el: etree._Element) -> dict[str, Any] | str:
    """Turn an element into the plain value the engine takes.

    An element without element children becomes its text with surrounding whitespace stripped
    (``""`` when empty; text around comments and processing instructions is joined). An element
    with element children becomes a dict from each child's local name (namespaces dropped) to its
    value, in order of first occurrence; a name that occurs more than once maps to a list of the
    values in document order. Comments, processing instructions and text between child elements
    are ignored. The element is not changed.

    Attributes are values too (``<property name="otherHomePhone">``, ``<mailStore
    algorithm="level"/>``): on an element with element children, or on an empty one, each becomes
    a key ``@name`` (before the children). A leaf with text is its text: its attributes are left
    out, as are the ``do-not-log`` marker and attributes in a namespace everywhere.
    """
    children = _elements(el)
    attributes = {
        f"@{name}": value
        for name, value in el.attrib.items()
        if name != DO_NOT_LOG and not name.startswith("{")
    }
    if not children:
        parts = [el.text or ""]
        parts.extend(child.tail or "" for child in el)
        text = "".join(parts).strip()
        return attributes if attributes and not text else text
    result: dict[str, Any] = dict(attributes)
    for child in children:
        name = etree.QName(child).localname
        value = element_to_value(child)
        if name not in result:
            result[name] = value
        elif isinstance(result[name], list):
            result[name].append(value)
        else:
            result[name] = [result[name], value]
    return result


def _scalar_text(value: object, key: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    raise TypeError(f"Cannot write {type(value).__name__} value of <{key}> as XML.")


def _append_value(parent: etree._Element, key: str, value: object) -> None:
    if key.startswith("@"):
        text = _scalar_text(value, key)
        if text is not None:
            parent.set(key[1:], text)
        return
    child = etree.SubElement(parent, key)
    if isinstance(value, Mapping):
        value_to_elements(child, value)
    else:
        child.text = _scalar_text(value, key)


def value_to_elements(parent: etree._Element, mapping: Mapping[str, Any]) -> None:
    """Append one child element to ``parent`` per key of ``mapping``, in the mapping's order.

    A ``str`` becomes the element's text, an ``int`` or ``Decimal`` its ``str()``, a ``bool``
    ``"1"`` or ``"0"``, ``None`` an empty element, a mapping an element with children built the
    same way, and a list (or tuple) one element per item (each item a scalar, ``None`` or a
    mapping); a key ``@name`` sets the attribute ``name`` of ``parent``.
    It is the inverse of :func:`element_to_value`: for any element ``x`` whose value is
    a dict, ``element_to_value`` of a fresh element filled from that value equals it again. Other
    value types (``float`` among them: money is ``Decimal``) raise ``TypeError``; a key that is
    not an XML name or text that XML cannot carry raises ``ValueError``.
    """
    for key, value in mapping.items():
        if isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, list | tuple):
                    raise TypeError(f"A list inside the list of <{key}> cannot be written as XML.")
                _append_value(parent, key, item)
        else:
            _append_value(parent, key, value)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _serialize(root: etree._Element) -> bytes:
    return _XML_DECLARATION + etree.tostring(root, encoding="utf-8")


def _xml_text(text: str) -> str:
    return _NOT_XML_CHAR.sub("\ufffd", text)


def render_response(data: etree._Element, *, taken: bool = False) -> bytes:
    """Render ``<response>`` holding a copy of ``data`` under its own name (``<data>``, or
    ``<executeData>`` when the request had no data and the caller passes that).

    The result is UTF-8 with the declaration ``<?xml version="1.0" encoding="utf-8"?>``, indented
    by two spaces: whitespace-only text between elements is re-laid, an element holding only
    whitespace is written empty (``<data />``), comments and processing instructions are left out,
    other text is kept, so :func:`element_to_value` reads the same
    value back. ``data`` is not changed, unless ``taken``: the caller gives it up, and it becomes
    the response's own (no copy is made).
    """
    response = etree.Element("response")
    response.append(_taken(data) if taken else _detached(data))
    # Indenting would put whitespace beside a comment inside a leaf and change its text.
    etree.strip_tags(response, etree.Comment, etree.ProcessingInstruction)
    for element in response.iter():
        # what a move left behind: the layout of the request, not a value (<data />, as the pages)
        if len(element) == 0 and element.text is not None and not element.text.strip():
            element.text = None
    etree.indent(response, space="  ")
    return _serialize(response)


def render_error(
    code: int,
    description: str,
    sources: list[tuple[str, str]],
    *,
    execute_seq_no: int | None = None,
    error_description: Mapping[str, Any] | None = None,
) -> bytes:
    """Render an error as ``Provisioning Schema::errorContext`` defines it, in its parent
    ``<response>`` (as MPS answers, KB 870933).

    ``<errorContext>`` carries the required ``code`` (``0x`` and eight upper-case hex digits; a
    negative 32-bit HRESULT is shown as its unsigned form) and ``description`` (the text), and
    ``executeSeqNo`` (which ``<execute>`` of the request failed, counted from 1) when the error
    belongs to one. Its children are at most one ``<errorDescription>`` (the mapping
    ``error_description`` as elements, when given) and one or more
    ``<errorSource namespace=".." procedure=".."/>``, one per entry of ``sources`` in the order
    given (innermost first); an error of the request as a whole names the request
    (:data:`REQUEST_SOURCE`). Everything is XML-escaped; characters XML cannot carry become
    U+FFFD. UTF-8 with the same declaration as :func:`render_response`. A code outside 32 bits
    raises ``ValueError``.
    """
    if not -(2**31) <= code < 2**32:
        raise ValueError(f"Error code {code} does not fit in 32 bits.")
    response = etree.Element("response")
    root = etree.SubElement(response, "errorContext")
    root.set("code", f"0x{code & 0xFFFFFFFF:08X}")
    root.set("description", _xml_text(description))
    if execute_seq_no is not None:
        root.set("executeSeqNo", str(execute_seq_no))
    if error_description:
        detail = etree.SubElement(root, "errorDescription")
        value_to_elements(
            detail,
            {
                key: _xml_text(value) if isinstance(value, str) else value
                for key, value in error_description.items()
            },
        )
    for namespace, procedure in sources or [REQUEST_SOURCE]:
        source = etree.SubElement(root, "errorSource")
        source.set("namespace", _xml_text(namespace))
        source.set("procedure", _xml_text(procedure))
    etree.indent(response, space="  ")
    return _serialize(response)


def do_not_log_values(element: etree._Element) -> dict[str, str]:
    """The values of the elements marked ``do-not-log="1"`` inside ``element`` (itself included),
    by element name: what no audit record, log line, job row, error text or answer may show."""
    found: dict[str, str] = {}
    for node in element.iter():
        if isinstance(node.tag, str) and node.get(DO_NOT_LOG) == "1":
            value = element_to_value(node)
            found[etree.QName(node).localname] = value if isinstance(value, str) else ""
    return found


def do_not_log_remove(element: etree._Element, names: set[str]) -> None:
    """Take every element marked ``do-not-log="1"``, or named in ``names``, out of ``element``
    (an answer never carries such a value back)."""
    doomed = [
        node
        for node in element.iter(etree.Element)
        if node is not element and (node.get(DO_NOT_LOG) == "1" or node.tag.rpartition("}")[2] in names)
    ]
    for node in doomed:
        if node.getparent() is not None:
            _detach(node)
