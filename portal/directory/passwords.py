"""Passwords as the directory stores them: never in clear text.

OpenLDAP keeps ``userPassword`` as a salted hash that slapd checks at bind time; the portal writes
the ``{SSHA}`` scheme (salted SHA-1, RFC 2307 style), which every slapd checks without extra
modules. Active Directory hashes for itself: it takes the clear password once, as
``unicodePwd`` (the password in double quotes, UTF-16-LE), and only over an encrypted connection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SALT_BYTES = 8


def password_ssha(password: str, *, salt: bytes | None = None) -> str:
    """The ``{SSHA}`` value of ``password``: base64 of SHA-1(password + salt) followed by the salt."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    # SHA-1 because {SSHA} is the salted scheme every stock slapd verifies at bind.
    digest = hashlib.sha1(password.encode("utf-8") + salt, usedforsecurity=True).digest()  # noqa: S324
    return "{SSHA}" + base64.b64encode(digest + salt).decode("ascii")


def password_ssha_matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one an ``{SSHA}`` value was made from."""
    if not stored.upper().startswith("{SSHA}"):
        return False
    try:
        raw = base64.b64decode(stored[6:], validate=True)
    except ValueError:
        return False
    digest, salt = raw[:20], raw[20:]
    candidate = hashlib.sha1(password.encode("utf-8") + salt, usedforsecurity=True).digest()  # noqa: S324
    return hmac.compare_digest(digest, candidate)


def password_attributes(password: str, flavor: str) -> dict[str, list[bytes] | str]:
    """The attributes that set ``password`` on a new entry of a directory of ``flavor``."""
    if flavor == "ad":
        return {"unicodePwd": [f'"{password}"'.encode("utf-16-le")]}
    return {"userPassword": password_ssha(password)}
