"""A bound on what one ``sourcePath`` / ``destinationPath`` may cost, checked before anything runs.

XPath 1.0 evaluated by libxml2 cannot be interrupted, and a path that searches the whole document
once per node (``//*[count(//*[count(//*)])]``) costs the document's size to the power of its
nesting: a 12 KB request could hold the database's write lock for a minute. So the door accepts the
part of XPath whose cost grows with the document's size and no faster, and refuses the rest at parse
time, before the batch opens its transaction, with a 400 that says why:

- at most one descendant search (``//``, ``descendant::``, ``descendant-or-self::``) per branch of
  a union, and only in the path itself: inside a predicate or a function's arguments a path may
  only go down to children, to attributes, to the node itself or up (no ``//``, no absolute path);
- no ``following``, ``preceding`` or sibling axes (each node reaching all the others);
- predicates and calls nested at most :data:`MAX_NESTING` deep; at most :data:`MAX_LENGTH`
  characters and :data:`MAX_TOKENS` tokens.

Together with :data:`MAX_ELEMENTS` elements per request (checked by the door), the work of one path
is a small multiple of the request's size.
"""

from __future__ import annotations

import re

MAX_LENGTH = 512
MAX_TOKENS = 200
MAX_NESTING = 4
MAX_ELEMENTS = 50_000

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<literal>"[^"]*"|'[^']*')
      | (?P<number>\d+(?:\.\d*)?|\.\d+)
      | (?P<op>//|::|\.\.|!=|<=|>=|[/\[\]()@,.|=<>+*-])
      | (?P<name>[A-Za-z_][\w.\-]*(?::[A-Za-z_*][\w.\-]*)?)
      | (?P<other>\S)
    )""",
    re.VERBOSE,
)
# After one of these, a "/" starts a new (absolute) path rather than continuing one.
_STARTS_AN_EXPRESSION = {
    None,
    "[",
    "(",
    ",",
    "|",
    "=",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "+",
    "-",
    "and",
    "or",
    "div",
    "mod",
}
_DESCENDANT_AXES = {"descendant", "descendant-or-self"}
_REFUSED_AXES = {"following", "preceding", "following-sibling", "preceding-sibling"}


def _tokens(path: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None or match.end() == position:
            break
        kind = match.lastgroup or "other"
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def xpath_cost_refusal(path: str) -> str | None:
    """Why ``path`` could cost more than its budget, or None when it stays within it."""
    if len(path) > MAX_LENGTH:
        return f"it is longer than {MAX_LENGTH} characters"
    tokens = _tokens(path)
    if len(tokens) > MAX_TOKENS:
        return f"it has more than {MAX_TOKENS} parts"
    depth, searches, previous = 0, 0, None
    for index, (kind, text) in enumerate(tokens):
        following = tokens[index + 1][1] if index + 1 < len(tokens) else None
        if kind == "op" and text in "[(":
            depth += 1
            if depth > MAX_NESTING:
                return f"its predicates and calls nest more than {MAX_NESTING} deep"
        elif kind == "op" and text in "])":
            depth = max(depth - 1, 0)
        elif kind == "op" and text == "|" and depth == 0:
            searches = 0
        descendant = (kind == "op" and text == "//") or (
            kind == "name" and following == "::" and text in _DESCENDANT_AXES
        )
        if kind == "name" and following == "::" and text in _REFUSED_AXES:
            return f"the axis {text}:: is not allowed (each node would reach every other)"
        if descendant:
            if depth > 0:
                return (
                    "a descendant search (// or descendant::) inside a predicate or a call runs once per node"
                )
            searches += 1
            if searches > 1:
                return "it searches the descendants more than once"
        if depth > 0 and kind == "op" and text == "/" and previous in _STARTS_AN_EXPRESSION:
            return "an absolute path inside a predicate or a call repeats for every node"
        previous = text if kind in ("op", "name") else kind
    return None
