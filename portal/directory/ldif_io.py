"""Reading LDIF files one record at a time (a bulk import must not hold the whole file)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import ldif

from portal.errors import InvalidArgument


@dataclass(frozen=True)
class LdifRecord:
    """One content record: where it starts in the file, its DN and its attributes as text."""

    line: int
    dn: str
    attrs: dict[str, list[str]]

    def first(self, name: str) -> str | None:
        """The first value of an attribute (name compared without regard to case), or None."""
        for key, values in self.attrs.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None


def _parse(text: str, line: int) -> LdifRecord:
    parser = ldif.LDIFRecordList(io.StringIO(text), max_entries=1)
    try:
        parser.parse()
    except (ValueError, KeyError) as exc:
        raise InvalidArgument(f"line {line}: not a valid LDIF record ({exc}).") from exc
    if not parser.all_records:
        raise InvalidArgument(f"line {line}: not a valid LDIF record.")
    dn, raw = parser.all_records[0]
    attrs = {}
    for name, values in raw.items():
        try:
            attrs[name] = [value.decode("utf-8") for value in values]
        except UnicodeDecodeError as exc:
            raise InvalidArgument(f"line {line}: the attribute {name} is not UTF-8 text.") from exc
    return LdifRecord(line=line, dn=dn, attrs=attrs)


def ldif_records(lines: Iterable[str]) -> Iterator[LdifRecord | InvalidArgument]:
    """The records of an LDIF text, one at a time, in file order; a record that does not parse
    is yielded as the :class:`InvalidArgument` saying why (with its line), so that a reader can
    report it and go on. The ``version:`` line and comments are skipped."""
    chunk: list[str] = []
    start = 0
    number = 0
    for number, raw_line in enumerate(lines, start=1):
        line = raw_line.rstrip("\r\n")
        if line.strip() == "":
            if chunk:
                yield _safe_parse(chunk, start)
                chunk = []
            continue
        if not chunk:
            if line.startswith("#") or line.lower().startswith("version:"):
                continue
            start = number
        chunk.append(line)
    if chunk:
        yield _safe_parse(chunk, start)


def _safe_parse(chunk: list[str], start: int) -> LdifRecord | InvalidArgument:
    try:
        return _parse("\n".join(chunk) + "\n\n", start)
    except InvalidArgument as exc:
        return exc
