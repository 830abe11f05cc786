"""tracker/rules/accompaniment.py: quarters, resources, diagnosis dates (docs/DOMAIN.md §9)."""

import datetime as dt

import pytest

from tracker.rules import accompaniment as rules


@pytest.mark.parametrize("day, start, end", [
    (dt.date(2026, 1, 1), dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    (dt.date(2026, 6, 30), dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
    (dt.date(2026, 12, 31), dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
])
def test_quarter_of(day, start, end):
    assert rules.quarter_of(day) == (start, end)


def test_quarter_name():
    assert rules.quarter_name(dt.date(2026, 5, 1)) == "2026年第2季度"


def test_resources_keep_vocabulary_order_and_refuse_unknown():
    assert rules.check_resources(["policy", "capital"]) == ["capital", "policy"]
    assert rules.resource_names(rules.join_resources(["policy", "capital"])) == "资本、政策"
    with pytest.raises(rules.AccompanimentRefused):
        rules.check_resources(["money"])


def test_record_date_in_the_lists_year_and_not_future():
    today = dt.date(2026, 5, 20)
    assert rules.check_record_date(dt.date(2026, 5, 1), 2026, today) == dt.date(2026, 5, 1)
    with pytest.raises(rules.AccompanimentRefused, match="晚于今天"):
        rules.check_record_date(dt.date(2026, 5, 21), 2026, today)
    with pytest.raises(rules.AccompanimentRefused, match="2026 年内"):
        rules.check_record_date(dt.date(2025, 12, 31), 2026, today)
    assert rules.list_year_error(2028, today) is not None and rules.list_year_error(2027, today) is None
