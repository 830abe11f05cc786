"""The condition menu of policies and its evaluation semantics (tracker.rules.policies)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tracker.rules import policies as rules
from tracker.rules.policies import CompanyFacts, Condition, PolicyRuleError, check_condition, evaluate


@dataclass
class D:
    rung: str
    granted_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None = None
    revoked_on: dt.date | None = None


def facts(*designations, district="wujin", industry="新材料", figures=None):
    return CompanyFacts(1, district, industry, tuple(designations), figures or {})


FIRST_HNTE = Condition("rung_first", rung="hnte")


def test_first_recognition_in_the_year_with_its_reason():
    hnte = D("hnte", dt.date(2026, 11, 20), dt.date(2026, 11, 20), dt.date(2029, 11, 19))
    verdict = evaluate([FIRST_HNTE], 2026, facts(hnte))
    assert verdict.entitled and verdict.reasons == ("2026年首次认定高新技术企业",)
    assert not evaluate([FIRST_HNTE], 2025, facts(hnte)).entitled
    assert not evaluate([FIRST_HNTE], 2027, facts(hnte)).entitled


def test_a_recertification_is_not_a_first_recognition_but_is_granted_in_the_year():
    old = D("hnte", dt.date(2023, 11, 1), dt.date(2023, 11, 1), dt.date(2026, 10, 31))
    new = D("hnte", dt.date(2026, 11, 20), dt.date(2026, 11, 20), dt.date(2029, 11, 19))
    assert not evaluate([FIRST_HNTE], 2026, facts(old, new)).entitled
    granted = evaluate([Condition("rung_granted", rung="hnte")], 2026, facts(old, new))
    assert granted.entitled and granted.reasons == ("2026年获得高新技术企业认定（含重新认定）",)


def test_an_earlier_certificate_revoked_on_its_grant_day_never_counted():
    void = D("hnte", dt.date(2022, 5, 1), dt.date(2022, 5, 1), revoked_on=dt.date(2022, 5, 1))
    new = D("hnte", dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert evaluate([FIRST_HNTE], 2026, facts(void, new)).entitled


def test_one_date_rule_the_later_of_grant_and_valid_from():
    # A listing valid from 2025-12-01 but granted 2026-01-10 counts from 2026: it is 2026's.
    d = D("gazelle", dt.date(2026, 1, 10), dt.date(2025, 12, 1))
    cond = Condition("rung_first", rung="gazelle")
    assert evaluate([cond], 2026, facts(d)).entitled
    assert not evaluate([cond], 2025, facts(d)).entitled


def test_revoked_within_the_year_is_not_entitled():
    d = D("hnte", dt.date(2026, 3, 1), dt.date(2026, 3, 1), revoked_on=dt.date(2026, 12, 31))
    assert not evaluate([FIRST_HNTE], 2026, facts(d)).entitled
    later = D("hnte", dt.date(2026, 3, 1), dt.date(2026, 3, 1), revoked_on=dt.date(2027, 1, 1))
    assert evaluate([FIRST_HNTE], 2026, facts(later)).entitled


def test_held_at_year_end():
    cond = Condition("rung_held", rung="hnte")
    lapsing = D("hnte", dt.date(2023, 11, 1), dt.date(2023, 11, 1), dt.date(2026, 10, 31))
    assert evaluate([cond], 2025, facts(lapsing)).entitled
    assert not evaluate([cond], 2026, facts(lapsing)).entitled
    assert evaluate([cond], 2025, facts(lapsing)).reasons == ("2025年末持有有效的高新技术企业资质",)


def test_figure_thresholds_read_the_chosen_year_and_missing_never_passes():
    cond = check_condition("figure_min", field="rd_expense", threshold="500", year_offset=-1)
    good = facts(figures={2025: {"rd_expense": Decimal("812.50")}})
    verdict = evaluate([cond], 2026, good)
    assert verdict.entitled and verdict.reasons == ("2025年研发费用 812.5万元（≥ 500万元）",)
    assert not evaluate([cond], 2027, good).entitled  # 2026 figures missing
    assert not evaluate([cond], 2026, facts(figures={2025: {"rd_expense": Decimal("499.99")}})).entitled
    assert evaluate([cond], 2026, facts(figures={2025: {"rd_expense": Decimal("500")}})).entitled
    at_most = check_condition("figure_max", field="staff_count", threshold="500", year_offset=0)
    assert evaluate([at_most], 2026, facts(figures={2026: {"staff_count": 500}})).reasons == (
        "2026年职工总数 500人（≤ 500人）",)
    assert not evaluate([at_most], 2026, facts(figures={2026: {"staff_count": 501}})).entitled


def test_district_and_industry_lists_and_the_and_combination():
    district = check_condition("district_in", values=["xinbei", "wujin"])
    industry = check_condition("industry_in", values=["新材料"])
    assert district.values == ("wujin", "xinbei")  # stored in the official order
    verdict = evaluate([district, industry], 2026, facts())
    assert verdict.reasons == ("位于武进区", "产业领域：新材料")
    assert not evaluate([district, industry], 2026, facts(district="liyang")).entitled
    assert not evaluate([district, industry], 2026, facts(industry=None)).entitled


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "nonsense"}, "请选择条件类型"),
    ({"kind": "rung_first"}, "须选择资质类型"),
    ({"kind": "figure_min", "field": "key_field", "threshold": "1"}, "须选择年度数据项"),
    ({"kind": "figure_min", "field": "revenue"}, "门槛值"),
    ({"kind": "figure_min", "field": "revenue", "threshold": "abc"}, "须为数字"),
    ({"kind": "figure_min", "field": "revenue", "threshold": "-1"}, "之间"),
    ({"kind": "figure_min", "field": "revenue", "threshold": "1.234"}, "两位小数"),
    ({"kind": "figure_min", "field": "staff_count", "threshold": "10.5"}, "整数"),
    ({"kind": "figure_min", "field": "revenue", "threshold": "1", "year_offset": 3}, "数据年度"),
    ({"kind": "district_in", "values": []}, "至少选择一个辖区"),
    ({"kind": "district_in", "values": ["mars"]}, "未知的辖区"),
    ({"kind": "industry_in", "values": ["炼金术"]}, "未知的产业领域"),
])
def test_bad_conditions_are_refused_in_chinese(kwargs, message):
    kind = kwargs.pop("kind")
    with pytest.raises(PolicyRuleError) as exc:
        check_condition(kind, **kwargs)
    assert message in exc.value.message


def test_combinations():
    with pytest.raises(PolicyRuleError, match="至少设置一个"):
        rules.check_conditions([])
    with pytest.raises(PolicyRuleError, match="重复"):
        rules.check_conditions([FIRST_HNTE, FIRST_HNTE])
    with pytest.raises(PolicyRuleError, match="只能设置一个"):
        rules.check_conditions([Condition("district_in", values=("wujin",)), Condition("district_in", values=("liyang",))])
    rules.check_conditions([FIRST_HNTE, Condition("district_in", values=("wujin",))])


def test_claim_steps():
    assert rules.next_status(None) == "notified"
    assert rules.next_status("notified") == "applied"
    assert rules.next_status("reviewed") == "paid"
    assert rules.next_status("paid") is None
    assert rules.statuses_reaching("applied") == ("applied", "reviewed", "paid")
    today = dt.date(2026, 5, 1)
    assert rules.step_error("applied", dt.date(2026, 5, 2), None, today) == "申报日期不能晚于今天"
    assert "不能早于上一环节" in rules.step_error("paid", dt.date(2026, 4, 1), dt.date(2026, 4, 2), today)
    assert rules.step_error("paid", dt.date(2026, 4, 2), dt.date(2026, 4, 2), today) is None
    assert rules.step_error("notified", None, None, today) == "请填写告知日期（YYYY-MM-DD）"
    assert rules.coverage(1, 3) == 33.3 and rules.coverage(0, 0) is None


def test_describe_without_a_year():
    cond = check_condition("figure_min", field="rd_expense", threshold="500", year_offset=-1)
    assert rules.describe(cond) == "上年度研发费用 ≥ 500万元"
    assert rules.describe(FIRST_HNTE) == "当年首次认定高新技术企业"
    assert rules.describe(Condition("rung_held", rung="gazelle")) == "年末持有有效的瞪羚企业资质"
