"""URL converters registered app-wide (create_app, before any blueprint adds a rule)."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, ValidationError

MAX_DATABASE_INT = 2**31 - 1  # PostgreSQL integer, the type of every id column


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` bounded to the database's integer range: a larger number is a 404, not a 500.

    Werkzeug's own converter accepts any number of digits, and an id of 2**63 or more overflows
    the database driver (SQLite: OverflowError; PostgreSQL: out of range) before any query can
    answer "not found".
    """

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_DATABASE_INT if max is None else max,
                         signed=signed)

    def to_python(self, value: str):
        if len(value) > 20:
            # int() of 4,300+ digits raises ValueError, which the router would not turn into a 404.
            raise ValidationError()
        return super().to_python(value)
