"""Import file formats (docs/DOMAIN.md §8): columns, header aliases and cell parsing. Pure Python.

The same column lists drive the importers, the exporters (so an export re-imports as is) and
the downloadable template files. Every parser raises CellError with a Chinese reason that the
per-row report shows next to the row number and column header.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Iterable, Sequence

from tracker.rules.cultivation import STATUS_NAMES, STATUSES
from tracker.rules.districts import INDUSTRIES
from tracker.rules.figures import EARLIEST_YEAR
from tracker.rules.figures import FIELDS as FIGURE_SPECS
from tracker.rules import text as text_rules

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CellError(ValueError):
    """A cell that cannot be read; `reason` is shown to the user as is."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Column:
    """One column of an import file: the field it fills, its Chinese header and accepted aliases."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    kind: str = "text"  # text | date | int | decimal | money (万元, header may state 元/千元/亿元) | bool | year
    #                     | latitude | longitude (WGS-84 decimal degrees, 6 places)
    max_length: int | None = None
    multiline: bool = False  # text that may hold line breaks (a note); other text is one line


USCC_COLUMN = Column("uscc", "统一社会信用代码", ("信用代码", "社会信用代码", "uscc", "credit_code"), True,
                     max_length=40)
# The company name beside a credit code in designations, figures and tracks: for the reader only.
NAME_COLUMN = Column("name", "企业名称", ("名称", "单位名称", "公司名称", "name", "company_name"), max_length=200)

COMPANY_COLUMNS: tuple[Column, ...] = (
    USCC_COLUMN,
    Column("name", "企业名称", ("名称", "单位名称", "公司名称", "name", "company_name"), True, max_length=200),
    Column("district", "所属辖区", ("辖区", "辖市区", "所属辖市区", "所在辖区", "district"), True),
    Column("industry", "产业领域", ("领域", "所属领域", "industry")),
    Column("founded_on", "成立日期", ("注册日期", "成立时间", "founded_on", "founded"), kind="date"),
    Column("attracted_on", "招引落户日期", ("落户日期", "招引日期", "attracted_on"), kind="date"),
    Column("attraction_channel", "招引渠道", ("attraction_channel",), max_length=64),
    Column("address", "地址", ("企业地址", "注册地址", "address"), max_length=255),
    Column("contact_name", "联系人", ("contact_name", "contact"), max_length=64),
    Column("contact_phone", "联系电话", ("电话", "contact_phone", "phone"), max_length=32),
    # The company's position (WGS-84, e.g. read off a map): both or neither, checked by the importer.
    Column("latitude", "纬度", ("latitude", "lat"), kind="latitude"),
    Column("longitude", "经度", ("longitude", "lng", "lon"), kind="longitude"),
)

DESIGNATION_COLUMNS: tuple[Column, ...] = (
    USCC_COLUMN,
    NAME_COLUMN,
    Column("rung", "资质类型", ("类型", "资质", "认定类型", "kind"), True),
    Column("reference", "编号", ("证书编号", "入库登记编号", "登记编号", "入库编号", "reference"), max_length=64),
    Column("granted_on", "认定日期", ("发证日期", "入库日期", "granted_on"), kind="date"),
    Column("valid_from", "有效期起", ("有效期开始", "valid_from"), kind="date"),
    Column("valid_until", "有效期至", ("有效期止", "有效期结束", "valid_until"), kind="date"),
    Column("batch", "批次", ("认定批次", "batch"), max_length=64),
    Column("revoked_on", "撤销日期", ("取消日期", "revoked_on"), kind="date"),
    Column("revoke_reason", "撤销原因", ("取消原因", "revoke_reason"), max_length=500, multiline=True),
)

FIGURE_COLUMNS: tuple[Column, ...] = (
    USCC_COLUMN,
    NAME_COLUMN,
    Column("year", "年度", ("年份", "数据年度", "year"), True, kind="year"),
    Column("staff_count", "职工总数", ("职工人数", "从业人员数", "员工总数", "员工人数", "staff_count"), kind="int"),
    Column("st_staff_count", "科技人员数", ("科技人员", "研发人员数", "st_staff_count"), kind="int"),
    Column("revenue", "营业收入(万元)", ("营业收入", "销售收入(万元)", "销售收入", "revenue"), kind="money"),
    Column("rd_expense", "研发费用(万元)", ("研发费用", "研发投入(万元)", "研发投入", "rd_expense"), kind="money"),
    Column("rd_expense_domestic", "境内研发费用(万元)", ("境内研发费用", "rd_expense_domestic"), kind="money"),
    Column("total_cost", "成本费用总额(万元)", ("成本费用总额", "total_cost"), kind="money"),
    Column("total_assets", "资产总额(万元)", ("资产总额", "总资产(万元)", "总资产", "total_assets"), kind="money"),
    Column("hightech_revenue", "高新技术产品收入(万元)", ("高新技术产品收入", "高新技术产品(服务)收入(万元)",
                                                       "高新技术产品(服务)收入", "hightech_revenue"), kind="money"),
    Column("ip_class1_count", "I类知识产权数", ("I类知识产权", "一类知识产权数", "ip_class1_count"), kind="int"),
    Column("ip_class2_count", "II类知识产权数", ("II类知识产权", "二类知识产权数", "ip_class2_count"), kind="int"),
    Column("valuation", "估值(万元)", ("估值", "企业估值(万元)", "valuation"), kind="money"),
    Column("financing_amount", "融资额(万元)", ("融资额", "融资金额(万元)", "融资金额", "financing_amount"), kind="money"),
    Column("is_listed", "是否上市", ("上市", "is_listed", "listed"), kind="bool"),
    Column("innovation_score", "创新能力评价得分", ("创新能力得分", "创新能力评价", "innovation_score"), kind="decimal"),
    # HNTE declarations (是/否; empty: not recorded). Same order as CompanyYearFigures.FIELDS,
    # which the exporter writes after uscc, name and year.
    Column("key_field", "属于国家重点支持的高新技术领域", ("国家重点支持的高新技术领域", "重点领域", "key_field"), kind="bool"),
    Column("major_incident", "上年度发生重大安全质量环境事故", ("发生重大安全质量环境事故", "重大安全质量环境事故",
                                                   "major_incident"), kind="bool"),
)

# The cultivation list (培育名单, docs/DOMAIN.md §2) as managers keep it in Excel.
TRACK_COLUMNS: tuple[Column, ...] = (
    USCC_COLUMN,
    NAME_COLUMN,
    Column("target_rung", "目标资质", ("培育目标", "目标", "目标资质类型", "target", "target_rung"), True),
    Column("year", "年度", ("年份", "培育年度", "year"), True, kind="year"),
    Column("status", "状态", ("培育状态", "status")),
    Column("note", "备注", ("说明", "note", "remark"), max_length=2000, multiline=True),
)

# Support records (扶持记录, tracker/rules/support.py): one file for every kind; each row fills the
# columns of its kind. The record's own name (大赛名称 / 政策名称) is `record_name`: "名称" alone
# already means the company's name.
SUPPORT_COLUMNS: tuple[Column, ...] = (
    USCC_COLUMN,
    NAME_COLUMN,
    Column("kind", "扶持类型", ("类型", "扶持类别", "kind"), True),
    Column("year", "年度", ("年份", "year"), True, kind="year"),
    Column("amount", "金额(万元)", ("金额", "扣除额", "贷款金额", "补贴金额", "amount"), kind="money"),
    Column("occurred_on", "日期", ("放款日期", "兑现日期", "occurred_on"), kind="date"),
    Column("loan_product", "贷款产品", ("科技贷款产品", "loan_product")),
    Column("bank", "贷款银行", ("银行", "合作银行", "bank"), max_length=64),
    Column("listing_stage", "上市阶段", ("上市培育阶段", "listing_stage")),
    Column("listing_board", "上市板块", ("拟上市板块", "板块", "listing_board")),
    Column("filed_on", "辅导备案日期", ("辅导备案", "filed_on"), kind="date"),
    Column("accepted_on", "申报受理日期", ("申报受理", "accepted_on"), kind="date"),
    Column("listed_on", "上市日期", ("listed_on",), kind="date"),
    Column("record_name", "大赛或政策名称", ("大赛名称", "政策名称", "赛事名称", "record_name"), max_length=128),
    Column("level", "大赛级别", ("级别", "level"), max_length=16),
    Column("award", "获奖等次", ("奖项", "获奖情况", "award"), max_length=64),
    Column("note", "备注", ("说明", "note", "remark"), max_length=2000, multiline=True),
)

# Attraction projects (招引项目, tracker/rules/attraction.py), matched on 项目名称 + 所属辖区. The
# credit code is not required by the column: only a 落户 row needs it (and 企业名称, 落户日期).
ATTRACTION_COLUMNS: tuple[Column, ...] = (
    Column("name", "项目名称", ("招引项目", "项目", "project", "name"), True, max_length=200),
    Column("channel", "招引渠道", ("渠道", "channel"), True),
    Column("source", "来源", ("项目来源", "source"), max_length=64),
    Column("district", "所属辖区", ("辖区", "辖市区", "所属辖市区", "district"), True),
    Column("status", "状态", ("项目状态", "status")),
    Column("signed_on", "签约日期", ("signed_on",), kind="date"),
    Column("settled_on", "落户日期", ("招引落户日期", "settled_on"), kind="date"),
    Column("uscc", "统一社会信用代码", ("信用代码", "社会信用代码", "uscc", "credit_code"), max_length=40),
    Column("company_name", "企业名称", ("落户企业", "公司名称", "company_name"), max_length=200),
    Column("industry", "产业领域", ("领域", "所属领域", "industry")),
    Column("lead_officer", "负责人", ("负责人邮箱", "lead_officer", "email"), max_length=254),
)

COLUMNS_BY_KIND: dict[str, tuple[Column, ...]] = {
    "companies": COMPANY_COLUMNS,
    "designations": DESIGNATION_COLUMNS,
    "figures": FIGURE_COLUMNS,
    "tracks": TRACK_COLUMNS,
    "support": SUPPORT_COLUMNS,
    "attractions": ATTRACTION_COLUMNS,
}
KIND_NAMES: dict[str, str] = {
    "companies": "企业名录", "designations": "资质认定名单", "figures": "企业年度数据", "tracks": "培育名单",
    "support": "扶持记录",
    "attractions": "招引项目",
}

# Columns the xlsx templates format as text: a spreadsheet keeps only 15 significant digits of a
# number, so an 18-character credit code (or a 15-digit 入库登记编号) typed into a number cell loses
# its last digits (docs/DOMAIN.md §5).
TEXT_FORMAT_FIELDS: frozenset[str] = frozenset({"uscc", "reference", "contact_phone"})

# Money (defect 15): amounts are kept in 万元; a header may state its unit, e.g. 营业收入(元).
# The factor turns a value in that unit into 万元.
MONEY_UNITS: dict[str, Decimal] = {"元": Decimal("0.0001"), "千元": Decimal("0.1"), "万元": Decimal(1),
                                   "亿元": Decimal(10000)}
DEFAULT_MONEY_UNIT = "万元"
_UNIT_SUFFIX = re.compile(r"^(.+)\((?:单位:?)?(元|千元|万元|亿元)\)$")  # on a normalize_header() key
_MONEY_MAX = Decimal("99999999999999")  # the column bound of parse_decimal, in 万元

# Above these a value (in 万元, after conversion) is implausible for the companies the bureau follows
# and most likely written in 元 under a header without a unit: the row is imported with a warning.
# 1,000 亿元 for revenue and the other flows and stocks (Changzhou's largest manufacturers report
# about that much a year; an SME's revenue in 元 read as 万元 is 10,000 times too large); 100 亿元
# for R&D expense; 1 万亿元 for a valuation (beyond any Jiangsu unicorn).
MONEY_PLAUSIBLE_MAX: dict[str, Decimal] = {
    "revenue": Decimal(10_000_000),
    "hightech_revenue": Decimal(10_000_000),
    "total_cost": Decimal(10_000_000),
    "total_assets": Decimal(10_000_000),
    "financing_amount": Decimal(10_000_000),
    "rd_expense": Decimal(1_000_000),
    "rd_expense_domestic": Decimal(1_000_000),
    "valuation": Decimal(100_000_000),
}
# R&D expense more than ten times revenue: one of the two columns is almost surely in another unit.
RD_TO_REVENUE_MAX = 10
# Revenue above 1 亿元 (10,000 万元) per employee: beyond any manufacturer or service company.
REVENUE_PER_STAFF_MAX = Decimal(10_000)

_COLUMN_BY_FIELD: dict[str, Column] = {c.field: c for c in FIGURE_COLUMNS}

# Headers as written in the plan and in official lists, mapped to the plan's key fields.
INDUSTRY_ALIASES: dict[str, str] = {
    **{i: i for i in INDUSTRIES},
    "新能源及相关材料": "新能源",
    "新能源(及相关材料)": "新能源",
    "智能高端装备": "高端装备",
    "高端装备制造": "高端装备",
    "生物医药": "生物技术与医药",
    "生物技术": "生物技术与医药",
    "医药": "生物技术与医药",
    "碳材料": "新型碳材料",
    "机器人产业": "机器人",
}


def normalize_header(text: Any) -> str:
    """Header text compared loosely: NFKC (full-width and Ⅰ/Ⅱ to ASCII), no spaces, lower case."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    return "".join(value.split()).lower()


