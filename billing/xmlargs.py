"""The XML arguments of ``AddPackageToUserWithOptionalServices`` (seed 004), read with the
portal's one hardened parser (:mod:`portal.xml`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from billing.money import written_plainly
from portal.errors import InvalidArgument, InvalidRequest
from portal.xml import DTD_REFUSED, xml_parse_hardened

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_WRAPPER = "ArgumentRoot"
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)


def _argument_elements(text: str | None, argument: str) -> list[etree._Element]:
    """The top-level elements of an XML argument (one root, or several roots one after another)."""
    if text is None or not text.strip():
        return []
    body = _XML_DECLARATION.sub("", text, count=1)
    if _DECLARATION.search(body):
        raise InvalidArgument(f"<{argument}>: {DTD_REFUSED}", field=argument)
    try:
        root = xml_parse_hardened(f"<{_WRAPPER}>{body}</{_WRAPPER}>".encode(), what=f"<{argument}>")
    except InvalidRequest as err:
        raise InvalidArgument(err.text, field=argument) from None
    if (root.text or "").strip() or any((child.tail or "").strip() for child in root):
        raise InvalidArgument(f"<{argument}> holds text outside its elements.", field=argument)
    return [child for child in root if isinstance(child.tag, str)]


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _leaf_text(element: etree._Element, argument: str) -> str:
    if any(isinstance(child.tag, str) for child in element):
        raise InvalidArgument(
            f"<{argument}>: <{_local(element)}> must hold text, not elements.", field=argument
        )
    return (element.text or "").strip()


def optional_services_parse(text: str | None) -> list[int]:
    """The service IDs of ``xmlOptionalServices``: ``<OptionalServices><ServiceID>23</ServiceID>
    ...</OptionalServices>`` (several ``ServiceID``; several ``OptionalServices`` roots are read
    one after another). Repeated IDs count once; order is kept."""
    argument = "xmlOptionalServices"
    ids: list[int] = []
    for root in _argument_elements(text, argument):
        if _local(root) != "OptionalServices":
            raise InvalidArgument(
                f"<{argument}> must be <OptionalServices> holding <ServiceID> elements, "
                f"not <{_local(root)}>.",
                field=argument,
            )
        for child in root:
            if not isinstance(child.tag, str):
                continue
            if _local(child) != "ServiceID":
                raise InvalidArgument(
                    f"<{argument}>: <OptionalServices> may hold only <ServiceID>, not <{_local(child)}>.",
                    field=argument,
                )
            value = _leaf_text(child, argument)
            if not re.fullmatch(r"\d{1,9}", value):
                raise InvalidArgument(
                    f"<{argument}>: <ServiceID> must be a whole number; {value!r} is not.", field=argument
                )
            if int(value) not in ids:
                ids.append(int(value))
    return ids


@dataclass(frozen=True)
class DiscountSpec:
    """One discount group of ``xmlServiceDiscounts``."""

    service_name: str
    discount_type: str
    amount: Decimal
    occurrences: int
    note: str


_DISCOUNT_FIELDS = ("ServiceName", "discountType", "discountAmount", "discountOccur", "discountNote")


def _discount_group(fields: dict[str, str], argument: str, number: int) -> DiscountSpec:
    where = f"<{argument}> discount {number}"
    name = fields.get("ServiceName", "").strip()
    if not name:
        raise InvalidArgument(f"{where}: <ServiceName> is required.", field=argument)
    raw_type = fields.get("discountType", "").strip()
    kind = {"fixed": "Fixed", "percent": "Percent"}.get(raw_type.lower())
    if kind is None:
        raise InvalidArgument(
            f"{where}: <discountType> must be Fixed or Percent; {raw_type!r} is not.", field=argument
        )
    raw_amount = fields.get("discountAmount", "").strip()
    amount = Decimal(raw_amount) if written_plainly(raw_amount) else None
    if amount is None or amount < 0:
        raise InvalidArgument(
            f"{where}: <discountAmount> must be a decimal number of at least 0; {raw_amount!r} is not.",
            field=argument,
        )
    if amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("1000000000000"):
        raise InvalidArgument(
            f"{where}: <discountAmount> {raw_amount} has more than two decimal places or is too large.",
            field=argument,
        )
    if kind == "Percent" and amount > 100:
        raise InvalidArgument(f"{where}: a Percent <discountAmount> cannot exceed 100.", field=argument)
    raw_occur = fields.get("discountOccur", "0").strip() or "0"
    if not re.fullmatch(r"\d{1,9}", raw_occur):
        raise InvalidArgument(
            f"{where}: <discountOccur> must be a whole number of at least 0 (0: for ever); "
            f"{raw_occur!r} is not.",
            field=argument,
        )
    note = fields.get("discountNote", "").strip()
    if len(note) > 256:
        raise InvalidArgument(f"{where}: <discountNote> is longer than 256 characters.", field=argument)
    return DiscountSpec(name, kind, amount, int(raw_occur), note)


def service_discounts_parse(text: str | None) -> list[DiscountSpec]:
    """The discount groups of ``xmlServiceDiscounts``.

    The seed's shape is ``<ServiceDiscounts>`` holding ``ServiceName``, ``discountType``,
    ``discountAmount``, ``discountOccur``, ``discountNote``; several groups follow one another in
    it, each starting at its ``ServiceName``. Several ``<ServiceDiscounts>`` roots, or groups
    wrapped in an element of their own (``<ServiceDiscount>``), are read the same way.
    """
    argument = "xmlServiceDiscounts"
    groups: list[dict[str, str]] = []

    def read(container: etree._Element) -> None:
        current: dict[str, str] | None = None
        for child in container:
            if not isinstance(child.tag, str):
                continue
            name = _local(child)
            if name not in _DISCOUNT_FIELDS:
                if any(isinstance(grand.tag, str) for grand in child) and current is None:
                    read(child)
                    continue
                raise InvalidArgument(
                    f"<{argument}>: unknown element <{name}>; a discount holds "
                    + ", ".join(f"<{field}>" for field in _DISCOUNT_FIELDS)
                    + ".",
                    field=argument,
                )
            if name == "ServiceName" or current is None or name in current:
                current = {}
                groups.append(current)
            current[name] = _leaf_text(child, argument)

    for root in _argument_elements(text, argument):
        if _local(root) != "ServiceDiscounts":
            raise InvalidArgument(
                f"<{argument}> must be <ServiceDiscounts>, not <{_local(root)}>.", field=argument
            )
        read(root)
    return [_discount_group(group, argument, number) for number, group in enumerate(groups, 1)]
