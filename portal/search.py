"""The search box: each app offers a search of its own objects, inside the caller's scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portal.engine import Caller


@dataclass(frozen=True)
class SearchHit:
    """One found object: what it is called, a line about it, and its page."""

    title: str
    detail: str
    url: str


SearchFunction = Callable[[Caller, str], list[SearchHit]]
_providers: list[tuple[int, str, SearchFunction]] = []

MAX_QUERY = 100
MAX_HITS = 20


def search_provider(label: str, *, order: int = 50) -> Callable[[SearchFunction], SearchFunction]:
    """Register the decorated function as the search of ``label`` (shown in ``order``)."""

    def register(fn: SearchFunction) -> SearchFunction:
        if not any(existing == label for _, existing, _fn in _providers):
            _providers.append((order, label, fn))
            _providers.sort(key=lambda item: item[0])
        return fn

    return register


def search_all(caller: Caller, query: str) -> list[tuple[str, list[SearchHit]]]:
    """Every provider's hits for ``query`` (letter case ignored), at most ``MAX_HITS`` each."""
    text = query.strip()[:MAX_QUERY]
    if not text or caller.read_scope_dn is None:
        return []
    return [(label, fn(caller, text)[:MAX_HITS]) for _, label, fn in _providers]
