"""Input schemas of procedures: argument names, kinds and cardinality, as the seeds declare them.

A door hands the engine a plain mapping (the MPS door converts ``<executeData>``; the REST door
passes JSON). :meth:`Schema.validate` refuses what does not fit with an
:class:`~portal.errors.InvalidArgument` naming the argument, and returns the arguments in the
Python form a procedure receives: ``path`` kinds as DNs, ``guid`` as :class:`uuid.UUID`, ``int``,
``bool``, ``decimal`` and ``datetime`` converted, lists as Python lists, absent optional arguments as
``None`` (``[]`` for lists).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from portal.directory import guid_parse, path_to_dn
from portal.errors import InvalidArgument

KINDS = (
    "string",
    "path",
    "guid",
    "int",
    "bool",
    "decimal",
    "date",
    "datetime",
    "list",
    "xml",
    "record",
    "struct",
)
# What neither the directory nor XML 1.0 can carry, or what no name should hold: C0 controls but for
# tab, line feed and carriage return, DEL, the C1 controls, lone surrogates and the non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: A decimal argument in plain notation: digits, at most one point, an optional sign; no exponent.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# Whole numbers fit a 32-bit signed integer (the SOAP door's s:int, the database's IntegerField).
INT_RANGE = (-(2**31), 2**31 - 1)
# Decimal amounts fit the money fields: 14 digits, 2 of them after the point (billing.models.MONEY).
DECIMAL_DIGITS = (14, 2)
# Dates lie within a sane horizon; 0001-01-01 (.NET's DateTime.MinValue) stays, as the seeds use it.
DATE_YEARS = (1900, 2199)
MIN_VALUE_DATE = dt.date(1, 1, 1)
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


@dataclass(frozen=True)
class Arg:
    """One argument of a procedure.

    ``required`` is the seed's ``1..1`` (``0..1`` otherwise). A ``list`` holds ``item`` elements
    (``<features><feature>POP</feature></features>``) and takes at least ``min_items`` of them.
    A ``record`` holds some of the named ``fields``, each once, as text
    (``<planOverrides><prohibitSendReceiveQuota>…</prohibitSendReceiveQuota></planOverrides>``).
    ``choices`` are matched without regard to letter case and returned as declared. A ``path``
    must lie inside the hosting tree (``in_hosting_root``) and inside the caller's scope
    (``scoped``); the engine checks both before the procedure runs. ``secret`` values never reach
    the audit record. A ``struct`` is a nested structure (``<properties>``, ``<features>``)
    handed to the procedure as the plain mapping the door gives (XML attributes as ``@name``
    keys); the procedure checks its inside.
    """

    name: str
    kind: str = "string"
    required: bool = False
    description: str = ""
    choices: tuple[str, ...] | None = None
    item: str | None = None
    item_kind: str = "string"
    min_items: int = 0
    secret: bool = False
    scoped: bool = True
    in_hosting_root: bool = True
    max_length: int = 2048
    subject: bool = False
    min_value: int | None = None
    max_value: int | None = None
    fields: tuple[str, ...] = ()
    #: for a ``date``/``datetime``: asked at each call, the latest day allowed and why (a text
    #: such as "a bill run may be dated at most 31 days after today"); a later day is refused
    latest: Callable[[], tuple[dt.date, str]] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown argument kind {self.kind!r}")
        if self.kind == "list" and not self.item:
            raise ValueError(f"list argument {self.name} needs an item name")
        if self.kind == "record" and not self.fields:
            raise ValueError(f"record argument {self.name} needs its fields")

    @property
    def cardinality(self) -> str:
        """The seed's notation: ``1..1`` or ``0..1`` (``0..n`` / ``1..n`` for list items)."""
        return "1..1" if self.required else "0..1"

    def describe(self) -> dict:
        """The argument as ``GET /api/procedures/`` lists it."""
        out = {"name": self.name, "type": self.kind, "cardinality": self.cardinality}
        if self.kind == "list":
            out["item"] = {"name": self.item, "type": self.item_kind, "min": self.min_items}
        if self.kind == "record":
            out["fields"] = list(self.fields)
        if self.choices:
            out["choices"] = list(self.choices)
        if self.description:
            out["description"] = self.description
        if self.secret:
            out["secret"] = True
        return out

    # --- conversion -----------------------------------------------------------------------
    def convert(self, value: object) -> object:
        """The Python value of one given value; an ill-formed value is refused."""
        if self.kind == "list":
            return self._convert_list(value)
        if self.kind == "struct":
            if value in ("", None):
                return {}
            if not isinstance(value, Mapping):
                raise InvalidArgument(
                    f"<{self.name}> must be a structure of elements, not a single value.", field=self.name
                )
            return dict(value)
        if self.kind == "record":
            return self._convert_record(value)
        return self._convert_scalar(value, self.kind, self.name)

    def _convert_record(self, value: object) -> dict[str, str]:
        if value in ("", None):
            return {}
        if not isinstance(value, Mapping):
            raise InvalidArgument(
                f"<{self.name}> must hold elements among "
                + ", ".join(f"<{name}>" for name in self.fields)
                + ".",
                field=self.name,
            )
        known = {name.lower(): name for name in self.fields}
        out: dict[str, str] = {}
        for key, item in value.items():
            name = known.get(str(key).lower())
            if name is None:
                raise InvalidArgument(
                    f"<{self.name}> has no element <{key}>; it may hold "
                    + ", ".join(f"<{field}>" for field in self.fields)
                    + ".",
                    field=self.name,
                )
            out[name] = self._convert_scalar(item, "string", f"{self.name}/{name}")
        return out

    def _convert_list(self, value: object) -> list:
        # XML shape {"item": "x"} or {"item": ["x", "y"]}; JSON may give the list itself.
        if isinstance(value, Mapping):
            unknown = set(value) - {self.item}
            if unknown:
                raise InvalidArgument(
                    f"<{self.name}> may hold only <{self.item}> elements, not "
                    + ", ".join(f"<{name}>" for name in sorted(unknown))
                    + ".",
                    field=self.name,
                )
            value = value.get(self.item, [])
        if value in ("", None):
            value = []
        if not isinstance(value, list):
            value = [value]
        items = [self._convert_scalar(item, self.item_kind, self.item) for item in value]
        if len(items) < self.min_items:
            raise InvalidArgument(
                f"<{self.name}> must hold at least {self.min_items} <{self.item}> element(s).",
                field=self.name,
            )
        return items

    def _convert_scalar(self, value: object, kind: str, name: str) -> object:
        if type(value) is not str and isinstance(value, Mapping | list):
            raise InvalidArgument(f"<{name}> must be a single value, not a structure.", field=self.name)
        if kind == "bool" and isinstance(value, bool):
            return value
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return self._in_range(value, name)
        if isinstance(value, float):
            # Money and counts never travel as binary floats: refuse rather than round.
            raise InvalidArgument(
                f"<{name}> must be given as text, not a floating-point number.", field=self.name
            )
        text = "" if value is None else str(value).strip()
        if len(text) > self.max_length:
            raise InvalidArgument(f"<{name}> is longer than {self.max_length} characters.", field=self.name)
        if _CONTROL.search(text):
            raise InvalidArgument(
                f"<{name}> holds a control character, which the directory and XML cannot carry.",
                field=self.name,
            )
        if kind in ("string", "xml"):
            if self.choices:
                for choice in self.choices:
                    if choice.lower() == text.lower():
                        return choice
                raise InvalidArgument(
                    f"<{name}> must be one of {', '.join(self.choices)}; {text!r} is not.", field=self.name
                )
            return text if kind == "string" else str(value)
        if text == "":
            raise InvalidArgument(f"<{name}> is empty.", field=self.name)
        if kind == "path":
            return path_to_dn(text, argument=name)
        if kind == "guid":
            return guid_parse(text, argument=name)
        if kind == "int":
            if len(text) > 20:
                raise InvalidArgument(f"<{name}> is out of range.", field=self.name)
            try:
                number = int(text)
            except ValueError as exc:
                raise InvalidArgument(
                    f"<{name}> must be a whole number; {text!r} is not.", field=self.name
                ) from exc
            return self._in_range(number, name)
        if kind == "bool":
            lowered = text.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise InvalidArgument(
                f"<{name}> must be true or false (1 or 0); {text!r} is not.", field=self.name
            )
        if kind == "decimal":
            try:
                if not _PLAIN_DECIMAL.fullmatch(text):
                    # Plain notation only: an exponent (1e3) is not how an amount is written.
                    raise InvalidOperation(text)
                number = Decimal(text)
            except InvalidOperation as exc:
                raise InvalidArgument(
                    f"<{name}> must be a decimal number; {text!r} is not.", field=self.name
                ) from exc
            if not number.is_finite():
                raise InvalidArgument(f"<{name}> must be a finite number.", field=self.name)
            digits, places = DECIMAL_DIGITS
            if number.adjusted() >= digits - places:
                raise InvalidArgument(
                    f"<{name}> is out of range: at most {digits - places} digits before the point.",
                    field=self.name,
                )
            if number.as_tuple().exponent < -12:
                raise InvalidArgument(f"<{name}> has too many decimal places.", field=self.name)
            return number
        if kind == "date":
            try:
                day = dt.date.fromisoformat(text[:10] if "T" in text else text)
            except ValueError as exc:
                raise InvalidArgument(
                    f"<{name}> must be a date (YYYY-MM-DD); {text!r} is not.", field=self.name
                ) from exc
            return self._not_after_latest(self._in_horizon(day, day, name), day, name)
        if kind == "datetime":
            try:
                moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError as exc:
                raise InvalidArgument(
                    f"<{name}> must be a date and time (ISO 8601); {text!r} is not.", field=self.name
                ) from exc
            return self._not_after_latest(self._in_horizon(moment, moment.date(), name), moment.date(), name)
        raise AssertionError(kind)

    def _in_range(self, number: int, name: str) -> int:
        low = INT_RANGE[0] if self.min_value is None else self.min_value
        high = INT_RANGE[1] if self.max_value is None else self.max_value
        if not low <= number <= high:
            raise InvalidArgument(
                f"<{name}> is out of range: it must lie between {low} and {high}.", field=self.name
            )
        return number

    def _in_horizon(self, value, day: dt.date, name: str):
        first, last = DATE_YEARS
        if day != MIN_VALUE_DATE and not first <= day.year <= last:
            raise InvalidArgument(
                f"<{name}> is out of range: dates lie between the years {first} and {last}.", field=self.name
            )
        return value

    def _not_after_latest(self, value, day: dt.date, name: str):
        if self.latest is None:
            return value
        if day == MIN_VALUE_DATE:  # .NET's "no date" stands for no day at all where a day is bounded
            first, last_year = DATE_YEARS
            raise InvalidArgument(
                f"<{name}> is out of range: dates lie between the years {first} and {last_year}.",
                field=self.name,
            )
        last, why = self.latest()
        if day > last:
            raise InvalidArgument(
                f"<{name}> is too far ahead: {why}, so {last.isoformat()} at the latest.", field=self.name
            )
        return value


