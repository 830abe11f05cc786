"""Pages of a list: one definition for every paginated service result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


def page_count(total: int, per_page: int) -> int:
    """Number of pages for `total` rows, at least one (an empty list still has a first page)."""
    return max(1, -(-total // per_page))


@dataclass
class Page(Generic[T]):
    """One page of rows and where it stands in the whole list."""

    rows: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)
