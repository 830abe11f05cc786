"""Exporting the filtered company list (企业名单导出) as xlsx or CSV, with an audit row.

The rows come from the same query as the list page (queries.filtered_query), so an export holds
exactly the companies the list shows, in its order.
"""

from __future__ import annotations

import datetime as dt

from tracker.extensions import db
from tracker.models import User
from tracker.rules import ladder
from tracker.rules.districts import DISTRICT_NAMES
from tracker.rules.phones import phone_problem
from tracker.rules.support import FILTER_NAMES as SUPPORT_FILTER_NAMES
from tracker.services import audit, exports
from tracker.services.companies.queries import (
    CompanyFilters, filtered_query, last_visits_by_company, officers_by_company,
)
from tracker.services.unit_of_work import use_case

EXPORT_HEADERS = (
    "企业名称", "统一社会信用代码", "所属辖区", "产业领域", "当前阶段", "服务专员", "最近走访日期",
    "成立日期", "招引落户日期", "地址", "联系人", "联系电话", "电话核查",
)
EXPORT_TITLE = "企业名单"
EXPORT_CHUNK = 2000


def export_rows(user: User, filters: CompanyFilters, on: dt.date):
    """Yield export rows of the filtered, scoped list in its order, a chunk at a time.

    One streamed query (a server-side cursor on PostgreSQL) for the companies; officers and last
    visits once per chunk, so 100,000 rows cost ~100 queries, not 200,000.
    """
    result = db.session.execute(filtered_query(user, filters, on).execution_options(yield_per=EXPORT_CHUNK))
    for chunk in result.partitions():
        ids = [c.id for c, _ in chunk]
        officers = officers_by_company(ids)
        visits = last_visits_by_company(ids)
        for company, rank in chunk:
            yield (
                company.name, company.uscc, DISTRICT_NAMES.get(company.district, company.district),
                company.industry, ladder.STAGE_NAMES[ladder.RANK_STAGE[int(rank or 0)]],
                "、".join(officers.get(company.id, [])), visits.get(company.id), company.founded_on,
                company.attracted_on, company.address, company.contact_name, company.contact_phone,
                phone_problem(company.contact_phone) or "",
            )


def _filters_summary(filters: CompanyFilters) -> dict:
    names = ("q", "district", "industry", "stage", "officer_id", "idle_days", "expiring_days", "open_follow_ups",
             "support")
    return {n: getattr(filters, n) for n in names if getattr(filters, n) not in (None, "", False)}


def filters_text(filters: CompanyFilters) -> list[str]:
    """The list's filters in Chinese, for the export's title row."""
    parts = []
    if filters.q:
        parts.append(f"关键词“{filters.q}”")
    if filters.district:
        parts.append(f"辖区={DISTRICT_NAMES.get(filters.district, filters.district)}")
    if filters.industry:
        parts.append(f"产业领域={filters.industry}")
    if filters.stage:
        parts.append(f"当前阶段={ladder.STAGE_NAMES.get(filters.stage, filters.stage)}")
    if filters.officer_id:
        parts.append("指定服务专员")
    if filters.idle_days:
        parts.append(f"{filters.idle_days}天以上未走访")
    if filters.expiring_days:
        parts.append(f"高企证书{filters.expiring_days}天内到期")
    if filters.open_follow_ups:
        parts.append("有未办结诉求")
    if filters.support:
        parts.append(f"扶持记录={SUPPORT_FILTER_NAMES.get(filters.support, filters.support)}")
    return parts


@use_case
def export_companies(user: User, filters: CompanyFilters, on: dt.date, fmt: str) -> tuple[bytes, int]:
    """The filtered, scoped list as xlsx or CSV bytes (safe cells), with an audit row of who exported what."""
    counter = {"rows": 0}

    def counted():
        for row in export_rows(user, filters, on):
            counter["rows"] += 1
            yield row

    if fmt == "xlsx":
        title = exports.title_line(EXPORT_TITLE, exports.scope_label(user), on, filters_text(filters))
        data = exports.xlsx_bytes(EXPORT_HEADERS, counted(), sheet_title=EXPORT_TITLE, title=title)
    else:
        data = exports.csv_bytes(EXPORT_HEADERS, counted())
    audit.record(user.id, "companies.export", entity_type="company",
                 after={"format": fmt, "rows": counter["rows"], "filters": _filters_summary(filters)})
    return data, counter["rows"]
