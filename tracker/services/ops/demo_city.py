"""A deterministic synthetic city that looks like Changzhou, for demos and benchmarks (`flask demo-data`).

Same seed and reference date, same city. The default size (15,000 companies) is the one whose
figures stand near the plan's targets (tracker/data/plan_targets.csv): indicators 1–5 near the
year's target on the reference date, some districts ahead and some behind; a smaller or larger
city scales every flow by companies / 15,000. The history is simulated year by year from 2017:
- HNTE certificates (高新技术企业) granted in the province's November–December batches, three years
  valid, most re-certified in their expiry year (a cultivation track of that year, recognised,
  rejected or, for a batch still to come, submitted), a few revoked;
- tech SME registrations (科技型中小企业入库) in batches through each year's evaluation window;
- gazelles (瞪羚) and (potential) unicorns announced once a year on one list day;
- companies attracted (招引落户) through the year, yearly figures that make each rung's pre-check
  meaningful (a company's figures follow what it became), visits by each stage's cadence,
  follow-ups whose category matches their text, and the registries of indicators 6–12 growing
  across the years.
Rows go in with bulk INSERTs in batches. Feature packages add their own demo rows through
FEATURE_DEMOS once the core city exists.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from sqlalchemy import func, insert, literal, or_, select, text

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import (
    AnnualReport, Assignment, Carrier, CarrierLevel, Company, CompanyYearFigures, CultivationTrack, Designation,
    FollowUp, Platform, ServiceInstitution, TalentAward, TrackTransition, User, Visit,
)
from tracker.rules import uscc as uscc_rules
from tracker.rules.cadence import DEFAULT_CADENCE_DAYS
from tracker.rules.districts import DISTRICT_NAMES, DISTRICTS, INDUSTRIES
from tracker.rules.ladder import default_valid_until
from tracker.services.accompaniment import demo as accompaniment_demo
from tracker.services.attractions import demo as attraction_demo
from tracker.services.candidates import results as candidate_results
from tracker.services.policies import demo as policy_demo
from tracker.services.support import demo as support_demo
from tracker.services.stages import rebuild_company_stages
from tracker.services.unit_of_work import unit_of_work
from tracker.services.visits import demo as follow_up_case_demo
from werkzeug.security import generate_password_hash

DEMO_PASSWORD = "changzhou2027"
DEFAULT_COMPANIES = 15000
FULL_CITY = 15000  # the size at which the figures below are the city's own
BATCH = 5000

# Companies per district: shares of the plan's 2027 HNTE district targets.
DISTRICT_WEIGHTS = {"liyang": 505, "jintan": 695, "wujin": 2300, "xinbei": 2300, "tianning": 695, "zhonglou": 655, "jingkai": 850}
# How each district does against its target (1.0: on target): some ahead, some behind.
DISTRICT_PACE = {"liyang": 0.90, "jintan": 1.05, "wujin": 1.02, "xinbei": 1.06, "tianning": 0.95, "zhonglou": 0.92, "jingkai": 1.00}

# HNTE certificates in force on 31 Dec (the full city), near the plan's 4,300 / 5,000 / 5,800 / 6,800.
HNTE_STOCK = {2019: 2600, 2020: 2950, 2021: 3300, 2022: 3700, 2023: 4420, 2024: 5080, 2025: 5810, 2026: 6760}
HNTE_SEED_GRANTS = {2017: 750, 2018: 850, 2019: 1000}  # the cohorts still in force when the simulation starts
HNTE_BATCHES = ((11, 6, 0.45), (11, 27, 0.35), (12, 13, 0.20))  # 江苏省高新技术企业认定批次: day and share
HNTE_RENEWAL = 0.82  # share of certificates re-certified in their expiry year
HNTE_REVOCATION = 0.012  # per certificate
# Tech SME registrations per evaluation year, near 5,000 / 6,000 / 7,000 / 8,500.
TECH_SME_REGISTRATIONS = {2019: 2600, 2020: 3300, 2021: 3900, 2022: 4500, 2023: 5100, 2024: 6050, 2025: 6950, 2026: 8250}
# The national evaluation windows (2025 and 2026 as migration 0006 records them; earlier years [A]).
TECH_SME_WINDOWS = {2025: ((6, 30), (9, 30)), 2026: ((6, 1), (8, 31))}
TECH_SME_DEFAULT_WINDOW = ((4, 1), (9, 30))
# New gazelles per yearly list (cumulative 560 by 2022, then near 700 / 800 / 900 / 1,050), list day.
GAZELLES = {2019: 200, 2020: 120, 2021: 120, 2022: 120, 2023: 100, 2024: 100, 2025: 100, 2026: 95}
GAZELLE_LIST_DAY = (8, 28)
# New (potential) unicorns per yearly list: 94 by the end of 2025 as reported (targets 50 / 60 / 70 / 85).
UNICORNS = {2021: 30, 2022: 12, 2023: 14, 2024: 16, 2025: 22, 2026: 6}
UNICORN_LIST_DAY = (7, 15)
# Companies attracted (招引落户) per year, near 600 / 800 / 1,000 / 1,200.
ATTRACTED = {2019: 300, 2020: 350, 2021: 400, 2022: 500, 2023: 620, 2024: 790, 2025: 990, 2026: 1160}
# Channel codes of tracker.rules.attraction (载体招引, 平台招引, 大赛招引, 基金招引, 飞地孵化), by weight.
ATTRACTION_CHANNELS = ("carrier", "carrier", "platform", "platform", "contest", "fund", "fund", "enclave")

# Feature packages that add their own demo rows once the core city exists: each module's
# seed_demo(rng, reference) -> int bulk-inserts into the same transaction (it does not commit).
# The features' own demo rows, seeded after the core city in this order (policies pay claims into
# support records, so support comes first).
FEATURE_DEMOS = (attraction_demo, accompaniment_demo, support_demo, policy_demo, follow_up_case_demo)

_BRANDS = "恒瑞华创天合中科新智博远星辰云海金石龙腾东方银河精工宏达瑞丰卓越鼎盛晶锐汇能光合翔宇嘉诚润泽安泰联创凯正邦"
_SUFFIX = {"新能源": ("新能源科技", "储能技术", "光伏科技"), "新材料": ("新材料", "高分子材料", "复合材料"),
           "高端装备": ("智能装备", "精密机械", "装备制造"), "智能制造": ("智能制造", "自动化科技", "工业软件"),
           "生物技术与医药": ("生物医药", "医疗器械", "药业"), "集成电路": ("微电子", "半导体", "芯片科技"),
           "新型碳材料": ("碳材料科技", "石墨烯科技", "碳纤维"), "轨道交通": ("轨道交通设备", "轨道装备", "交通科技"),
           "机器人": ("机器人", "智能机器人", "机器人科技"), "其他": ("科技", "信息技术", "环保科技")}
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙朱马胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
_GIVEN = ("晓明", "建华", "丽娟", "志强", "海燕", "伟", "静", "敏", "磊", "婷", "雪梅", "国平", "文博", "佳怡", "子涵",
          "宇航", "晨", "欣然", "立新", "春华", "玉兰", "振宇", "思远", "雨桐", "浩然", "梓萱", "俊杰", "秀英")
_ROADS = ("长江路", "太湖东路", "龙锦路", "常武路", "武宜路", "延政西路", "青洋路", "和平路", "劳动路", "晋陵路",
          "汉江路", "通江大道", "新竹路", "燕山路", "天目湖大道", "金城大道", "华城路", "东方大道")
_PEOPLE_MET = ("总经理", "董事长", "财务负责人", "研发总监", "行政主管", "技术副总")
# Visit summaries by the company's stage, in the words an officer writes.
_SUMMARIES = {
    "prospect": ("宣讲科技型中小企业评价政策，了解企业研发组织情况", "了解企业经营状况与技术来源，介绍科技创新券政策",
                 "梳理知识产权布局，建议先行申请实用新型专利"),
    "tech_sme": ("指导科技型中小企业评价入库材料准备", "了解研发费用归集情况，宣讲研发费用加计扣除政策",
                 "评估高新技术企业申报条件，建议纳入高企培育库"),
    "hnte": ("跟进高企年度发展情况报表填报", "了解研发投入与高新技术产品收入情况，准备重新认定材料",
             "走访了解企业融资需求，介绍苏科贷产品", "对接高校院所开展产学研合作"),
    "gazelle": ("了解企业营收增长与扩产计划", "跟进瞪羚企业培育，了解上市辅导进展", "走访了解企业用地用房需求"),
    "potential_unicorn": ("了解企业新一轮融资与估值情况", "对接产业基金，协调市级领导挂钩服务", "跟进上市培育与辅导备案进展"),
    "unicorn": ("了解企业新一轮融资与估值情况", "协调解决企业扩产中的要素保障问题", "跟进上市申报进展"),
}
# Follow-ups (诉求): category, what the company asked, how it was settled — always matching.
_FOLLOW_UPS = (
    ("policy", "咨询研发费用加计扣除政策的适用范围和申报流程", "已解读政策并提供申报指引，企业已完成申报"),
    ("policy", "希望了解创新政策20条中研发投入奖补的申报条件", "已送政策上门并指导准备申报材料"),
    ("funding", "需要对接苏科贷等科技信贷产品解决流动资金缺口", "已对接合作银行，完成授信评估"),
    ("funding", "拟开展新一轮股权融资，希望对接产业投资基金", "已推荐市天使投资基金及两家合作机构"),
    ("talent", "新引进的研发骨干申请人才公寓", "已协调人才公寓，研发骨干已入住"),
    ("talent", "希望申报龙城英才计划，需了解申报要求", "已指导企业完成龙城英才计划申报"),
    ("land", "厂房扩建需要新增工业用地指标", "已转辖区自然资源和规划部门办理"),
    ("land", "租赁的研发楼面积不足，希望协调孵化器用房", "已协调科技企业孵化器新增用房"),
    ("tech", "寻求与高校联合攻关关键工艺技术", "已对接常州大学相关科研团队，签订合作意向"),
    ("tech", "希望使用公共技术服务平台的检测设备", "已对接市公共检测服务平台，提供优惠检测"),
    ("ip", "发明专利申请需要加快审查", "已推荐进入专利快速预审通道"),
    ("ip", "遭遇商标侵权，需要知识产权维权援助", "已转知识产权维权援助中心跟进"),
    ("qualification", "申报高新技术企业需要专业辅导", "已组织申报辅导并预审材料"),
    ("qualification", "科技型中小企业评价入库信息填报遇到问题", "已指导企业修改填报信息，企业已入库"),
)


@dataclass
class DemoCounts:
    users: int = 0
    companies: int = 0
    designations: int = 0
    visits: int = 0
    follow_ups: int = 0
    tracks: int = 0
    features: dict[str, int] = field(default_factory=dict)


@dataclass
class _Co:
    """One company while the city is simulated (its rows are written at the end)."""

    id: int
    district: str
    founded: dt.date
    attracted: dt.date | None
    small: bool
    pull: float  # propensity to climb the ladder (higher: recognised earlier)
    officer_id: int | None = None
    assigned_from: dt.date = dt.date(2023, 3, 1)
    hnte_ever: bool = False
    hnte_first: int | None = None  # the year of its first certificate
    hnte_fit: bool = False  # figures that pass the HNTE pre-check
    growth: bool = False  # revenue growth of a gazelle
    gazelle: bool = False
    unicorn: bool = False
    registered: set[int] = field(default_factory=set)  # tech SME evaluation years
    chain: dict | None = None  # the HNTE certificate currently held (granted, batch, id, revoked)


def _uscc(rng: random.Random, division: str) -> str:
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    return uscc_rules.make_code("91" + division + body)


def _flush(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start:start + BATCH])
    rows.clear()


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _quota(rng: random.Random, value: float) -> int:
    """A scaled count, rounded at random (so a small city still gets its share of rare events)."""
    whole = math.floor(value)
    return whole + (1 if rng.random() < value - whole else 0)


def _split(total: int, weights: dict[str, float]) -> dict[str, int]:
    """`total` split by weights with the largest remainders (the parts add up to `total`)."""
    whole = sum(weights.values())
    raw = {k: total * w / whole for k, w in weights.items()}
    parts = {k: math.floor(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - parts[k], reverse=True)[: total - sum(parts.values())]:
        parts[k] += 1
    return parts


def _workday(day: dt.date) -> dt.date:
    """The Friday before a Saturday or Sunday (visits and list days fall on working days)."""
    return day - dt.timedelta(days=max(0, day.weekday() - 4))


def has_companies() -> bool:
    """True when the database already holds companies (the demo city only loads into an empty one)."""
    return bool(db.session.scalar(select(func.count(Company.id))))


def generate(companies: int = DEFAULT_COMPANIES, seed: int = 2027, reference: dt.date | None = None) -> DemoCounts:
    """Build the demo city into an empty database in one unit of work. Returns what was created.

    `reference` is the city's "today" (default: today in Asia/Shanghai): nothing happens after it.
    """
    if has_companies():
        raise RuntimeError("数据库中已有企业数据；演示数据只能载入空数据库")
    ref = reference or today()
    with unit_of_work():
        counts = _build_city(companies, seed, ref)
        counts.features = _feature_demos(random.Random(seed + 1), ref)
        # The current-stage table for the day the lists are read (today), as the nightly task would.
        rebuild_company_stages(today())
    # The candidates page's stored results for this and next evaluation year, as a worker would.
    candidate_results.recompute_all((today().year, today().year + 1))
    if db.engine.dialect.name == "postgresql":
        # Rows went in with explicit ids: move each id sequence past them, or the next ordinary
        # INSERT collides with a demo row.
        with unit_of_work():
            for model in (User, Company, Designation, Visit, CultivationTrack):
                table = model.__tablename__
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f"(SELECT COALESCE(max(id), 1) FROM \"{table}\"))"
                ))
        # Fresh statistics, or the planner treats the bulk-loaded tables as empty.
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return counts


def _feature_demos(rng: random.Random, ref: dt.date) -> dict[str, int]:
    """Call each feature's seed_demo(rng, reference); returns the rows created per feature module."""
    return {module.__name__: int(module.seed_demo(rng, ref) or 0) for module in FEATURE_DEMOS}


