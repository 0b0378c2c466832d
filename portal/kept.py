"""Shared-cache entries a process keeps in memory until their own end.

A value stored through :class:`KeptHere` goes to the shared cache with the time it ends, so a
process that reads it once keeps it until then and asks the shared cache no more: a busy session
or machine-door credential costs one shared read per process, not one per request. What another
process deletes from the shared cache stays here until its end; a caller whose answer must change
at once everywhere checks something else too (the remembered credential's account row, read on
every request).
"""

from __future__ import annotations

import threading
import time

from django.core.cache import cache


class KeptHere:
    """One kind of entry (its keys are shared-cache keys), kept in this process."""

    def __init__(self, limit: int = 10_000) -> None:
        self._kept: dict[str, tuple[object, float]] = {}
        self._guard = threading.Lock()
        self._limit = limit

    def _keep(self, key: str, entry: tuple[object, float]) -> None:
        with self._guard:
            if len(self._kept) >= self._limit:
                self._kept.clear()
            self._kept[key] = entry

    def set(self, key: str, value: object, seconds: int) -> None:
        entry = (value, time.time() + seconds)
        cache.set(key, entry, seconds)
        self._keep(key, entry)

    def get(self, key: str) -> object | None:
        """The value, from this process while it lasts, else from the shared cache; None when
        there is none (or one stored without its end, by an earlier version: asked for again)."""
        now = time.time()
        found = self._kept.get(key)
        if found is not None and found[1] > now:
            return found[0]
        entry = cache.get(key)
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], float)):
            return None
        if entry[1] > now:
            self._keep(key, entry)
        return entry[0]

    def forget(self, key: str) -> None:
        cache.delete(key)
        self._kept.pop(key, None)

    def clear(self) -> None:
        """Forget what this process kept (the shared cache was cleared)."""
        self._kept.clear()
