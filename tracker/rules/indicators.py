"""The plan's 12 indicators (指标): codes, names, units and which ones have district targets.

Definitions (DOMAIN.md §4) are implemented as SQL in tracker/services/indicators; this module is
the vocabulary both the services and the pages share.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    number: int
    code: str
    name: str
    unit: str
    kind: str  # stock (in force on D) | cumulative (ever, not revoked) | flow (new in year Y to D)
    has_district_targets: bool


INDICATORS: tuple[Indicator, ...] = (
    Indicator(1, "hnte_count", "高新技术企业数", "家", "stock", True),
    Indicator(2, "gazelle_cumulative", "瞪羚企业累计数", "家", "cumulative", True),
    Indicator(3, "unicorn_cumulative", "独角兽、潜在独角兽企业累计数", "家", "cumulative", True),
    Indicator(4, "tech_sme_registered", "科技型中小企业入库数", "家", "stock", True),
    Indicator(5, "tech_sme_attracted_new", "新增招引科技型中小微企业数", "家", "flow", False),
    Indicator(6, "talent_innovation_new", "新增省“双创人才”（创新类）", "名", "flow", False),
    Indicator(7, "talent_team_new", "新增省“双创团队”", "个", "flow", False),
    Indicator(8, "talent_city_new", "新增市高层次创新创业人才", "名", "flow", False),
    Indicator(9, "carrier_city_new", "新增市级以上众创空间、孵化器", "家", "flow", False),
    Indicator(10, "carrier_province_new", "新增省级以上众创空间、孵化器", "家", "flow", False),
    Indicator(11, "platform_province_new", "新增省级以上创新平台", "个", "flow", False),
    Indicator(12, "service_org_count", "规上科技服务业机构数", "家", "stock", False),
)
INDICATOR_BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}
INDICATOR_CODES: tuple[str, ...] = tuple(i.code for i in INDICATORS)
DISTRICT_INDICATOR_CODES: tuple[str, ...] = tuple(i.code for i in INDICATORS if i.has_district_targets)

PLAN_YEARS: tuple[int, ...] = (2023, 2024, 2025, 2026, 2027)


def district_sum_mismatches(
    city: dict[tuple[str, int], int], districts: dict[tuple[str, int], dict[str, int]]
) -> list[tuple[str, int, int, int]]:
    """(indicator, year, city target, sum of districts) for every year whose districts don't add up."""
    problems = []
    for key, by_district in sorted(districts.items()):
        if key in city and by_district and sum(by_district.values()) != city[key]:
            problems.append((key[0], key[1], city[key], sum(by_district.values())))
    return problems