class _Ids:
    def __init__(self):
        self.designation = _next_id(Designation)
        self.visit = _next_id(Visit)
        self.track = _next_id(CultivationTrack)

    def next_designation(self) -> int:
        self.designation += 1
        return self.designation - 1


def _build_city(companies: int, seed: int, ref: dt.date) -> DemoCounts:
    """Insert the whole city in batches (flushed, not committed: the caller's unit commits once)."""
    rng = random.Random(seed)
    scale = companies / FULL_CITY
    counts = DemoCounts()
    created = now()
    password_hash = generate_password_hash(DEMO_PASSWORD, method="scrypt")
    per_district = _split(companies, DISTRICT_WEIGHTS)

    # Users: one admin, a manager per district, officers (about one per 110 companies).
    users: list[dict] = []
    uid = _next_id(User)
    officers: dict[str, list[int]] = {}
    managers: dict[str, int] = {}
    users.append(dict(id=uid, email="admin@example.com", name="市科技局管理员", role="admin", district=None,
                      password_hash=password_hash, active=True,
                      notify_mode="immediate", digest_opt_out=False, created_at=created))
    uid += 1
    for d in DISTRICTS:
        users.append(dict(id=uid, email=f"manager.{d.code}@example.com", name=f"{d.name[:2]}科技局管理员",
                          role="manager", district=d.code, password_hash=password_hash,
                          active=True, notify_mode="immediate",
                          digest_opt_out=False, created_at=created))
        managers[d.code] = uid
        uid += 1
        for n in range(1, max(3, round(per_district[d.code] / 110)) + 1):
            person = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
            users.append(dict(id=uid, email=f"officer.{d.code}.{n}@example.com", name=f"{person}（{d.name[:2]}）",
                              role="officer", district=d.code, password_hash=password_hash,
                              active=True, notify_mode="immediate",
                              digest_opt_out=False, created_at=created))
            officers.setdefault(d.code, []).append(uid)
            uid += 1
    counts.users = len(users)
    _flush(User, users)

    cos = _companies(rng, companies, ref, officers, per_district, counts, created)
    ids = _Ids()
    designations: list[dict] = []
    tracks: list[dict] = []
    transitions: list[dict] = []
    _hnte(rng, cos, ref, scale, ids, designations, tracks, transitions, managers, created)
    _tech_sme(rng, cos, ref, scale, ids, designations, created)
    _upper_rungs(rng, cos, ref, scale, ids, designations, created)
    _more_tracks(rng, cos, ref, ids, tracks, transitions, managers)
    counts.designations = len(designations)
    counts.tracks = len(tracks)
    _flush(Designation, designations)
    _flush(CultivationTrack, tracks)
    _flush(TrackTransition, transitions)
    _figures(rng, cos, ref, created)
    counts.visits, counts.follow_ups = _visits(rng, cos, ref, ids, created)
    _registries(rng, ref, scale)
    _annual_reports(ref)
    return counts