def _lookup(columns: Sequence[Column]) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in columns:
        for name in (column.header, *column.aliases, column.field):
            table[normalize_header(name)] = column
    return table


@dataclass
class HeaderMap:
    """Which spreadsheet column holds which field, and what the header row got wrong."""

    positions: dict[str, int]  # field -> 0-based column index
    headers: dict[str, str]  # field -> the header as written in the file
    unknown: list[str]  # headers ignored
    missing: list[Column]  # required columns absent
    duplicated: list[str]  # headers that map to a field already taken
    units: dict[str, str] = field(default_factory=dict)  # money field -> the unit its header states


def split_unit(key: str) -> tuple[str, str | None]:
    """A normalised header without its money unit, and that unit: "营业收入(元)" → ("营业收入", "元")."""
    match = _UNIT_SUFFIX.match(key)
    return (match.group(1), match.group(2)) if match else (key, None)


def map_headers(columns: Sequence[Column], header_row: Iterable[Any]) -> HeaderMap:
    """Match a file's header row against the columns of an import kind.

    A money column is found by any of its names followed by a unit (元, 千元, 万元, 亿元), and the
    unit it states is kept in `units`; without one the column is read in 万元.
    """
    table = _lookup(columns)
    money_bases = {
        split_unit(normalize_header(name))[0]: column
        for column in columns if column.kind == "money"
        for name in (column.header, *column.aliases, column.field)
    }
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    units: dict[str, str] = {}
    unknown: list[str] = []
    duplicated: list[str] = []
    for index, raw in enumerate(header_row):
        key = normalize_header(raw)
        if not key:
            continue
        base, unit = split_unit(key)
        column = table.get(key) or (money_bases.get(base) if unit else None)
        if column is None:
            unknown.append(str(raw).strip())
        elif column.field in positions:
            duplicated.append(str(raw).strip())
        else:
            positions[column.field] = index
            headers[column.field] = str(raw).strip().replace("\ufeff", "")
            if column.kind == "money" and unit:
                units[column.field] = unit
    missing = [c for c in columns if c.required and c.field not in positions]
    return HeaderMap(positions, headers, unknown, missing, duplicated, units)


