"""Support records on each company (扶持记录, plan §5 and §9; docs/DOMAIN.md §9). Pure Python.

The vocabularies (kinds, loan products, listing stages and boards, contest levels) with their
Chinese names, and the one check (`check_record`) that the form's service and the importer both
apply, so a file can never store a record the form refuses. Every message is Chinese and names
the field it concerns.

Kinds and the fields each uses (every record has a company and a year):
- `rd_deduction` 研发费用加计扣除: amount (the deducted amount, 万元); one per company and year;
- `tech_loan` 科技贷款: loan product, bank, amount, date of the loan (放款日期, in the year);
- `listing` 上市培育: stage 辅导备案 → 申报受理 → 上市, board, the date of each stage reached; one
  per company (the company's listing process; its year is the year cultivation began);
- `contest` 创新创业大赛 (双创大赛 and others): contest name, level, award;
- `subsidy` 补贴奖励: policy name (e.g. 创新政策20条), amount, date paid (兑现日期, optional).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

RD_DEDUCTION, TECH_LOAN, LISTING, CONTEST, SUBSIDY = "rd_deduction", "tech_loan", "listing", "contest", "subsidy"
KINDS: dict[str, str] = {
    RD_DEDUCTION: "研发费用加计扣除",
    TECH_LOAN: "科技贷款",
    LISTING: "上市培育",
    CONTEST: "创新创业大赛",
    SUBSIDY: "补贴奖励",
}
# What the company list's filter calls each kind ("companies that …").
FILTER_NAMES: dict[str, str] = {
    RD_DEDUCTION: "享受研发加计扣除",
    TECH_LOAN: "获得科技贷款",
    "listing_active": "上市培育中",
    LISTING: "上市培育（含已上市）",
    CONTEST: "大赛获奖",
    SUBSIDY: "获得补贴奖励",
}
LOAN_PRODUCTS: dict[str, str] = {
    "sukedai": "苏科贷", "innovation": "创新贷", "talent": "科技人才创业贷", "other": "其他科技贷款",
}
LISTING_STAGES: dict[str, str] = {"coaching": "辅导备案", "accepted": "申报受理", "listed": "上市"}
LISTING_STAGE_ORDER: tuple[str, ...] = ("coaching", "accepted", "listed")
# The date field that records reaching each listing stage.
LISTING_STAGE_DATES: dict[str, str] = {"coaching": "filed_on", "accepted": "accepted_on", "listed": "listed_on"}
LISTING_BOARDS: dict[str, str] = {
    "main": "主板", "star": "科创板", "chinext": "创业板", "bse": "北交所", "other": "其他",
}
CONTEST_LEVELS: dict[str, str] = {
    "national": "国家级", "provincial": "省级", "city": "市级", "district": "区级",
}
DEFAULT_POLICY_NAME = "创新政策20条"
DEFAULT_CONTEST_NAME = "创新创业大赛"

# Which optional fields belong to each kind: the others are cleared, never stored by accident.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    RD_DEDUCTION: ("amount",),
    TECH_LOAN: ("loan_product", "bank", "amount", "occurred_on"),
    LISTING: ("listing_stage", "listing_board", "filed_on", "accepted_on", "listed_on"),
    CONTEST: ("name", "level", "award"),
    SUBSIDY: ("name", "amount", "occurred_on"),
}
TYPED_FIELDS: tuple[str, ...] = (
    "amount", "occurred_on", "loan_product", "bank", "listing_stage", "listing_board", "filed_on",
    "accepted_on", "listed_on", "name", "level", "award",
)
FIELD_LABELS: dict[str, str] = {
    "kind": "扶持类型", "year": "年度", "amount": "金额（万元）", "occurred_on": "日期",
    "loan_product": "贷款产品", "bank": "贷款银行", "listing_stage": "上市阶段", "listing_board": "上市板块",
    "filed_on": "辅导备案日期", "accepted_on": "申报受理日期", "listed_on": "上市日期",
    "name": "名称", "level": "大赛级别", "award": "获奖等次", "note": "备注",
}
# Kind-specific names of the shared columns.
AMOUNT_LABELS = {RD_DEDUCTION: "加计扣除额（万元）", TECH_LOAN: "贷款金额（万元）", SUBSIDY: "补贴奖励金额（万元）"}
DATE_LABELS = {TECH_LOAN: "放款日期", SUBSIDY: "兑现日期"}
NAME_LABELS = {CONTEST: "大赛名称", SUBSIDY: "政策名称"}

EARLIEST_YEAR = 2015  # older support is outside the plan's concern and most likely a typing slip
MAX_AHEAD_YEARS = 1
MAX_AMOUNT = Decimal("10000000")  # 1,000 亿元: far above any single loan, deduction or reward
TEXT_LIMITS = {"bank": 64, "name": 128, "award": 64, "note": 2000}


class SupportRefused(ValueError):
    """A support record the rules refuse; `message` (Chinese) is shown under `field`."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class CheckedRecord:
    """The values to store: kind, year, the kind's own fields (others None) and a note."""

    kind: str
    year: int
    values: dict[str, Any]
    note: str | None