def _companies(rng, n, ref, officers, per_district, counts, created) -> list[_Co]:
    """Companies with their district, founding, attraction, size and officer."""
    division = {d.code: d.division_code or "320412" for d in DISTRICTS}
    attracted: list[dt.date | None] = []
    for year, per_year in ATTRACTED.items():
        start = dt.date(year, 1, 1)
        last = min(ref, dt.date(year, 12, 31))
        if last < start:
            continue
        share = (last - start).days / 365 if year == ref.year else 1.0
        for _ in range(_quota(rng, per_year * (n / FULL_CITY) * max(share, 0))):
            attracted.append(start + dt.timedelta(days=rng.randint(0, (last - start).days)))
    attracted = attracted[:n] + [None] * max(0, n - len(attracted))
    rng.shuffle(attracted)
    districts = [code for code, k in per_district.items() for _ in range(k)]
    rng.shuffle(districts)
    seen_codes: set[str] = set()
    seen_names: set[str] = set()
    rows, assignments = [], []
    cos = []
    cid = _next_id(Company)
    for i in range(n):
        district = districts[i]
        industry = rng.choice(INDUSTRIES)
        came = attracted[i]
        if came is not None:
            founded = max(dt.date(2012, 1, 1), came - dt.timedelta(days=rng.randint(0, 900)))
        else:
            founded = dt.date(min(ref.year - 1, int(rng.triangular(1996, 2023, 2014))), rng.randint(1, 12), rng.randint(1, 28))
        code = _uscc(rng, division[district])
        while code in seen_codes:
            code = _uscc(rng, division[district])
        seen_codes.add(code)
        name = None
        while name is None or name in seen_names:
            place = rng.choice(("常州", "常州", "常州市", "江苏", DISTRICT_NAMES[district][:2]))
            form = rng.choice(("有限公司", "有限公司", "有限公司", "股份有限公司"))
            name = f"{place}{rng.choice(_BRANDS)}{rng.choice(_BRANDS)}{rng.choice(_SUFFIX[industry])}{form}"
        seen_names.add(name)
        contact = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        rows.append(dict(
            id=cid, uscc=code, name=name, district=district, industry=industry, founded_on=founded,
            attracted_on=came, attraction_channel=rng.choice(ATTRACTION_CHANNELS) if came else None,
            address=f"{DISTRICT_NAMES[district]}{rng.choice(_ROADS)}{rng.randint(1, 999)}号",
            contact_name=contact, contact_phone=f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
            uscc_check_override=False, deleted_at=None, version=1, created_at=created, updated_at=created,
        ))
        co = _Co(id=cid, district=district, founded=founded, attracted=came, small=rng.random() < 0.8,
                 pull=rng.random() + (0.25 if founded.year <= 2016 else 0))
        # Most companies have had their officer since the plan began; a few were handed over
        # recently (never visited yet) and about one in a hundred waits for an officer.
        roll = rng.random()
        if roll >= 0.01:
            co.officer_id = rng.choice(officers[district])
            start = dt.date(2023, 3, 1)
            if came and came > start:
                start = came
            if roll > 0.98:
                start = ref - dt.timedelta(days=rng.randint(1, 20))
            co.assigned_from = min(start, ref)
            assignments.append(dict(company_id=cid, officer_id=co.officer_id, is_primary=True,
                                    assigned_from=co.assigned_from, assigned_until=None, assigned_by_id=None,
                                    created_at=created))
        cos.append(co)
        cid += 1
        if len(rows) >= BATCH:
            counts.companies += len(rows)
            _flush(Company, rows)
    counts.companies += len(rows)
    _flush(Company, rows)
    _flush(Assignment, assignments)
    return cos


