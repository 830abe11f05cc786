"""Issue 16, defect 14: the tech SME evaluation window is data per year and the reminders follow it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tracker.rules import reminders as r

D = dt.date
RECORDED = {2025: (D(2025, 6, 30), D(2025, 9, 30)), 2026: (D(2026, 6, 1), D(2026, 8, 31))}


@dataclass(frozen=True)
class Ref:
    company_id: int
    company_name: str = "甲公司"
    district: str = "wujin"
    officer_id: int | None = 7
    registered_years: frozenset[int] = frozenset()


def _periods(year: int, days: list[dt.date]) -> list[str | None]:
    window = r.tech_sme_window(year, RECORDED)
    companies = [Ref(1, registered_years=frozenset({year - 1}))]
    return [(x[0].period if (x := r.tech_sme_reminders(companies, d, window=window)) else None) for d in days]


def test_reminder_dates_follow_each_years_closing_date():
    # 2026 closes 31 August: nudges 30 and 10 days before, 1 and 21 August.
    assert _periods(2026, [D(2026, 7, 31), D(2026, 8, 1), D(2026, 8, 25), D(2026, 9, 1)]) == [
        None, "2026-08-01", "2026-08-21", None]
    # 2025 closes 30 September: 31 August and 20 September, still reminding in September.
    assert _periods(2025, [D(2025, 8, 1), D(2025, 8, 31), D(2025, 9, 1), D(2025, 9, 25), D(2025, 10, 1)]) == [
        None, "2025-08-31", "2025-08-31", "2025-09-20", None]


def test_the_reminder_states_the_years_closing_date():
    [x] = r.tech_sme_reminders([Ref(1, registered_years=frozenset({2024}))], D(2025, 9, 21),
                               window=r.tech_sme_window(2025, RECORDED))
    assert "2025-09-30 关闭" in x.body and "尚未录入" not in x.body


def test_a_year_without_a_window_uses_the_latest_recorded_one_and_says_so():
    window = r.tech_sme_window(2027, RECORDED)
    assert (window.opens_on, window.closes_on, window.basis_year, window.assumed) == (
        D(2027, 6, 1), D(2027, 8, 31), 2026, True)
    [x] = r.tech_sme_reminders([Ref(1, registered_years=frozenset({2026}))], D(2027, 8, 2), window=window)
    assert x.period == "2027-08-01"
    assert "（2027年评价窗口尚未录入，暂按2026年窗口的日期6月1日至8月31日推算）" in x.body
    # Nothing recorded at all: the policy's default dates, said so too.
    none = r.tech_sme_window(2027, {})
    assert none.basis_year is None and "默认" in none.note()


def test_a_short_window_never_nudges_before_it_opens():
    window = r.EvaluationWindow(2028, D(2028, 8, 20), D(2028, 8, 31), 2028)
    assert r.tech_sme_nudges(window) == [D(2028, 8, 20), D(2028, 8, 21)]
    assert r.tech_sme_nudge(D(2028, 8, 19), window=window) is None
