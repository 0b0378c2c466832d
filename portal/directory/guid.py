"""Directory GUIDs in both forms the seeds show.

``{08fd2bcd-dcd6-4d80-9cd4-1e88069e37f8}`` is the registry (braced) form;
``cd2bfd08d6dc804d9cd41e88069e37f8`` is the same GUID as the 16 octets Active Directory stores in
``objectGUID``, in hex: the first three groups byte-reversed (``uuid.UUID(bytes_le=...)``).
"""

from __future__ import annotations

import re
import uuid

from portal.errors import InvalidArgument

_BRACED = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
_OCTETS = re.compile(r"^[0-9a-fA-F]{32}$")


def guid_parse(value: str, *, argument: str = "GUID") -> uuid.UUID:
    """The GUID of either form (braces optional on the dashed form); anything else is refused."""
    text = (value or "").strip()
    match = _BRACED.match(text)
    if match and (text.startswith("{") == text.endswith("}")):
        return uuid.UUID(match.group(1))
    if _OCTETS.match(text):
        return uuid.UUID(bytes_le=bytes.fromhex(text))
    raise InvalidArgument(
        f"<{argument}> is not a GUID: {value!r}. Use {{08fd2bcd-dcd6-4d80-9cd4-1e88069e37f8}} "
        "or cd2bfd08d6dc804d9cd41e88069e37f8.",
        field=argument,
    )


def guid_braced(guid: uuid.UUID) -> str:
    """``{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}``."""
    return "{" + str(guid) + "}"


def guid_octets(guid: uuid.UUID) -> str:
    """The 32 hex digits of the octets Active Directory stores."""
    return guid.bytes_le.hex()