def _stock_target(year: int) -> int:
    if year in HNTE_STOCK:
        return HNTE_STOCK[year]
    last = max(HNTE_STOCK)
    return HNTE_STOCK[last] + 900 * (year - last)


def _track(ids, tracks, transitions, co, rung, year, status, since, by_id, designation_id=None, steps=()):
    """One cultivation track and its moves (`steps`: the statuses before `status`)."""
    moment = dt.datetime.combine(since, dt.time(9, 30), dt.timezone.utc)
    tid = ids.track
    ids.track += 1
    tracks.append(dict(id=tid, company_id=co.id, target_rung=rung, year=year, status=status, status_since=moment,
                       owner_id=co.officer_id, designation_id=designation_id, reopened_from_id=None, note=None,
                       version=1, created_at=moment - dt.timedelta(days=30 * len(steps))))
    previous = None
    for n, step in enumerate(steps):
        transitions.append(dict(track_id=tid, from_status=previous, to_status=step,
                                at=moment - dt.timedelta(days=30 * (len(steps) - n)), by_id=by_id, reason=None))
        previous = step
    reason = {"recognized": "认定通过", "rejected": "评审未通过"}.get(status)
    transitions.append(dict(track_id=tid, from_status=previous, to_status=status, at=moment, by_id=by_id, reason=reason))