def kind_name(kind: str | None) -> str:
    """The Chinese name of a kind (empty for none)."""
    return KINDS.get(kind or "", kind or "")


def _text(values: Mapping[str, Any], name: str, *, required: str | None = None) -> str | None:
    raw = values.get(name)
    text = "" if raw is None else str(raw).strip()
    if not text:
        if required:
            raise SupportRefused(required, name)
        return None
    limit = TEXT_LIMITS.get(name)
    if limit and len(text) > limit:
        raise SupportRefused(f"{FIELD_LABELS[name]}不超过{limit}个字符", name)
    return text


def _choice(values: Mapping[str, Any], name: str, choices: Mapping[str, str], missing: str) -> str:
    code = values.get(name)
    if code not in choices:
        raise SupportRefused(missing, name)
    return code


def _amount(values: Mapping[str, Any], kind: str, *, required: bool) -> Decimal | None:
    amount = values.get("amount")
    label = AMOUNT_LABELS.get(kind, "金额（万元）")
    if amount is None:
        if required:
            raise SupportRefused(f"请填写{label}", "amount")
        return None
    amount = Decimal(amount)
    if amount <= 0:
        raise SupportRefused(f"{label}应大于 0", "amount")
    if amount > MAX_AMOUNT:
        raise SupportRefused(f"{label}过大（单位为万元，请核对）", "amount")
    return amount.quantize(Decimal("0.01"))


def _date(values: Mapping[str, Any], name: str, today: dt.date, label: str) -> dt.date | None:
    day = values.get(name)
    if day is None:
        return None
    if day > today:
        raise SupportRefused(f"{label}不能晚于今天", name)
    if day.year < EARLIEST_YEAR:
        raise SupportRefused(f"{label}不能早于 {EARLIEST_YEAR} 年", name)
    return day


def year_error(year: Any, today: dt.date) -> str | None:
    """Why `year` cannot be a support record's year, or None."""
    if not isinstance(year, int) or isinstance(year, bool):
        return "请填写年度"
    if not EARLIEST_YEAR <= year <= today.year + MAX_AHEAD_YEARS:
        return f"年度应在 {EARLIEST_YEAR} 至 {today.year + MAX_AHEAD_YEARS} 之间"
    return None


def check_record(values: Mapping[str, Any], today: dt.date) -> CheckedRecord:
    """Check one record's meaning and return what to store; raise SupportRefused otherwise.

    `values` holds typed values (dates, Decimal, int) or None; fields that do not belong to the
    kind are ignored and stored as None.
    """
    kind = values.get("kind")
    if kind not in KINDS:
        raise SupportRefused("请选择扶持类型", "kind")
    problem = year_error(values.get("year"), today)
    if problem:
        raise SupportRefused(problem, "year")
    year: int = values["year"]
    out: dict[str, Any] = dict.fromkeys(TYPED_FIELDS)
    if kind == RD_DEDUCTION:
        if year > today.year:
            raise SupportRefused("研发费用加计扣除的年度不能晚于今年", "year")
        out["amount"] = _amount(values, kind, required=True)
    elif kind == TECH_LOAN:
        out["loan_product"] = _choice(values, "loan_product", LOAN_PRODUCTS, "请选择贷款产品")
        out["bank"] = _text(values, "bank", required="请填写贷款银行")
        out["amount"] = _amount(values, kind, required=True)
        out["occurred_on"] = _date(values, "occurred_on", today, "放款日期")
        if out["occurred_on"] is None:
            raise SupportRefused("请填写放款日期", "occurred_on")
        if out["occurred_on"].year != year:
            raise SupportRefused("放款日期应在所填年度内", "occurred_on")
    elif kind == LISTING:
        out.update(_listing(values, today, year))
    elif kind == CONTEST:
        out["name"] = _text(values, "name", required="请填写大赛名称")
        out["level"] = _choice(values, "level", CONTEST_LEVELS, "请选择大赛级别")
        out["award"] = _text(values, "award", required="请填写获奖等次（如一等奖、优胜奖）")
        if year > today.year:
            raise SupportRefused("大赛年度不能晚于今年", "year")
    else:
        out["name"] = _text(values, "name", required="请填写政策名称（如创新政策20条）")
        out["amount"] = _amount(values, kind, required=True)
        out["occurred_on"] = _date(values, "occurred_on", today, "兑现日期")
        if out["occurred_on"] is not None and out["occurred_on"].year < year:
            raise SupportRefused("兑现日期不能早于所填年度", "occurred_on")
    return CheckedRecord(kind=kind, year=year, values=out, note=_text(values, "note"))