@dataclass(frozen=True)
class Schema:
    """The arguments of a procedure, and the groups of which at least one must be given."""

    args: tuple[Arg, ...] = ()
    one_of: tuple[tuple[tuple[str, ...], str], ...] = field(default=())
    #: the arguments' names, and those of the secret ones (made once: every call asks)
    _names: frozenset[str] = field(init=False, repr=False, compare=False)
    _secrets: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [arg.name for arg in self.args]
        if len(names) != len(set(names)):
            raise ValueError(f"duplicate argument names in {names}")
        object.__setattr__(self, "_names", frozenset(names))
        object.__setattr__(self, "_secrets", frozenset(arg.name for arg in self.args if arg.secret))

    def arg(self, name: str) -> Arg | None:
        """The declared argument of that name."""
        for arg in self.args:
            if arg.name == name:
                return arg
        return None

    def validate(self, data: Mapping | str | None) -> dict:
        """The checked, converted arguments; raises :class:`InvalidArgument` on the first fault."""
        if data in (None, ""):
            data = {}
        if type(data) is not dict and not isinstance(data, Mapping):
            raise InvalidArgument("<executeData> must hold argument elements.")
        unknown = [name for name in data if name not in self._names]
        if unknown:
            allowed = ", ".join(f"<{arg.name}>" for arg in self.args) or "none"
            raise InvalidArgument(
                f"Unknown argument <{unknown[0]}>. This procedure takes {allowed}.", field=unknown[0]
            )
        for names, message in self.one_of:
            if not any(_given(data.get(name)) for name in names):
                raise InvalidArgument(message, field=names[0])
        out: dict = {}
        for arg in self.args:
            value = data.get(arg.name)
            if isinstance(value, list) and arg.kind != "list":
                raise InvalidArgument(f"<{arg.name}> may be given only once.", field=arg.name)
            if not _given(value) and arg.kind not in ("list", "struct"):
                if arg.required:
                    raise InvalidArgument(f"The argument <{arg.name}> is required.", field=arg.name)
                out[arg.name] = None
                continue
            out[arg.name] = arg.convert(value)
            if arg.kind in ("list", "struct") and arg.required and not out[arg.name]:
                raise InvalidArgument(f"The argument <{arg.name}> is required.", field=arg.name)
        return out

    def masked(self, data: Mapping | str | None) -> object:
        """``data`` with every secret argument's value replaced by ``***`` (for the audit; ``data``
        itself when the procedure takes no secret)."""
        secrets = self._secrets
        if not secrets or not isinstance(data, Mapping):
            return data
        return {key: ("***" if key in secrets and _given(value) else value) for key, value in data.items()}

    def describe(self) -> list[dict]:
        """Every argument as ``GET /api/procedures/`` lists it."""
        return [arg.describe() for arg in self.args]


def _given(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    return True


def jsonable(value: object) -> object:
    """A value fit for JSON (the audit record and the REST door): UUIDs braced, Decimals as text."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, uuid.UUID):
        return "{" + str(value) + "}"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