def _hnte(rng, cos, ref, scale, ids, designations, tracks, transitions, managers, created):
    """HNTE certificates year by year: batches in Nov–Dec, re-certification, first grants, revocations.

    Each year's first grants fill the gap between the certificates still in force at its end and
    that year's stock (scaled; each district by its pace). The expiry year's and the first
    application's cultivation tracks of the last two years are written as they were decided.
    """
    weights = {d: DISTRICT_WEIGHTS[d] * DISTRICT_PACE[d] for d in DISTRICT_WEIGHTS}
    by_district: dict[str, list[_Co]] = {d: [] for d in DISTRICT_WEIGHTS}
    for co in sorted(cos, key=lambda c: -c.pull):
        by_district[co.district].append(co)
    holders: list[_Co] = []

    def grant(co: _Co, year: int, batch: int) -> dict | None:
        month, day, _share = HNTE_BATCHES[batch]
        issued = dt.date(year, month, day)
        chain = {"year": year, "batch": batch, "issued": issued, "id": None, "revoked": None}
        co.chain = chain
        co.hnte_ever = True
        co.hnte_first = co.hnte_first or year
        if issued > ref:
            return chain  # decided, certificate still to be issued: the track says 已申报
        until = default_valid_until("hnte", issued)
        revoked = None
        if rng.random() < HNTE_REVOCATION:
            candidate = issued + dt.timedelta(days=rng.randint(120, 900))
            if candidate <= ref and candidate < until:
                revoked = candidate
        chain["id"] = ids.next_designation()
        chain["revoked"] = revoked
        designations.append(dict(id=chain["id"], company_id=co.id, rung="hnte",
            reference=f"GR{year}32{rng.randint(0, 9999):04d}{rng.randint(0, 999):03d}"[:16], granted_on=issued,
            valid_from=issued, valid_until=until, batch=f"江苏省{year}年第{batch + 1}批",
            source="demo", revoked_on=revoked, revoke_reason="经复核不符合认定条件，取消高新技术企业资格" if revoked else None,
            created_by_id=None, created_at=created))
        return chain

    def in_force_at_year_end(co: _Co, year: int) -> bool:
        chain = co.chain
        if chain is None or chain["year"] < year - 2:
            return False
        return chain["revoked"] is None or chain["revoked"] > dt.date(year, 12, 31)

    last_year = ref.year
    for year in range(min(HNTE_SEED_GRANTS), last_year + 1):
        decided_tracks = year >= ref.year - 1
        renewed: list[_Co] = []
        for co in holders:
            chain = co.chain
            if chain["year"] != year - 3 or chain["revoked"] is not None:
                continue
            if rng.random() < HNTE_RENEWAL * (1 + (DISTRICT_PACE[co.district] - 1) / 2):
                new = grant(co, year, chain["batch"])
                renewed.append(co)
                if decided_tracks and co.officer_id:
                    status = "recognized" if new["id"] else "submitted"
                    _track(ids, tracks, transitions, co, "hnte", year, status,
                           new["issued"] if new["id"] else dt.date(year, 7, 10), managers[co.district],
                           new["id"], steps=("pool", "key", "submitted") if new["id"] else ("pool", "key"))
            elif decided_tracks and co.officer_id and rng.random() < 0.5:
                _track(ids, tracks, transitions, co, "hnte", year, "rejected", dt.date(year, 11, 20),
                       managers[co.district], steps=("pool", "submitted"))
        if year in HNTE_SEED_GRANTS:
            first = _quota(rng, HNTE_SEED_GRANTS[year] * scale)
        else:
            standing = sum(1 for co in holders if in_force_at_year_end(co, year))
            first = max(0, _quota(rng, _stock_target(year) * scale) - standing)
        quotas = _split(first, weights)
        shares = [b[2] for b in HNTE_BATCHES]
        for district, quota in quotas.items():
            pool = [co for co in by_district[district] if not co.hnte_ever and co.founded.year <= year - 1
                    and (co.attracted is None or co.attracted.year < year)]
            for co in pool[:quota]:
                batch = rng.choices(range(len(HNTE_BATCHES)), shares)[0]
                chain = grant(co, year, batch)
                holders.append(co)
                if decided_tracks and co.officer_id:
                    status = "recognized" if chain["id"] else "submitted"
                    _track(ids, tracks, transitions, co, "hnte", year, status,
                           chain["issued"] if chain["id"] else dt.date(year, 7, 10), managers[co.district],
                           chain["id"], steps=("pool", "key", "submitted") if chain["id"] else ("pool", "key"))
            if decided_tracks:
                # First applications that did not pass (the first-application rate is below 1).
                for co in pool[quota:quota + max(1, quota // 3)]:
                    if co.officer_id:
                        _track(ids, tracks, transitions, co, "hnte", year, "rejected", dt.date(year, 11, 20),
                               managers[co.district], steps=("pool", "submitted"))
                        co.hnte_fit = rng.random() < 0.5  # close: some will pass next year
    # The import round trip and the revocation views want at least one revoked certificate.
    if designations and not any(r["revoked_on"] for r in designations):
        row = next((r for r in designations if r["valid_until"] and r["granted_on"] + dt.timedelta(days=30) < ref), None)
        if row is not None:
            row["revoked_on"] = min(ref, row["valid_until"], row["granted_on"] + dt.timedelta(days=200))
            row["revoke_reason"] = "经复核不符合认定条件，取消高新技术企业资格"
    for co in cos:
        if co.hnte_ever:
            co.hnte_fit = True
    # A share of the companies that never held a certificate have figures that pass: real candidates.
    for co in cos:
        if not co.hnte_ever and co.founded.year <= ref.year - 2 and rng.random() < 0.18:
            co.hnte_fit = True


def _window(year: int) -> tuple[dt.date, dt.date]:
    (om, od), (cm, cd) = TECH_SME_WINDOWS.get(year, TECH_SME_DEFAULT_WINDOW)
    return dt.date(year, om, od), dt.date(year, cm, cd)


def _tech_sme(rng, cos, ref, scale, ids, designations, created):
    """Tech SME registrations: each year's quota, last year's registrants first, in batches through the window."""
    for year in range(min(TECH_SME_REGISTRATIONS), ref.year + 1):
        opens, closes = _window(year)
        every = []  # a batch every two weeks from two weeks after the window opens to three after it closes
        day = opens + dt.timedelta(days=14)
        while day <= closes + dt.timedelta(days=21):
            every.append(_workday(day))
            day += dt.timedelta(days=14)
        batches = [b for b in every if b <= ref]
        if not batches:
            continue
        per_year = TECH_SME_REGISTRATIONS.get(year, TECH_SME_REGISTRATIONS[max(TECH_SME_REGISTRATIONS)] + 1000)
        quota = _quota(rng, per_year * scale * len(batches) / len(every))
        eligible = [co for co in cos if co.small and co.founded <= closes
                    and (co.attracted is None or co.attracted <= closes)]
        returning = [co for co in eligible if (year - 1) in co.registered and rng.random() < 0.9]
        rest = sorted((co for co in eligible if (year - 1) not in co.registered), key=lambda c: -c.pull - rng.random())
        chosen = (returning + rest)[:quota]
        for co in chosen:
            n = rng.randrange(len(batches))
            granted = batches[n]
            if co.attracted and granted < co.attracted:
                granted = next((b for b in batches if b >= co.attracted), None)
                if granted is None:
                    continue
                n = batches.index(granted)
            co.registered.add(year)
            designations.append(dict(id=ids.next_designation(), company_id=co.id, rung="tech_sme",
                reference=f"{year}3204{co.id % 100:02d}{rng.randint(0, 99999):05d}{co.id % 1000:03d}", granted_on=granted,
                valid_from=granted, valid_until=dt.date(year, 12, 31), batch=f"{year}年第{n + 1}批",
                source="demo", revoked_on=None, revoke_reason=None, created_by_id=None, created_at=created))


def _upper_rungs(rng, cos, ref, scale, ids, designations, created):
    """Gazelles and (potential) unicorns: one list a year, from the companies holding an HNTE then."""
    def holds_hnte(co: _Co) -> bool:
        return co.chain is not None and co.chain["id"] is not None and co.chain["revoked"] is None

    ordered = sorted((co for co in cos if co.hnte_ever), key=lambda c: -c.pull)
    for year, per_year in GAZELLES.items():
        day = _workday(dt.date(year, *GAZELLE_LIST_DAY))
        if day > ref:
            continue
        pool = [co for co in ordered if not co.gazelle and holds_hnte(co) and co.hnte_first < year
                and co.founded.year >= year - 16]
        rng.shuffle(pool)
        for co in pool[:_quota(rng, per_year * scale)]:
            co.gazelle = co.growth = True
            designations.append(dict(id=ids.next_designation(), company_id=co.id, rung="gazelle", reference=None,
                granted_on=day, valid_from=day, valid_until=None, batch=f"{year}年江苏省瞪羚企业名单",
                source="demo", revoked_on=None, revoke_reason=None, created_by_id=None, created_at=created))
    for year, per_year in UNICORNS.items():
        day = _workday(dt.date(year, *UNICORN_LIST_DAY))
        if day > ref:
            continue
        pool = [co for co in cos if co.gazelle and not co.unicorn]
        rng.shuffle(pool)
        for co in pool[:_quota(rng, per_year * scale)]:
            co.unicorn = True
            designations.append(dict(id=ids.next_designation(), company_id=co.id, rung="potential_unicorn",
                reference=None, granted_on=day, valid_from=day, valid_until=None,
                batch=f"{year}年江苏省潜在独角兽企业名单", source="demo", revoked_on=None, revoke_reason=None,
                created_by_id=None, created_at=created))
    # A few potential unicorns became unicorns on a later list.
    risen = [co for co in cos if co.unicorn]
    rng.shuffle(risen)
    for co in risen[:max(1, round(len(risen) * 0.05)) if risen else 0]:
        day = _workday(dt.date(min(ref.year, 2025), *UNICORN_LIST_DAY))
        if day <= ref:
            designations.append(dict(id=ids.next_designation(), company_id=co.id, rung="unicorn", reference=None,
                granted_on=day, valid_from=day, valid_until=None, batch=f"{day.year}年江苏省独角兽企业名单",
                source="demo", revoked_on=None, revoke_reason=None, created_by_id=None, created_at=created))
    # Candidates for the next gazelle list: HNTE holders growing fast.
    for co in cos:
        if holds_hnte(co) and not co.gazelle and rng.random() < 0.08:
            co.growth = True


def _more_tracks(rng, cos, ref, ids, tracks, transitions, managers):
    """Next year's lists (certificates expiring then, first applications, gazelles, tech SMEs) and
    this year's gazelle list as it was decided."""
    nxt = ref.year + 1
    spring = ref - dt.timedelta(days=5)  # lists drawn up over the last three months, a few left unmoved since
    for co in cos:
        if not co.officer_id:
            continue
        chain = co.chain
        by = managers[co.district]
        if chain and chain["id"] and chain["year"] == nxt - 3 and chain["revoked"] is None and rng.random() < 0.6:
            status = rng.choice(("pool", "pool", "key"))
            _track(ids, tracks, transitions, co, "hnte", nxt, status,
                   spring - dt.timedelta(days=rng.randint(0, 85)), by, steps=("pool",) if status == "key" else ())
        elif not co.hnte_ever and co.hnte_fit and rng.random() < 0.45:
            status = rng.choice(("pool", "pool", "key"))
            _track(ids, tracks, transitions, co, "hnte", nxt, status,
                   spring - dt.timedelta(days=rng.randint(0, 85)), by, steps=("pool",) if status == "key" else ())
        elif not co.registered and co.small and rng.random() < 0.08:
            _track(ids, tracks, transitions, co, "tech_sme", nxt, "pool",
                   spring - dt.timedelta(days=rng.randint(0, 85)), by)
        if co.growth and not co.gazelle and chain and chain["id"] and rng.random() < 0.6:
            _track(ids, tracks, transitions, co, "gazelle", nxt, rng.choice(("pool", "key")),
                   spring - dt.timedelta(days=rng.randint(0, 90)), by)


def _figures(rng, cos, ref, created):
    """Yearly figures of the last four completed years (and this year's estimate from October on).

    A company's figures follow what it became: HNTE holders and real candidates pass the HNTE
    pre-check (S&T staff, R&D intensity, high-tech revenue, core IP, an innovation score above
    70, the two declarations); tech SMEs score above 60; gazelles grow fast; only (potential)
    unicorns and some gazelles carry a valuation, so no 培育对象 looks unicorn-ready.
    """
    rows = []
    last = ref.year - 1 if ref.month < 10 else ref.year
    for co in cos:
        if co.small:
            revenue = math.exp(rng.uniform(math.log(300), math.log(12000)))
        else:
            revenue = math.exp(rng.uniform(math.log(25000), math.log(400000)))
        staff = max(8, int(revenue / rng.uniform(60, 140)))
        tech = bool(co.registered)
        for year in range(ref.year - 4, last + 1):
            if year < co.founded.year:
                continue
            grow = rng.uniform(1.22, 1.42) if co.growth else rng.uniform(0.93, 1.16)
            revenue *= grow
            if co.small:
                revenue = min(revenue, 19500)
            staff = max(8, int(staff * (grow * 0.9 + 0.1)))
            if co.small:
                staff = min(staff, 480)
            if co.hnte_fit:
                st_ratio, rd_ratio, ht_ratio = rng.uniform(0.14, 0.42), rng.uniform(0.055, 0.10), rng.uniform(0.63, 0.92)
                ip1, ip2, score = rng.randint(1, 6), rng.randint(2, 15), rng.uniform(72, 91)
            elif tech:
                st_ratio, rd_ratio, ht_ratio = rng.uniform(0.15, 0.35), rng.uniform(0.035, 0.07), rng.uniform(0.3, 0.66)
                ip1, ip2, score = rng.choice((0, 0, 1)), rng.randint(1, 6), rng.uniform(55, 72)
            else:
                st_ratio, rd_ratio, ht_ratio = rng.uniform(0.03, 0.16), rng.uniform(0.004, 0.03), rng.uniform(0.05, 0.5)
                ip1, ip2, score = 0, rng.randint(0, 2), rng.uniform(38, 64)
            rd = revenue * rd_ratio
            valuation = financing = None
            if co.unicorn:
                valuation = revenue * rng.uniform(6, 15) + 300000
                financing = rng.uniform(20000, 120000)
            elif co.gazelle and rng.random() < 0.25:
                valuation = revenue * rng.uniform(2, 6)
                financing = rng.uniform(3000, 30000) if rng.random() < 0.5 else None
            rows.append(dict(company_id=co.id, year=year, staff_count=staff,
                st_staff_count=max(1, int(staff * st_ratio)), revenue=round(revenue, 2),
                rd_expense=round(rd, 2), rd_expense_domestic=round(rd * rng.uniform(0.72, 1.0), 2),
                total_cost=round(revenue * rng.uniform(0.7, 0.94), 2), total_assets=round(revenue * rng.uniform(0.6, 1.0), 2),
                hightech_revenue=round(revenue * ht_ratio, 2), ip_class1_count=ip1, ip_class2_count=ip2,
                valuation=round(valuation, 2) if valuation else None,
                financing_amount=round(financing, 2) if financing else None,
                key_field=rng.random() < (0.99 if co.hnte_fit else 0.85), major_incident=rng.random() < 0.005,
                is_listed=False, innovation_score=round(score, 1),
                notes=f"{year}年1—{ref.month - 1}月预计数" if year == ref.year else None,
                version=1, updated_at=created))
            if len(rows) >= BATCH:
                _flush(CompanyYearFigures, rows)
    _flush(CompanyYearFigures, rows)


def _stage_of(co: _Co) -> str:
    if co.unicorn:
        return "potential_unicorn"
    if co.gazelle:
        return "gazelle"
    if co.chain and co.chain["id"] and co.chain["revoked"] is None:
        return "hnte"
    return "tech_sme" if co.registered else "prospect"


def _visits(rng, cos, ref, ids, created) -> tuple[int, int]:
    """Visits by each stage's cadence back to the plan's second year; a follow-up raised at some.

    Most companies are within their cadence; some are due this week, some overdue, a few long
    overdue; companies handed over in the last weeks have not been visited yet.
    """
    visits, follow_ups = [], []
    n_visits = n_follow = 0
    start = dt.date(2024, 7, 1)
    for co in cos:
        if co.officer_id is None or co.assigned_from > ref - dt.timedelta(days=21):
            continue  # never visited: no officer, or handed over recently
        stage = _stage_of(co)
        cadence = DEFAULT_CADENCE_DAYS[stage]
        roll = rng.random()
        lateness = (rng.uniform(0.05, 0.93) if roll < 0.72 else rng.uniform(0.93, 1.05) if roll < 0.84
                    else rng.uniform(1.05, 1.18) if roll < 0.95 else rng.uniform(1.18, 1.6))
        day = _workday(ref - dt.timedelta(days=int(cadence * lateness)))
        first = max(start, co.assigned_from)
        if day < first:
            day = _workday(min(ref, first + dt.timedelta(days=rng.randint(0, 20))))
        count = 0
        while day >= first and count < 8:
            summary = rng.choice(_SUMMARIES[stage])
            visits.append(dict(id=ids.visit, company_id=co.id, officer_id=co.officer_id, visited_on=day,
                kind=rng.choice(("onsite", "onsite", "onsite", "phone", "online", "event")),
                people_met=rng.choice(_PEOPLE_MET), summary=summary, next_planned_on=None,
                version=1, created_at=created, updated_at=created))
            if rng.random() < 0.14:
                category, description, resolution = rng.choice(_FOLLOW_UPS)
                due = day + dt.timedelta(days=rng.choice((10, 15, 20, 30)))
                age = (ref - day).days
                if age > 75:
                    status = rng.choice(("closed", "closed", "resolved"))
                elif age > 30:
                    status = rng.choice(("closed", "resolved", "in_progress", "open" if rng.random() < 0.2 else "resolved"))
                else:
                    status = rng.choice(("open", "in_progress", "in_progress", "resolved"))
                done = status in ("resolved", "closed")
                finished = dt.datetime.combine(min(ref, due - dt.timedelta(days=rng.randint(0, 8))), dt.time(8), dt.timezone.utc)
                follow_ups.append(dict(company_id=co.id, visit_id=ids.visit, category=category, description=description,
                    owner_id=co.officer_id, due_on=due, status=status, resolution=resolution if done else None,
                    satisfaction=rng.choice(("satisfied", "satisfied", "satisfied", "basically")) if status == "closed" else None,
                    resolved_at=finished if done else None, closed_at=finished if status == "closed" else None,
                    created_at=created, updated_at=created, version=1))
            ids.visit += 1
            count += 1
            day = _workday(day - dt.timedelta(days=int(cadence * rng.uniform(0.7, 1.0))))
        if len(visits) >= BATCH:
            n_visits += len(visits)
            _flush(Visit, visits)
            n_follow += len(follow_ups)
            _flush(FollowUp, follow_ups)
    n_visits += len(visits)
    n_follow += len(follow_ups)
    _flush(Visit, visits)
    _flush(FollowUp, follow_ups)
    return n_visits, n_follow


def _annual_reports(ref: dt.date) -> None:
    """Most HNTE holders filed their annual reports (年度发展情况报表); about one in eleven missed a year.

    One INSERT ... SELECT per report year over the certificates in force on its 31 May deadline,
    so the maintenance list flags only the few that really missed two years running.
    """
    for year in range(ref.year - 3, ref.year):
        deadline = dt.date(year + 1, 5, 31)
        if deadline > ref:
            continue
        holders = (
            select(Designation.company_id, literal(year), literal(dt.date(year + 1, 5, 20)), literal("demo"),
                   literal(now()))
            .where(Designation.rung == "hnte", Designation.valid_from <= deadline, Designation.granted_on <= deadline,
                   or_(Designation.valid_until.is_(None), Designation.valid_until >= deadline),
                   (Designation.company_id + year) % 11 != 0)
            .distinct()
        )
        db.session.execute(insert(AnnualReport).from_select(
            ["company_id", "year", "filed_on", "source", "created_at"], holders))


# Registries of indicators 6–12 for the full city, per year: growing across the plan's years
# (targets: 30 innovation talents, 5 teams, 400 city talents, 20 / 10 carriers, 10 platforms a year,
# 670 … 730 service institutions), each recognised on its list's day.
TALENTS = {  # kind: {year: count}, list day
    "provincial_innovation": ({2023: 27, 2024: 31, 2025: 34, 2026: 33}, (10, 18)),
    "provincial_team": ({2023: 4, 2024: 5, 2025: 6, 2026: 6}, (10, 18)),
    "city_high_level": ({2023: 352, 2024: 398, 2025: 431, 2026: 446}, (6, 26)),
}
CARRIERS_CITY = {2019: 14, 2020: 15, 2021: 16, 2022: 17, 2023: 18, 2024: 21, 2025: 23, 2026: 22}
CARRIER_UPGRADES = {2021: 6, 2022: 7, 2023: 8, 2024: 10, 2025: 11, 2026: 11}
PLATFORMS = {2021: 7, 2022: 8, 2023: 9, 2024: 10, 2025: 12, 2026: 11}
INSTITUTIONS = {2023: 676, 2024: 701, 2025: 722, 2026: 735}


def _registries(rng: random.Random, ref: dt.date, scale: float) -> None:
    """Talents, teams, carriers, platforms and service institutions for indicators 6–12."""
    codes = list(DISTRICT_WEIGHTS)
    weights = list(DISTRICT_WEIGHTS.values())

    def count(value: int) -> int:
        return max(1, _quota(rng, value * scale))

    talents = []
    for kind, (per_year, (month, day)) in TALENTS.items():
        for year in range(2023, ref.year + 1):
            listed = _workday(dt.date(year, month, day))
            if listed > ref:
                continue
            for n in range(count(per_year.get(year, per_year[max(per_year)]))):
                person = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
                talents.append(dict(kind=kind, name=f"{person}团队" if kind == "provincial_team" else person,
                                    company_id=None, district=rng.choices(codes, weights)[0], recognized_on=listed,
                                    batch=f"{year}年度", source="演示数据", created_at=now()))
    _flush(TalentAward, talents)
    n = 0
    carriers = []
    for year, per_year in CARRIERS_CITY.items():
        listed = _workday(dt.date(year, 6, 18))
        if listed > ref:
            continue
        for _ in range(count(per_year)):
            n += 1
            kind = rng.choice(("maker_space", "incubator"))
            carrier = Carrier(name=f"常州{rng.choice(_BRANDS)}{rng.choice(_BRANDS)}{'众创空间' if kind == 'maker_space' else '科技企业孵化器'}",
                              kind=kind, district=rng.choices(codes, weights)[0], operator=None)
            db.session.add(carrier)
            carriers.append((carrier, listed))
    db.session.flush()
    for carrier, listed in carriers:
        db.session.add(CarrierLevel(carrier_id=carrier.id, level="city", recognized_on=listed, source="演示数据"))
    for year, per_year in CARRIER_UPGRADES.items():
        listed = _workday(dt.date(year, 11, 20))
        if listed > ref:
            continue
        older = [c for c, day in carriers if day.year <= year - 2 and not getattr(c, "_upgraded", False)]
        rng.shuffle(older)
        for carrier in older[:count(per_year)]:
            carrier._upgraded = True  # noqa: SLF001 (a marker for this loop only)
            db.session.add(CarrierLevel(carrier_id=carrier.id, level="province", recognized_on=listed, source="演示数据"))
    for year, per_year in PLATFORMS.items():
        listed = _workday(dt.date(year, 9, 25))
        if listed > ref:
            continue
        for _ in range(count(per_year)):
            db.session.add(Platform(
                name=f"江苏省{rng.choice(_BRANDS)}{rng.choice(_BRANDS)}{rng.choice(['工程技术研究中心', '重点实验室', '新型研发机构', '技术创新中心'])}",
                kind=None, level="national" if rng.random() < 0.15 else "province",
                district=rng.choices(codes, weights)[0], recognized_on=listed, source="演示数据"))
    institutions = []
    total = max(INSTITUTIONS.values())
    names = [f"常州{rng.choice(_BRANDS)}{rng.choice(_BRANDS)}{rng.choice(['科技服务', '检测技术', '知识产权代理', '技术转移'])}有限公司{n + 1}"
             for n in range(count(total))]
    for year in range(2023, ref.year + 1):
        for n in range(min(len(names), count(INSTITUTIONS.get(year, total)))):
            institutions.append(dict(name=names[n], uscc=uscc_rules.make_code("9132040" + f"{n:010d}"),
                                     district=codes[n % len(codes)], year=year,
                                     business=("研发设计", "创业孵化", "技术转移", "检验检测")[n % 4],
                                     source="演示数据", created_at=now()))
    _flush(ServiceInstitution, institutions)
