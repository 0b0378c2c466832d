"""What the portal accepts as names, logon names and passwords of the objects it creates.

Password policy (docs/provisioning.md states it for users):

- 8 to 128 characters;
- characters of at least three of the four classes: lower-case letters, upper-case letters,
  digits, other characters (punctuation, spaces, symbols);
- not containing the user's name or the part of its userPrincipalName before ``@`` (letter case
  ignored, when that name is 3 characters or longer).

This follows Active Directory's default "complexity requirements", so that a password the portal
accepts is one an Active Directory domain controller accepts too.
"""

from __future__ import annotations

import re

from portal.errors import InvalidArgument

NAME_MAX = 64  # the longest CN or OU name Active Directory allows
PASSWORD_MIN = 8
PASSWORD_MAX = 128
_UPN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_MAIL = _UPN


def name_check(name: str, *, argument: str = "name") -> str:
    """The name of a new organization or user, trimmed; empty, too long or control characters
    are refused. Every other character is allowed: it is escaped where it goes into a DN."""
    value = (name or "").strip()
    if not value:
        raise InvalidArgument(f"<{argument}> is empty.", field=argument)
    if len(value) > NAME_MAX:
        raise InvalidArgument(f"<{argument}> is longer than {NAME_MAX} characters.", field=argument)
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise InvalidArgument(f"<{argument}> may not hold control characters.", field=argument)
    return value


def user_principal_name_check(value: str, *, argument: str = "userPrincipalName") -> str:
    """A logon name of the form ``name@domain.tld``."""
    text = (value or "").strip()
    if not _UPN.match(text) or len(text) > 256:
        raise InvalidArgument(
            f"<{argument}> must be a logon name of the form name@domain.com; {text!r} is not.",
            field=argument,
        )
    return text


def mail_check(value: str | None, *, argument: str = "mail") -> str | None:
    """An e-mail address, or None when none is given."""
    text = (value or "").strip()
    if not text:
        return None
    if not _MAIL.match(text) or len(text) > 256:
        raise InvalidArgument(f"<{argument}> is not an e-mail address: {text!r}.", field=argument)
    return text


def password_check(password: str, *, name: str, user_principal_name: str = "") -> None:
    """Refuse a password that breaks the policy of this module, saying which rule it breaks."""
    field = "password"
    if len(password) < PASSWORD_MIN:
        raise InvalidArgument(
            f"The password is too short: it must have at least {PASSWORD_MIN} characters.", field=field
        )
    if len(password) > PASSWORD_MAX:
        raise InvalidArgument(
            f"The password is too long: it may have at most {PASSWORD_MAX} characters.", field=field
        )
    classes = sum(
        (
            any(char.islower() for char in password),
            any(char.isupper() for char in password),
            any(char.isdigit() for char in password),
            any(not char.isalnum() for char in password),
        )
    )
    if classes < 3:
        raise InvalidArgument(
            "The password is too simple: it must mix at least three of lower-case letters, "
            "upper-case letters, digits and other characters.",
            field=field,
        )
    lowered = password.lower()
    for part in (name, user_principal_name.partition("@")[0]):
        part = (part or "").strip().lower()
        if len(part) >= 3 and part in lowered:
            raise InvalidArgument("The password may not contain the user's name.", field=field)