def _listing(values: Mapping[str, Any], today: dt.date, year: int) -> dict[str, Any]:
    """Listing cultivation: the stage reached needs its date and those of the stages before it,
    in order (辅导备案 ≤ 申报受理 ≤ 上市); dates of stages not reached are refused."""
    stage = _choice(values, "listing_stage", LISTING_STAGES, "请选择上市阶段")
    board = _choice(values, "listing_board", LISTING_BOARDS, "请选择上市板块")
    reached = LISTING_STAGE_ORDER.index(stage)
    out: dict[str, Any] = {"listing_stage": stage, "listing_board": board}
    previous: tuple[str, dt.date] | None = None
    for index, code in enumerate(LISTING_STAGE_ORDER):
        name = LISTING_STAGE_DATES[code]
        label = FIELD_LABELS[name]
        day = _date(values, name, today, label)
        if index > reached:
            if day is not None:
                raise SupportRefused(f"尚未到“{LISTING_STAGES[code]}”阶段，不应填写{label}", name)
            out[name] = None
            continue
        if day is None:
            raise SupportRefused(f"当前阶段为“{LISTING_STAGES[stage]}”，请填写{label}", name)
        if previous is not None and day < previous[1]:
            raise SupportRefused(f"{label}不能早于{previous[0]}", name)
        previous = (label, day)
        out[name] = day
    # Cultivation may start before the filing (培育 precedes 辅导备案), never after it.
    if out["filed_on"].year < year:
        raise SupportRefused("年度（纳入上市培育的年度）不能晚于辅导备案日期所在年度", "year")
    return out


def listing_active(stage: str | None) -> bool:
    """True while a listing process is under way (辅导备案 or 申报受理, not yet listed)."""
    return stage in ("coaching", "accepted")


def summary(kind: str, values: Mapping[str, Any]) -> str:
    """One line in Chinese describing a record (company page, profile, exports)."""
    def money(v) -> str:
        return f"{Decimal(v).normalize():f} 万元" if v is not None else ""

    if kind == RD_DEDUCTION:
        return f"扣除额 {money(values.get('amount'))}"
    if kind == TECH_LOAN:
        product = LOAN_PRODUCTS.get(values.get("loan_product") or "", "")
        return f"{product} {values.get('bank') or ''} {money(values.get('amount'))}".strip()
    if kind == LISTING:
        stage = LISTING_STAGES.get(values.get("listing_stage") or "", "")
        board = LISTING_BOARDS.get(values.get("listing_board") or "", "")
        return f"{board} · {stage}"
    if kind == CONTEST:
        level = CONTEST_LEVELS.get(values.get("level") or "", "")
        return f"{values.get('name') or ''}（{level}）{values.get('award') or ''}"
    return f"{values.get('name') or ''} {money(values.get('amount'))}".strip()


def parse_code(text: Any, vocabulary: Mapping[str, str]) -> str | None:
    """A vocabulary code from its code or Chinese name (imports), None when unknown or empty."""
    if text is None:
        return None
    key = str(text).strip()
    if key in vocabulary:
        return key
    for code, name in vocabulary.items():
        if key == name:
            return code
    return None


KIND_ALIASES: dict[str, str] = {
    "加计扣除": RD_DEDUCTION, "研发加计扣除": RD_DEDUCTION, "科技信贷": TECH_LOAN, "贷款": TECH_LOAN,
    "双创大赛": CONTEST, "大赛": CONTEST, "比赛": CONTEST, "补贴": SUBSIDY, "奖励": SUBSIDY,
    "政策补贴": SUBSIDY, "补贴奖励兑现": SUBSIDY, "上市": LISTING,
}
LOAN_ALIASES: dict[str, str] = {"科技人才贷": "talent", "人才贷": "talent", "其他": "other"}
BOARD_ALIASES: dict[str, str] = {"北京证券交易所": "bse", "北交所": "bse", "科创": "star"}
LEVEL_ALIASES: dict[str, str] = {"国家": "national", "省": "provincial", "市": "city", "区": "district",
                                 "县级": "district", "区县级": "district"}


def parse_vocabulary(text: Any, vocabulary: Mapping[str, str], aliases: Mapping[str, str]) -> str | None:
    """Like parse_code, also accepting the common spellings in `aliases`."""
    code = parse_code(text, vocabulary)
    if code is None and text is not None:
        code = aliases.get(str(text).strip())
    return code
