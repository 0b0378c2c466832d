"""The REST door's JSON: numbers with a fraction stay Decimal, and nesting is bounded."""

from __future__ import annotations

import json
from decimal import Decimal

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


class WrittenDecimal(Decimal):
    """A JSON number with an exponent (``1e3``): its Decimal value, but ``str()`` gives the text as
    written, so that a door reading money or decimals as text refuses the notation rather than
    taking ``1E+3``, or ``15`` for ``1.5e1``."""

    written: str

    def __new__(cls, text: str):
        number = super().__new__(cls, text)
        number.written = text
        return number

    def __str__(self) -> str:
        return self.written


def _number(text: str) -> Decimal:
    """A JSON number with a fraction or an exponent: a Decimal, never a binary float."""
    return WrittenDecimal(text) if "e" in text.lower() else Decimal(text)


def _depth_check(value: object, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ParseError(f"JSON parse error - the document nests deeper than {MAX_DEPTH} levels.")
    if isinstance(value, dict):
        for item in value.values():
            _depth_check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _depth_check(item, depth + 1)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but amounts never pass through a binary float (numbers with a fraction
    or an exponent are Decimal: ``12345678901234567890.12`` stays exactly that, and ``1e3`` keeps
    its written form, which money refuses) and a document nested deeper than
    :data:`MAX_DEPTH` (or too deep for the decoder at all) is a 400, not a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            data = json.loads(text, parse_float=_number, parse_constant=_constant_refused)
        except RecursionError:
            raise ParseError(
                f"JSON parse error - the document nests deeper than {MAX_DEPTH} levels."
            ) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        _depth_check(data)
        return data


def _constant_refused(name: str):
    raise ValueError(f"{name} is not a number JSON allows")
