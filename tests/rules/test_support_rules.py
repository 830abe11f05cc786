"""tracker/rules/support.py: what each kind of support record needs (docs/DOMAIN.md §9)."""

import datetime as dt
from decimal import Decimal

import pytest

from tracker.rules import support as rules

TODAY = dt.date(2026, 5, 20)


def test_rd_deduction_needs_a_positive_amount_and_clears_other_fields():
    checked = rules.check_record({"kind": "rd_deduction", "year": 2025, "amount": Decimal("120.5"), "bank": "x"}, TODAY)
    assert checked.values["amount"] == Decimal("120.50")
    assert checked.values["bank"] is None
    with pytest.raises(rules.SupportRefused) as exc:
        rules.check_record({"kind": "rd_deduction", "year": 2025, "amount": Decimal(0)}, TODAY)
    assert exc.value.field == "amount" and "大于 0" in exc.value.message


def test_tech_loan_date_must_fall_in_its_year_and_not_in_the_future():
    base = {"kind": "tech_loan", "year": 2025, "loan_product": "sukedai", "bank": "江南农商行", "amount": Decimal(500)}
    assert rules.check_record({**base, "occurred_on": dt.date(2025, 3, 1)}, TODAY).values["loan_product"] == "sukedai"
    with pytest.raises(rules.SupportRefused, match="所填年度内"):
        rules.check_record({**base, "occurred_on": dt.date(2024, 12, 31)}, TODAY)
    with pytest.raises(rules.SupportRefused, match="不能晚于今天"):
        rules.check_record({**base, "year": 2026, "occurred_on": dt.date(2026, 6, 1)}, TODAY)
    with pytest.raises(rules.SupportRefused, match="贷款产品"):
        rules.check_record({**base, "loan_product": "unknown", "occurred_on": dt.date(2025, 3, 1)}, TODAY)


def test_listing_stage_needs_its_dates_in_order_and_no_later_ones():
    base = {"kind": "listing", "year": 2025, "listing_board": "star"}
    ok = rules.check_record({**base, "listing_stage": "accepted", "filed_on": dt.date(2025, 2, 1),
                             "accepted_on": dt.date(2025, 9, 1)}, TODAY)
    assert ok.values["listed_on"] is None and rules.listing_active(ok.values["listing_stage"])
    with pytest.raises(rules.SupportRefused) as exc:
        rules.check_record({**base, "listing_stage": "accepted", "filed_on": dt.date(2025, 2, 1)}, TODAY)
    assert exc.value.field == "accepted_on"
    with pytest.raises(rules.SupportRefused, match="不能早于"):
        rules.check_record({**base, "listing_stage": "accepted", "filed_on": dt.date(2025, 9, 1),
                            "accepted_on": dt.date(2025, 2, 1)}, TODAY)
    with pytest.raises(rules.SupportRefused, match="尚未到"):
        rules.check_record({**base, "listing_stage": "coaching", "filed_on": dt.date(2025, 2, 1),
                            "listed_on": dt.date(2025, 12, 1)}, TODAY)
    assert not rules.listing_active("listed")


def test_contest_and_subsidy_need_their_names():
    with pytest.raises(rules.SupportRefused) as exc:
        rules.check_record({"kind": "contest", "year": 2025, "level": "provincial", "award": "一等奖"}, TODAY)
    assert exc.value.field == "name"
    with pytest.raises(rules.SupportRefused, match="大赛级别"):
        rules.check_record({"kind": "contest", "year": 2025, "name": "双创大赛", "level": "world", "award": "一等奖"}, TODAY)
    subsidy = rules.check_record({"kind": "subsidy", "year": 2025, "name": "创新政策20条", "amount": Decimal(30)}, TODAY)
    assert rules.summary("subsidy", subsidy.values) == "创新政策20条 30 万元"


@pytest.mark.parametrize("year", [2014, 2028, None, True])
def test_years_outside_the_range_are_refused(year):
    with pytest.raises(rules.SupportRefused) as exc:
        rules.check_record({"kind": "subsidy", "year": year, "name": "x", "amount": Decimal(1)}, TODAY)
    assert exc.value.field == "year"


def test_vocabularies_parse_from_chinese_names_codes_and_aliases():
    assert rules.parse_vocabulary("科技贷款", rules.KINDS, rules.KIND_ALIASES) == "tech_loan"
    assert rules.parse_vocabulary("双创大赛", rules.KINDS, rules.KIND_ALIASES) == "contest"
    assert rules.parse_vocabulary("北京证券交易所", rules.LISTING_BOARDS, rules.BOARD_ALIASES) == "bse"
    assert rules.parse_vocabulary("star", rules.LISTING_BOARDS, rules.BOARD_ALIASES) == "star"
    assert rules.parse_vocabulary("火星板", rules.LISTING_BOARDS, rules.BOARD_ALIASES) is None
