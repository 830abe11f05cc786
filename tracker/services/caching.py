"""A small per-process cache of computed results, for pages that are costly and rarely change.

The caller puts a data stamp into the key (a cheap query whose answer changes with every change
that matters), so a change made by any process is seen at once; the time-to-live bounds how long
a result is reused even when the stamp misses a change (e.g. a bulk load outside the app).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

T = TypeVar("T")


class StampedCache(Generic[T]):
    """At most `entries` results, least recently used dropped first."""

    def __init__(self, entries: int, clock: Callable[[], float] = time.monotonic):
        self._entries = entries
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()

    def get_or_compute(self, key: Hashable, ttl_seconds: float, compute: Callable[[], T]) -> T:
        """The kept result for `key` if younger than `ttl_seconds`, else `compute()` kept anew."""
        hit = self._items.get(key)
        if hit is not None and self._clock() - hit[0] < ttl_seconds:
            self._items.move_to_end(key)
            return hit[1]
        result = compute()
        self._items[key] = (self._clock(), result)
        self._items.move_to_end(key)
        while len(self._items) > self._entries:
            self._items.popitem(last=False)
        return result

    def clear(self) -> None:
        """Forget every kept result."""
        self._items.clear()
