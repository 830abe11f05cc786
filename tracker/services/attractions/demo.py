"""Demo attraction projects (招引项目) for the demo city: called by tracker.services.ops.demo_city
after the companies and users exist, inside its transaction (no commit here).

Every company attracted this year or last gets the settled project it came from (same channel,
落户日期 = its 招引落户日期); each district also has projects in every channel and open status
(线索, 在谈, 签约) and some 终止, with weekly notes over the past weeks — some written this week,
some not, so the weekly view has flags to show.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select, update

from tracker.extensions import db
from tracker.models import AttractionNote, AttractionProject, Company, User
from tracker.models.user import MANAGER, OFFICER
from tracker.rules import attraction as rules
from tracker.rules.districts import DISTRICT_CODES, INDUSTRIES

OPEN_PER_DISTRICT = 14
_BRANDS = "瑞芯华擎星海启明蓝湾中科智源博睿天工云帆海川金陵东升远景明德弘毅"
_KINDS = ("研发中心", "产业化项目", "中试基地", "总部项目", "创新中心", "孵化项目", "生产基地")
_SOURCES = rules.SOURCE_SUGGESTIONS[:6]
_NOTES = ("电话沟通，企业关注厂房和人才公寓配套", "实地考察载体，对租金政策有疑问", "与投资方三方会谈，估值仍有分歧",
          "提交项目计划书，待专家评审", "对接基金，投资意向书已起草", "企业负责人来常考察，走访两处园区",
          "协调注册地址和工商登记事项", "线上会议，讨论首期投资规模")
_NEXT = ("下周再约实地考察", "准备政策清单发给企业", "约辖区分管领导会见", "跟进投资协议条款", "协助办理注册手续", "")
_DROP = ("企业选择外地落户", "投资方撤资", "项目方向与本地产业不匹配", "企业暂缓扩张计划")


def _normalise_company_channels() -> None:
    """Company channels written as Chinese names (载体招引) become their codes."""
    for code, name in rules.BUILTIN_CHANNELS.items():
        spellings = sorted({name, name.removesuffix("招引")})
        db.session.execute(update(Company).where(Company.attraction_channel.in_(spellings))
                           .values(attraction_channel=code))


def _people() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for user_id, district in db.session.execute(select(User.id, User.district).where(
            User.active.is_(True), User.role.in_((OFFICER, MANAGER)), User.district.is_not(None)).order_by(User.id)):
        found.setdefault(district, []).append(user_id)
    return found


def _day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


_NAME_LENGTH = 200  # AttractionProject.name is String(200)
_DIGITS = "一二三四五六七八九"


def _phase(n: int) -> str:
    """（二期）, （十一期）, （二十期）: how a follow-on project of the same company is usually named."""
    if n >= 100:  # the numerals below stop at 九十九 (the demo needs （二期） at most)
        return f"（{n}期）"
    tens, ones = divmod(n, 10)
    numeral = ("" if tens < 2 else _DIGITS[tens - 1]) + ("十" if tens else "") + (_DIGITS[ones - 1] if ones else "")
    return f"（{numeral}期）"


def settled_project_name(company_name: str, district: str, taken: set[tuple[str, str]]) -> str:
    """The settled project's name for a company: 常州X有限公司 → 常州X落户项目.

    Dropping 有限公司 and 股份 makes 常州X有限公司 and 常州X股份有限公司 give the same name, which the
    live (district, name) unique index refuses, so a name already in `taken` gets （二期）, （三期）…
    (deterministic: the order of the companies decides which is which). The caller adds the result
    to `taken`.
    """
    base = f"{company_name.removesuffix('有限公司').removesuffix('股份')}落户项目"
    title, n = base[:_NAME_LENGTH], 1
    while (district, title) in taken:
        n += 1
        suffix = _phase(n)
        title = base[:_NAME_LENGTH - len(suffix)] + suffix
    return title


def seed_demo(rng: random.Random, reference: dt.date) -> int:
    """Insert the demo projects and notes; returns how many projects were created."""
    _normalise_company_channels()
    people = _people()
    channels = list(rules.BUILTIN_CHANNELS)
    taken: set[tuple[str, str]] = set()
    projects: list[AttractionProject] = []
    last_year_start = dt.date(reference.year - 1, 1, 1)

    attracted = db.session.execute(
        select(Company.id, Company.name, Company.district, Company.attracted_on, Company.attraction_channel,
               Company.industry, Company.founded_on)
        .where(Company.deleted_at.is_(None), Company.attracted_on >= last_year_start,
               Company.attracted_on <= reference)
        .order_by(Company.id)).all()
    for company_id, name, district, on, channel, industry, founded in attracted:
        channel = channel if channel in rules.BUILTIN_CHANNELS else rng.choice(channels)
        if channel is not None:
            db.session.execute(update(Company).where(Company.id == company_id).values(attraction_channel=channel))
        lead_on = max(on - dt.timedelta(days=rng.randint(45, 300)), founded or dt.date(2000, 1, 1))
        lead_on = min(lead_on, on)
        signed = _day_between(rng, lead_on, on)
        title = settled_project_name(name, district, taken)
        taken.add((district, title))
        projects.append(AttractionProject(
            name=title, channel=channel, source=rng.choice(_SOURCES), district=district,
            lead_officer_id=rng.choice(people[district]) if people.get(district) else None,
            status=rules.SETTLED, lead_on=lead_on, talking_on=_day_between(rng, lead_on, signed), signed_on=signed,
            settled_on=on, expected_capital=rng.choice((200, 500, 1000, 3000)), industry=industry,
            actual_capital=rng.choice((100, 300, 800, 2000, 5000)), company_id=company_id,
        ))

    for district in DISTRICT_CODES:
        leads = people.get(district, [])
        for n in range(OPEN_PER_DISTRICT):
            status = (rules.LEAD, rules.TALKING, rules.SIGNED, rules.DROPPED)[n % 4] if n < 12 else rng.choice(rules.OPEN_STATUSES)
            channel = channels[n % len(channels)]
            industry = rng.choice(INDUSTRIES)
            while True:
                title = f"{rng.choice(_BRANDS)}{rng.choice(_BRANDS)}{industry}{rng.choice(_KINDS)}"
                if (district, title) not in taken:
                    taken.add((district, title))
                    break
            lead_on = reference - dt.timedelta(days=rng.randint(20, 200))
            project = AttractionProject(
                name=title, channel=channel, source=rng.choice(_SOURCES), district=district,
                lead_officer_id=rng.choice(leads) if leads else None, status=status, lead_on=lead_on,
                expected_capital=rng.choice((300, 800, 1500, 5000, 10000)), industry=industry,
            )
            if status in (rules.TALKING, rules.SIGNED, rules.DROPPED):
                project.talking_on = _day_between(rng, lead_on, reference - dt.timedelta(days=10))
            if status == rules.SIGNED:
                project.signed_on = _day_between(rng, project.talking_on, reference - dt.timedelta(days=3))
            if status == rules.DROPPED:
                project.dropped_on = _day_between(rng, project.talking_on, reference)
                project.drop_reason = rng.choice(_DROP)
            projects.append(project)
    db.session.add_all(projects)
    db.session.flush()

    notes = []
    week = rules.week_start(reference)
    for project in projects:
        if project.status == rules.SETTLED and rng.random() < 0.7:
            continue
        end = project.settled_on or project.dropped_on or reference
        weeks = rng.randint(1, 6)
        for k in range(weeks):
            day = end - dt.timedelta(days=7 * k + rng.randint(0, 4))
            if day < project.lead_on:
                break
            if k == 0 and project.status in rules.OPEN_STATUSES and rng.random() < 0.4:
                day = min(day, week - dt.timedelta(days=1))  # this one has not been followed up this week
                if day < project.lead_on:
                    break
            notes.append(AttractionNote(project_id=project.id, noted_on=day, author_id=project.lead_officer_id,
                                        content=rng.choice(_NOTES), next_step=rng.choice(_NEXT) or None))
    db.session.add_all(notes)
    return len(projects)