def unescape_cell(value: Any) -> Any:
    """Undo the exporter's formula guard (a leading ' before = + - @ tab CR), so exports re-import."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, CR and LF are text people write


def clean_text(value: Any, max_length: int | None = None, *, multiline: bool = False) -> str | None:
    """A cell as trimmed text (None when empty); numbers read from xlsx lose a spurious '.0'.

    The forms' text rules apply (tracker/rules/text.py): no control characters, no line breaks
    unless `multiline`, no bidi controls, no invisible-only text."""
    value = unescape_cell(value)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    if _CONTROL.search(text):
        # NUL and the other C0 controls are invisible in a spreadsheet and PostgreSQL refuses NUL outright.
        raise CellError("含有不可见的控制字符，请删除后重新导入")
    reason = text_rules.problem(text, multiline=multiline)
    if reason is not None:
        raise CellError(reason)
    if max_length is not None and len(text) > max_length:
        raise CellError(f"内容过长（不超过{max_length}个字符，当前{len(text)}个）")
    return text


def is_blank(value: Any) -> bool:
    """True for an empty cell."""
    return value is None or (isinstance(value, str) and not value.strip())


# Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 is the non-existent 1900-02-29.
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
DATE_FORMATS_HINT = "YYYY-MM-DD、YYYY/MM/DD 或 YYYY年M月D日"


def excel_serial_to_date(serial: float) -> dt.date:
    """The calendar day of an Excel serial number (1900 date system, time of day dropped)."""
    whole = int(serial)
    if whole != serial and not (0 < serial - whole < 1):
        raise CellError("Excel 日期序号无效")
    if whole < 1 or whole > _EXCEL_MAX_SERIAL or whole == 60:
        raise CellError(f"无法识别的日期：{serial}（应为 {DATE_FORMATS_HINT}）")
    if whole < 60:
        return dt.date(1899, 12, 31) + dt.timedelta(days=whole)
    return dt.date(1899, 12, 30) + dt.timedelta(days=whole)


def parse_date(value: Any) -> dt.date | None:
    """A calendar day from a cell: date/datetime cells, Excel serial numbers or the accepted texts."""
    value = unescape_cell(value)
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CellError(f"无法识别的日期：{value}（应为 {DATE_FORMATS_HINT}）")
    if isinstance(value, (int, float)):
        return excel_serial_to_date(value)
    # A leading apostrophe is how people force text in Excel; it is not part of the date.
    text = unicodedata.normalize("NFKC", str(value)).strip().removeprefix("'")
    text = "".join(text.split()) if "年" in text else _TIME_SUFFIX.sub("", text)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise CellError(f"日期不存在：{value}") from None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        # An Excel serial that reached a CSV as text (e.g. 45292 for 2024-01-01).
        return excel_serial_to_date(float(text))
    raise CellError(f"无法识别的日期：{value}（应为 {DATE_FORMATS_HINT}）")


def _number_text(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    return text


def parse_int(value: Any, *, minimum: int | None = 0) -> int | None:
    """A whole number (thousands separators allowed), None when empty."""
    value = unescape_cell(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"应为整数：{value}")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"应为整数：{value}")
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        text = _number_text(value)
        if re.fullmatch(r"[+-]?\d+(\.0+)?", text) is None:
            raise CellError(f"应为整数：{value}")
        number = int(text.split(".")[0])
    if minimum is not None and number < minimum:
        raise CellError(f"不能小于{minimum}：{number}")
    if abs(number) > 2_000_000_000:
        raise CellError(f"数值过大：{number}")
    return number


def parse_decimal(value: Any, *, places: int = 2, minimum: Decimal | None = Decimal(0),
                  maximum: Decimal | None = Decimal("99999999999999")) -> Decimal | None:
    """A decimal rounded half-up to `places` (thousands separators allowed), None when empty."""
    value = unescape_cell(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"应为数字：{value}")
    try:
        if isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, (int, Decimal)):
            number = Decimal(value)
        else:
            number = Decimal(_number_text(value))
    except InvalidOperation:
        raise CellError(f"应为数字：{value}") from None
    if not number.is_finite():
        raise CellError(f"应为数字：{value}")
    if maximum is not None and abs(number) > maximum:
        raise CellError(f"数值过大：{value}")
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if minimum is not None and number < minimum:
        raise CellError(f"不能小于{minimum}：{number}")
    if maximum is not None and number > maximum:
        raise CellError(f"数值过大：{number}")
    return number


_DEGREE_LIMITS = {"latitude": ("纬度", Decimal(90)), "longitude": ("经度", Decimal(180))}


def parse_degrees(value: Any, axis: str) -> Decimal | None:
    """A latitude (-90 … 90) or longitude (-180 … 180) in decimal degrees, 6 places; None when empty."""
    name, limit = _DEGREE_LIMITS[axis]
    out_of_range = CellError(f"{name}应在 -{limit} 至 {limit} 之间")
    try:
        # The bound keeps quantize() away from huge exponents; anything above it is out of range anyway.
        number = parse_decimal(value, places=6, minimum=None, maximum=Decimal(1_000_000))
    except CellError as exc:
        if exc.reason.startswith("数值过大"):
            raise out_of_range from None
        example = "31.810000" if axis == "latitude" else "119.970000"
        raise CellError(f"{name}应为十进制度数（如 {example}）") from None
    if number is not None and not -limit <= number <= limit:
        raise out_of_range
    return number


def parse_money(value: Any, unit: str | None = None) -> Decimal | None:
    """An amount in 万元 from a cell written in `unit` (元, 千元, 万元 or 亿元; None means 万元),
    rounded half-up to 0.01 万元; None when empty."""
    factor = MONEY_UNITS[unit or DEFAULT_MONEY_UNIT]
    number = parse_decimal(value, places=6, maximum=_MONEY_MAX / factor)
    if number is None:
        return None
    return (number * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _amount(value: Decimal) -> str:
    return f"{value.normalize():f}"


def implausible_money(values: dict[str, Any], units: dict[str, str]) -> dict[str, str]:
    """Money field -> a warning for the values of one row (in 万元) that are implausible for
    their unit: above MONEY_PLAUSIBLE_MAX, R&D expense above RD_TO_REVENUE_MAX × revenue, or
    revenue above REVENUE_PER_STAFF_MAX per employee. A warning, never an error: the value may be
    right, but a header without a unit over figures in 元 is the usual cause."""
    found: dict[str, str] = {}

    def unit_hint(name: str) -> str:
        if name in units:
            return f"请核对数值和表头所注单位（{units[name]}）"
        base = split_unit(normalize_header(_COLUMN_BY_FIELD[name].header))[0]
        return (f"表头未注明单位，已按万元读取；如原表以元填写，请把表头改为“{base}(元)”"
                "（也可注明千元、亿元）后重新导入")

    for name, ceiling in MONEY_PLAUSIBLE_MAX.items():
        value = values.get(name)
        if value is not None and value > ceiling:
            found[name] = (f"{FIGURE_SPECS[name].label}为 {_amount(value)} 万元，超过合理上限 {ceiling} 万元："
                           f"{unit_hint(name)}")
    revenue, rd = values.get("revenue"), values.get("rd_expense")
    if "rd_expense" not in found and revenue and rd is not None and rd > revenue * RD_TO_REVENUE_MAX:
        found["rd_expense"] = (f"研发费用（{_amount(rd)} 万元）超过营业收入（{_amount(revenue)} 万元）的 "
                               f"{RD_TO_REVENUE_MAX} 倍，两列单位可能不一致：{unit_hint('rd_expense')}")
    staff = values.get("staff_count")
    if "revenue" not in found and revenue and staff and revenue > REVENUE_PER_STAFF_MAX * staff:
        found["revenue"] = (f"营业收入（{_amount(revenue)} 万元）折合每名职工超过 {REVENUE_PER_STAFF_MAX} 万元："
                            f"{unit_hint('revenue')}")
    return found


def parse_status(value: Any) -> str | None:
    """A cultivation status (docs/DOMAIN.md §2) from its Chinese name or code, None when empty."""
    text = clean_text(value)
    if text is None:
        return None
    key = normalize_header(text)
    for code in STATUSES:
        if key in (code, STATUS_NAMES[code]):
            return code
    raise CellError(f"未知的培育状态：{text}（可选：{'、'.join(STATUS_NAMES[s] for s in STATUSES)}）")


_TRUE = {"是", "已上市", "上市", "y", "yes", "true", "1", "√"}
_FALSE = {"否", "未上市", "n", "no", "false", "0", "×"}


def parse_bool(value: Any) -> bool | None:
    """是/否 (also yes/no, true/false, 1/0, 已上市/未上市), None when empty."""
    value = unescape_cell(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = normalize_header(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"应填“是”或“否”：{value}")


def parse_year(value: Any, *, lowest: int = EARLIEST_YEAR, highest: int = 2100) -> int | None:
    """A four-digit year (2024, 2024.0 or 2024年), None when empty.

    Only a sanity check that the cell holds a year; which years figures may be kept for is
    tracker.rules.figures.year_error.
    """
    value = unescape_cell(value)
    if is_blank(value):
        return None
    text = str(value).strip()
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", text).removesuffix("年度").removesuffix("年").strip()
    try:
        year = parse_int(text)
    except CellError:
        raise CellError(f"年度应为四位年份：{value}") from None
    if year is None or not lowest <= year <= highest:
        raise CellError(f"年度应在{lowest}—{highest}之间：{value}")
    return year


def parse_industry(value: Any) -> str | None:
    """One of the plan's key industry fields (docs/DOMAIN.md §3), also from common spellings."""
    text = clean_text(value)
    if text is None:
        return None
    key = unicodedata.normalize("NFKC", text).replace(" ", "")
    found = INDUSTRY_ALIASES.get(key)
    if found is None:
        raise CellError(f"未知的产业领域：{text}（可选：{'、'.join(INDUSTRIES)}）")
    return found


def parse_cell(column: Column, value: Any, *, unit: str | None = None) -> Any:
    """Parse a cell by its column's kind (text, date, int, decimal, money in `unit`, bool, year)."""
    if column.kind == "money":
        return parse_money(value, unit)
    if column.kind == "date":
        return parse_date(value)
    if column.kind == "int":
        return parse_int(value)
    if column.kind == "decimal":
        return parse_decimal(value)
    if column.kind in _DEGREE_LIMITS:
        return parse_degrees(value, column.kind)
    if column.kind == "bool":
        return parse_bool(value)
    if column.kind == "year":
        return parse_year(value)
    return clean_text(value, column.max_length, multiline=column.multiline)


def template_headers(kind: str) -> list[str]:
    """The Chinese header row of an import kind, in order (for template files and exports)."""
    return [c.header for c in COLUMNS_BY_KIND[kind]]
