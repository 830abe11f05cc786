"""A deterministic synthetic city for demos and benchmarks (`flask demo-data`).

Same seed and reference date, same city. Rows go in with bulk INSERTs in batches, so the
100,000-company city of the benchmark loads in minutes.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func, insert, literal, or_, select, text

from tracker.clock import now
from tracker.extensions import db
from tracker.models import (
    AnnualReport, Assignment, Carrier, CarrierLevel, Company, CompanyYearFigures, CultivationTrack, Designation,
    FollowUp, Platform, ServiceInstitution, TalentAward, TrackTransition, User, Visit,
)
from tracker.rules import uscc as uscc_rules
from tracker.rules.districts import DISTRICT_NAMES, DISTRICTS, INDUSTRIES
from tracker.rules.ladder import default_valid_until
from tracker.services.unit_of_work import unit_of_work
from werkzeug.security import generate_password_hash

DEMO_PASSWORD = "changzhou2027"
# Shares of the plan's 2027 HNTE district targets, so the demo city looks like Changzhou.
DISTRICT_WEIGHTS = {"liyang": 505, "jintan": 695, "wujin": 2300, "xinbei": 2300, "tianning": 695, "zhonglou": 655, "jingkai": 850}
_BRANDS = "恒瑞华创天合中科新智博远星辰云海金石龙腾东方银河精工宏达瑞丰卓越鼎盛晶锐汇能光合翔宇"
_SUFFIX = {"新能源": "新能源科技", "新材料": "新材料", "高端装备": "智能装备", "智能制造": "智能制造",
           "生物技术与医药": "生物医药", "集成电路": "微电子", "新型碳材料": "碳材料科技",
           "轨道交通": "轨道交通设备", "机器人": "机器人", "其他": "科技"}
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
BATCH = 5000


@dataclass
class DemoCounts:
    users: int = 0
    companies: int = 0
    designations: int = 0
    visits: int = 0
    follow_ups: int = 0
    tracks: int = 0


def _uscc(rng: random.Random, division: str) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8))
    return uscc_rules.make_code("91" + division + body)


def _flush(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start:start + BATCH])
    rows.clear()


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def has_companies() -> bool:
    """True when the database already holds companies (the demo city only loads into an empty one)."""
    return bool(db.session.scalar(select(func.count(Company.id))))


def generate(companies: int = 2000, seed: int = 2027, reference: dt.date | None = None) -> DemoCounts:
    """Build the demo city into an empty database in one unit of work. Returns what was created."""
    if has_companies():
        raise RuntimeError("数据库中已有企业数据；演示数据只能载入空数据库")
    with unit_of_work():
        counts = _build_city(companies, seed, reference)
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


def _build_city(companies: int, seed: int, reference: dt.date | None) -> DemoCounts:
    """Insert the whole city in batches (flushed, not committed: the caller's unit commits once)."""
    rng = random.Random(seed)
    ref = reference or dt.date(2026, 11, 24)
    counts = DemoCounts()
    created = now()
    password_hash = generate_password_hash(DEMO_PASSWORD, method="scrypt")

    # Users: one admin, a manager per district, officers (about one per 100 companies).
    users: list[dict] = []
    uid = _next_id(User)
    officers: dict[str, list[int]] = {}
    managers: dict[str, int] = {}
    users.append(dict(id=uid, email="admin@example.com", name="市科技局管理员", role="admin", district=None,
                      password_hash=password_hash, session_token=f"demo-admin-{seed}", active=True,
                      notify_mode="immediate", digest_opt_out=False, created_at=created))
    uid += 1
    per_district = max(3, companies // 100 // len(DISTRICTS))  # ~1,000 officers at 100,000 companies
    for d in DISTRICTS:
        users.append(dict(id=uid, email=f"manager.{d.code}@example.com", name=f"{d.name[:2]}科技局管理员",
                          role="manager", district=d.code, password_hash=password_hash,
                          session_token=f"demo-m-{d.code}-{seed}", active=True, notify_mode="immediate",
                          digest_opt_out=False, created_at=created))
        managers[d.code] = uid
        uid += 1
        for n in range(1, per_district + 1):
            users.append(dict(id=uid, email=f"officer.{d.code}.{n}@example.com", name=f"{d.name[:2]}专员{n:02d}",
                              role="officer", district=d.code, password_hash=password_hash,
                              session_token=f"demo-o-{d.code}-{n}-{seed}", active=True, notify_mode="immediate",
                              digest_opt_out=False, created_at=created))
            officers.setdefault(d.code, []).append(uid)
            uid += 1
    counts.users = len(users)
    _flush(User, users)

    company_rows, designation_rows, assignment_rows, figure_rows = [], [], [], []
    visit_rows, follow_rows, track_rows, transition_rows = [], [], [], []
    cid, did, vid, tid = _next_id(Company), _next_id(Designation), _next_id(Visit), _next_id(CultivationTrack)
    district_codes = list(DISTRICT_WEIGHTS)
    weights = list(DISTRICT_WEIGHTS.values())
    division = {d.code: d.division_code or "320412" for d in DISTRICTS}
    seen_codes: set[str] = set()

    for _ in range(companies):
        district = rng.choices(district_codes, weights)[0]
        industry = rng.choice(INDUSTRIES)
        founded = dt.date(rng.randint(1998, 2024), rng.randint(1, 12), rng.randint(1, 28))
        code = _uscc(rng, division[district])
        while code in seen_codes:
            code = _uscc(rng, division[district])
        seen_codes.add(code)
        attracted = None
        if founded.year >= 2018 and rng.random() < 0.35:
            attracted = min(ref, founded + dt.timedelta(days=rng.randint(0, 900)))
        name = f"常州{rng.choice(_BRANDS)}{rng.choice(_BRANDS)}{_SUFFIX[industry]}有限公司"
        company_rows.append(dict(
            id=cid, uscc=code, name=name, district=district, industry=industry, founded_on=founded,
            attracted_on=attracted, attraction_channel=rng.choice(["载体招引", "平台招引", "大赛招引", "基金招引"]) if attracted else None,
            address=f"{DISTRICT_NAMES[district]}某路{rng.randint(1, 999)}号", contact_name=rng.choice("王李张刘陈杨赵黄周吴") + "经理",
            contact_phone=f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}",
            uscc_check_override=False, deleted_at=None, version=1, created_at=created, updated_at=created,
        ))
        officer_id = rng.choice(officers[district])
        assignment_rows.append(dict(company_id=cid, officer_id=officer_id, is_primary=True,
                                    assigned_from=dt.date(2023, 1, 1), assigned_until=None,
                                    assigned_by_id=managers[district], created_at=created))

        # Ladder history: tech SME registrations, HNTE certificates with renewals, higher rungs.
        tier = rng.random()
        start_year = max(2019, founded.year + 1)
        registered = False
        if tier < 0.6:
            for year in range(start_year, ref.year + 1):
                if rng.random() < (0.75 if registered else 0.45):
                    granted = dt.date(year, rng.choice([4, 6, 8, 10]), rng.randint(1, 28))
                    if granted > ref:
                        continue
                    designation_rows.append(dict(id=did, company_id=cid, rung="tech_sme",
                        reference=f"{year}3204{rng.randint(10, 99)}{cid:06d}", granted_on=granted,
                        valid_from=granted, valid_until=dt.date(year, 12, 31), batch=f"{year}年第{rng.randint(1, 6)}批",
                        source="demo", revoked_on=None, revoke_reason=None, created_by_id=None, created_at=created))
                    did += 1
                    registered = True
        hnte_start = None
        if tier < 0.45 and founded.year <= ref.year - 2:
            hnte_start = dt.date(rng.randint(max(2017, founded.year + 1), min(ref.year, 2025)), rng.choice([10, 11, 12]), rng.randint(1, 28))
            issued = hnte_start
            while issued <= ref:
                until = default_valid_until("hnte", issued)
                revoked = None
                reason = None
                if rng.random() < 0.02:
                    revoked = issued + dt.timedelta(days=rng.randint(100, 900))
                    revoked = revoked if revoked <= ref else None
                    reason = "经复核不符合认定条件，取消高新技术企业资格" if revoked else None
                designation_rows.append(dict(id=did, company_id=cid, rung="hnte",
                    reference=f"GR{issued.year}3204{rng.randint(10000, 99999)}", granted_on=issued,
                    valid_from=issued, valid_until=until, batch=f"江苏省{issued.year}年第{rng.randint(1, 3)}批",
                    source="demo", revoked_on=revoked, revoke_reason=reason, created_by_id=None, created_at=created))
                did += 1
                if revoked or rng.random() > 0.8:
                    break
                issued = dt.date(until.year, rng.choice([10, 11, 12]), rng.randint(1, 28))
        if hnte_start and rng.random() < 0.22:
            year = rng.randint(max(2020, hnte_start.year + 1), ref.year)
            granted = dt.date(year, 9, rng.randint(1, 28))
            if granted <= ref:
                designation_rows.append(dict(id=did, company_id=cid, rung="gazelle", reference=None,
                    granted_on=granted, valid_from=granted, valid_until=None, batch=f"{year}年江苏省瞪羚企业",
                    source="demo", revoked_on=None, revoke_reason=None, created_by_id=None, created_at=created))
                did += 1
                if rng.random() < 0.08:
                    pu = dt.date(min(ref.year, year + 1), 6, 15)
                    if pu <= ref:
                        designation_rows.append(dict(id=did, company_id=cid,
                            rung="unicorn" if rng.random() < 0.1 else "potential_unicorn", reference=None,
                            granted_on=pu, valid_from=pu, valid_until=None, batch=f"{pu.year}年独角兽榜单",
                            source="demo", revoked_on=None, revoke_reason=None, created_by_id=None, created_at=created))
                        did += 1

        # Yearly figures for the last five years.
        staff = rng.randint(8, 600)
        revenue = rng.uniform(200, 60000)
        for year in range(ref.year - 5, ref.year):
            if year < founded.year:
                continue
            revenue = revenue * rng.uniform(0.9, 1.35)
            staff = max(5, int(staff * rng.uniform(0.9, 1.2)))
            rd = revenue * rng.uniform(0.01, 0.09)
            figure_rows.append(dict(company_id=cid, year=year, staff_count=staff,
                st_staff_count=int(staff * rng.uniform(0.05, 0.45)), revenue=round(revenue, 2),
                rd_expense=round(rd, 2), rd_expense_domestic=round(rd * rng.uniform(0.5, 1.0), 2),
                total_cost=round(revenue * rng.uniform(0.6, 0.95), 2), total_assets=round(revenue * rng.uniform(0.5, 2.0), 2),
                hightech_revenue=round(revenue * rng.uniform(0.2, 0.95), 2),
                ip_class1_count=rng.choice([0, 0, 1, 2, 3, 5]), ip_class2_count=rng.randint(0, 12),
                valuation=round(revenue * rng.uniform(2, 12), 2) if rng.random() < 0.1 else None,
                financing_amount=round(rng.uniform(500, 20000), 2) if rng.random() < 0.08 else None,
                # the two HNTE declarations (重点领域, 无重大事故): recorded for most companies
                key_field=rng.random() < 0.95, major_incident=rng.random() < 0.02,
                is_listed=False, innovation_score=None, notes=None, version=1, updated_at=created))

        # Visits over the last two years, a follow-up raised at some.
        last = ref - dt.timedelta(days=rng.randint(5, 500))
        for _v in range(rng.randint(0, 20)):  # ~10 visits per company
            visit_rows.append(dict(id=vid, company_id=cid, officer_id=officer_id, visited_on=last,
                kind=rng.choice(["onsite", "onsite", "phone", "online", "event"]), people_met=rng.choice(["总经理", "财务负责人", "研发总监", "董事长"]),
                summary=rng.choice(["了解企业研发投入与高企申报准备情况", "宣讲科技政策，梳理知识产权布局", "走访了解融资需求", "跟进科小评价入库材料"]),
                next_planned_on=None, version=1, created_at=created, updated_at=created))
            if rng.random() < 0.2:
                due = last + dt.timedelta(days=rng.randint(10, 60))
                status = "closed" if due < ref - dt.timedelta(days=60) else rng.choice(["open", "in_progress", "resolved", "closed"])
                follow_rows.append(dict(company_id=cid, visit_id=vid, category=rng.choice(["policy", "funding", "talent", "land", "tech", "ip", "qualification"]),
                    description=rng.choice(["希望了解研发费用加计扣除政策", "需要对接科技贷款产品", "引进研发人才的住房问题", "厂房扩建用地需求", "寻求高校技术合作"]),
                    owner_id=officer_id, due_on=due, status=status,
                    resolution="已协调相关部门办理" if status in ("resolved", "closed") else None,
                    satisfaction="satisfied" if status == "closed" else None, created_at=created, updated_at=created, version=1))
            vid += 1
            last = last - dt.timedelta(days=rng.randint(20, 90))

        # Cultivation: each company may be on the list of its next rung, this year or next.
        has_gazelle = any(r["company_id"] == cid and r["rung"] == "gazelle" for r in designation_rows[-6:])
        target = None
        if not registered and not hnte_start and rng.random() < 0.3:
            target = "tech_sme"
        elif not hnte_start and rng.random() < 0.5:
            target = "hnte"
        elif hnte_start and not has_gazelle and rng.random() < 0.35:
            target = "gazelle"
        if target:
            year = rng.choice([ref.year, ref.year + 1])
            status = rng.choice(["pool", "pool", "key", "submitted"]) if year > ref.year else rng.choice(["pool", "key", "submitted", "submitted", "rejected"])
            since = dt.datetime(ref.year, rng.randint(1, ref.month), rng.randint(1, 28), 9, tzinfo=dt.timezone.utc)
            track_rows.append(dict(id=tid, company_id=cid, target_rung=target, year=year, status=status,
                status_since=since, owner_id=officer_id, designation_id=None, reopened_from_id=None, note=None,
                version=1, created_at=since))
            transition_rows.append(dict(track_id=tid, from_status=None, to_status=status, at=since,
                by_id=managers[district], reason="演示数据" if status != "rejected" else "评审未通过（演示数据）"))
            tid += 1
        # Last year's decided HNTE list: certificates first issued last year were recognised
        # through a track; some prospects were rejected. Gives the projection a recognition rate.
        if hnte_start and hnte_start.year == ref.year - 1 and rng.random() < 0.7:
            first_hnte = next(r["id"] for r in designation_rows if r["company_id"] == cid and r["rung"] == "hnte")
            decided = [("recognized", first_hnte, "认定通过（演示数据）")]
        elif not hnte_start and registered and rng.random() < 0.08:
            decided = [("rejected", None, "评审未通过（演示数据）")]
        else:
            decided = []
        for status, designation_id, reason in decided:
            since = dt.datetime(ref.year - 1, 11, rng.randint(1, 28), 9, tzinfo=dt.timezone.utc)
            track_rows.append(dict(id=tid, company_id=cid, target_rung="hnte", year=ref.year - 1, status=status,
                status_since=since, owner_id=officer_id, designation_id=designation_id, reopened_from_id=None,
                note=None, version=1, created_at=since))
            transition_rows.append(dict(track_id=tid, from_status="submitted", to_status=status, at=since,
                by_id=managers[district], reason=reason))
            tid += 1
        cid += 1

        if len(company_rows) >= BATCH:
            _flush_all(company_rows, designation_rows, assignment_rows, figure_rows, visit_rows, follow_rows, track_rows, transition_rows, counts)

    _flush_all(company_rows, designation_rows, assignment_rows, figure_rows, visit_rows, follow_rows, track_rows, transition_rows, counts)
    _registries(rng, ref, max(1, companies // 2000))
    _annual_reports(ref)
    return counts


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


def _flush_all(company_rows, designation_rows, assignment_rows, figure_rows, visit_rows, follow_rows, track_rows, transition_rows, counts):
    counts.companies += len(company_rows)
    counts.designations += len(designation_rows)
    counts.visits += len(visit_rows)
    counts.follow_ups += len(follow_rows)
    counts.tracks += len(track_rows)
    for model, rows in ((Company, company_rows), (Designation, designation_rows), (Assignment, assignment_rows),
                        (CompanyYearFigures, figure_rows), (Visit, visit_rows), (FollowUp, follow_rows),
                        (CultivationTrack, track_rows), (TrackTransition, transition_rows)):
        _flush(model, rows)


def _registries(rng: random.Random, ref: dt.date, scale: int) -> None:
    """Talents, teams, carriers, platforms and service institutions for indicators 6–12."""
    codes = [d.code for d in DISTRICTS]
    talents = []
    for year in range(2023, ref.year + 1):
        last_day = ref if year == ref.year else dt.date(year, 12, 31)
        for kind, per_year in (("provincial_innovation", 32), ("provincial_team", 6), ("city_high_level", 380)):
            for n in range(per_year * scale):
                day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, (last_day - dt.date(year, 1, 1)).days))
                talents.append(dict(kind=kind, name=f"{'团队' if kind == 'provincial_team' else '人才'}{year}-{n + 1:03d}",
                                    company_id=None, district=rng.choice(codes), recognized_on=day,
                                    batch=f"{year}年度", source="演示数据", created_at=now()))
    _flush(TalentAward, talents)
    for n in range(60 * scale):
        carrier = Carrier(name=f"常州{rng.choice(_BRANDS)}{rng.choice(_BRANDS)}{rng.choice(['众创空间', '科技企业孵化器'])}{n + 1}",
                          kind=rng.choice(["maker_space", "incubator"]), district=rng.choice(codes), operator=None)
        db.session.add(carrier)
        db.session.flush()
        city_day = dt.date(rng.randint(2019, ref.year), rng.randint(1, 12), rng.randint(1, 28))
        if city_day > ref:
            city_day = ref
        db.session.add(CarrierLevel(carrier_id=carrier.id, level="city", recognized_on=city_day, source="演示数据"))
        if rng.random() < 0.45:
            prov_day = min(ref, city_day + dt.timedelta(days=rng.randint(200, 1200)))
            if prov_day > city_day:
                db.session.add(CarrierLevel(carrier_id=carrier.id, level="province", recognized_on=prov_day, source="演示数据"))
    for n in range(40 * scale):
        day = dt.date(rng.randint(2021, ref.year), rng.randint(1, 12), rng.randint(1, 28))
        db.session.add(Platform(name=f"江苏省{rng.choice(['工程技术研究中心', '重点实验室', '新型研发机构', '技术创新中心'])}{n + 1}",
                                kind=None, level=rng.choice(["province", "province", "national"]),
                                district=rng.choice(codes), recognized_on=min(day, ref), source="演示数据"))
    institutions = []
    for year in range(2023, ref.year + 1):
        for n in range(700 * scale):
            institutions.append(dict(name=f"常州科技服务机构{n + 1:04d}",
                                     uscc=uscc_rules.make_code("9132040" + f"{n:010d}"),
                                     district=codes[n % len(codes)], year=year, business=rng.choice(["研发设计", "创业孵化", "技术转移", "检验检测"]),
                                     source="演示数据", created_at=now()))
            if rng.random() < 0.02:
                institutions.pop()
    _flush(ServiceInstitution, institutions)
