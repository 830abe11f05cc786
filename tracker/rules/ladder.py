"""The ladder (梯次培育): rungs, how long a designation (资质) lasts, and a company's stage as of a date.

Designations are the only source of truth: a stage is never stored, it is derived here from the
designation history, so the same answer comes out for any date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Protocol


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder: its code, Chinese name and short name, rank (1 = lowest) and the
    label of its reference number."""

    code: str
    name: str
    short_name: str
    rank: int
    reference_label: str


RUNGS: tuple[Rung, ...] = (
    Rung("tech_sme", "科技型中小企业", "科小", 1, "入库登记编号"),
    Rung("hnte", "高新技术企业", "高企", 2, "证书编号"),
    Rung("gazelle", "瞪羚企业", "瞪羚", 3, "编号"),
    Rung("potential_unicorn", "潜在独角兽企业", "潜在独角兽", 4, "编号"),
    Rung("unicorn", "独角兽企业", "独角兽", 5, "编号"),
)
RUNG_BY_CODE: dict[str, Rung] = {r.code: r for r in RUNGS}
RUNG_CODES: tuple[str, ...] = tuple(r.code for r in RUNGS)
RUNG_RANK: dict[str, int] = {r.code: r.rank for r in RUNGS}

PROSPECT = "prospect"
PROSPECT_NAME = "培育对象"
STAGE_NAMES: dict[str, str] = {PROSPECT: PROSPECT_NAME, **{r.code: r.name for r in RUNGS}}
STAGE_RANK: dict[str, int] = {PROSPECT: 0, **RUNG_RANK}
RANK_STAGE: dict[int, str] = {v: k for k, v in STAGE_RANK.items()}

_RUNG_ALIASES: dict[str, str] = {
    **{r.code: r.code for r in RUNGS},
    **{r.name: r.code for r in RUNGS},
    **{r.short_name: r.code for r in RUNGS},
    "科技型中小企业(评价入库)": "tech_sme",
    "科技型中小企业评价入库": "tech_sme",
    "国家高新技术企业": "hnte",
    "潜在独角兽": "potential_unicorn",
}


def parse_rung(text: str | None) -> str | None:
    """A rung code from its code or Chinese name (as written in official lists), or None."""
    if not text:
        return None
    cleaned = text.strip().replace("（", "(").replace("）", ")")
    return _RUNG_ALIASES.get(cleaned) or _RUNG_ALIASES.get(cleaned.lower())


# Validity periods [R]; gazelle and (potential) unicorn lists carry no expiry by default. They are
# data, not code, so a city that decides gazelles lapse after N years changes one number.
DEFAULT_VALIDITY_YEARS: dict[str, int | None] = {
    "tech_sme": None,  # special: to 31 Dec of the evaluation year
    "hnte": 3,
    "gazelle": None,
    "potential_unicorn": None,
    "unicorn": None,
}


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 29 Feb falls back to 28 Feb."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def default_valid_until(
    rung: str, valid_from: dt.date, validity_years: dict[str, int | None] | None = None
) -> dt.date | None:
    """Default end of validity: tech SME to 31 Dec of its year; HNTE the day before the issue
    date's anniversary (docs/DOMAIN.md §1). A 29 February issue has no anniversary in a common
    year: it ends on 28 February (2024-02-29 → 2027-02-28)."""
    years_by_rung = validity_years or DEFAULT_VALIDITY_YEARS
    if rung == "tech_sme":
        return dt.date(valid_from.year, 12, 31)
    years = years_by_rung.get(rung)
    if years is None:
        return None
    anniversary = add_years(valid_from, years)
    if anniversary.day != valid_from.day:  # 29 Feb → 28 Feb: already the last day
        return anniversary
    return anniversary - dt.timedelta(days=1)


class DesignationLike(Protocol):
    """What the ladder reads of a designation (the model, or a plain record in tests)."""

    rung: str
    granted_on: dt.date | None
    valid_from: dt.date
    valid_until: dt.date | None
    revoked_on: dt.date | None


def counts_from(d: DesignationLike) -> dt.date:
    """The first day a designation counts: the later of its grant date and its valid_from.

    One date rule for every rung, the stage and every indicator (docs/DOMAIN.md §1): a listing
    valid from 1 January but granted on 1 September counts from 1 September. The SQL twin is
    tracker.services.stages.counted_clause.
    """
    granted = getattr(d, "granted_on", None)
    return max(granted, d.valid_from) if granted is not None else d.valid_from


def in_force(d: DesignationLike, on: dt.date) -> bool:
    """True when the designation counts on day `on`: granted and started, not ended, not revoked by then."""
    if counts_from(d) > on:
        return False
    if d.valid_until is not None and d.valid_until < on:
        return False
    if d.revoked_on is not None and d.revoked_on <= on:
        return False
    return True


def end_of(d: DesignationLike) -> dt.date | None:
    """The last day the designation counts (revocation ends it the day before), or None."""
    ends = []
    if d.valid_until is not None:
        ends.append(d.valid_until)
    if d.revoked_on is not None:
        ends.append(d.revoked_on - dt.timedelta(days=1))
    return min(ends) if ends else None


def never_counted(d: DesignationLike) -> bool:
    """True for a designation that ended before it started counting (revoked on its grant day)."""
    end = end_of(d)
    return end is not None and end < counts_from(d)


def stage_as_of(designations: Iterable[DesignationLike], on: dt.date) -> str:
    """A company's stage on a date: its highest rung in force, or `prospect` below the ladder."""
    best = 0
    for d in designations:
        if in_force(d, on):
            best = max(best, RUNG_RANK.get(d.rung, 0))
    return RANK_STAGE[best]


def rungs_held(designations: Iterable[DesignationLike], on: dt.date) -> set[str]:
    """Every rung in force on a date (rungs are not exclusive: a gazelle usually is an HNTE too)."""
    return {d.rung for d in designations if in_force(d, on)}


# The timeline's vocabulary. A rung event is a change of one rung held; a stage change is a change
# of the company's highest rung.
RUNG_EVENT_NAMES: dict[str, str] = {
    "granted": "认定", "recertified": "重新认定", "lapsed": "到期", "revoked": "撤销",
}
# Tech SMEs are registered (入库) for one evaluation year at a time.
_RUNG_EVENT_NAMES_BY_RUNG: dict[str, dict[str, str]] = {
    "tech_sme": {"granted": "入库", "recertified": "再次入库", "lapsed": "年度到期"},
}
STAGE_CHANGE_NAMES: dict[str, str] = {
    "promotion": "晋级", "lapse": "资质到期", "revocation": "资质撤销", "recertification": "重新认定", "demotion": "降级",
}


def gap_label(gap_days: int | None) -> str:
    """"中断 N 天" for a renewal after a lapse; empty for a seamless or overlapping one."""
    return f"中断 {gap_days} 天" if gap_days else ""


@dataclass(frozen=True)
class RungEvent:
    """One change of one rung held: granted, recertified (with the days without it), lapsed, revoked.

    `still_held` marks a revocation of a certificate the company no longer relied on (a newer one
    of the same rung is in force): the rung is kept.
    """

    on: dt.date
    rung: str
    kind: str  # granted | recertified | lapsed | revoked
    gap_days: int | None = None
    still_held: bool = False

    @property
    def label(self) -> str:
        """The event in Chinese (认定, 重新认定, 到期, 撤销; 入库 … for tech SMEs)."""
        return _RUNG_EVENT_NAMES_BY_RUNG.get(self.rung, {}).get(self.kind) or RUNG_EVENT_NAMES[self.kind]

    @property
    def detail(self) -> str:
        """What else the reader needs: the gap of a renewal, or that the rung is still held."""
        if self.kind == "revoked" and self.still_held:
            return "仍持有有效资质"
        return gap_label(self.gap_days)


@dataclass(frozen=True)
class StageChange:
    """One step of a company's stage line (its highest rung)."""

    on: dt.date
    from_stage: str
    to_stage: str
    reason: str  # promotion | lapse | revocation | recertification | demotion
    gap_days: int | None = None  # recertification: the days the rung was not held

    @property
    def label(self) -> str:
        """The change in Chinese (晋级, 资质到期 ...)."""
        return STAGE_CHANGE_NAMES[self.reason]

    @property
    def detail(self) -> str:
        """The gap of a return to a rung held before ("中断 5 天"), else empty."""
        return gap_label(self.gap_days)


@dataclass(frozen=True)
class Timeline:
    """A company's history: every change of every rung held, and the stage line derived from them."""

    events: tuple[RungEvent, ...]
    stages: tuple[StageChange, ...]

    def for_rung(self, rung: str) -> list[RungEvent]:
        """The events of one rung, oldest first."""
        return [e for e in self.events if e.rung == rung]

    def by_rung(self) -> list[tuple[Rung, list[RungEvent]]]:
        """(rung, its events) for every rung the company ever held, highest rung first."""
        return [(r, self.for_rung(r.code)) for r in reversed(RUNGS) if self.for_rung(r.code)]

    def __bool__(self) -> bool:
        """True once the company has any designation record (even one revoked on its grant day)."""
        return bool(self.events)


def _boundaries(items: list[DesignationLike]) -> list[dt.date]:
    """Every day on which something starts or stops counting."""
    days: set[dt.date] = set()
    for d in items:
        if never_counted(d):
            continue
        days.add(counts_from(d))
        end = end_of(d)
        if end is not None:
            days.add(end + dt.timedelta(days=1))
    return sorted(days)


def _rung_events(rung: str, items: list[DesignationLike]) -> list[RungEvent]:
    """The events of one rung, from its designations (evaluated on each boundary day)."""
    events: list[RungEvent] = []
    held_before, lost_on = False, None  # lost_on: the first day without the rung after holding it
    counted = [d for d in items if not never_counted(d)]
    for day in _boundaries(counted):
        held = any(in_force(d, day) for d in counted)
        starting = [d for d in counted if counts_from(d) == day]
        if held and lost_on is None and not held_before:
            events.append(RungEvent(day, rung, "granted"))
        elif held and lost_on is not None:
            events.append(RungEvent(day, rung, "recertified", gap_days=(day - lost_on).days))
        elif held and starting and held_before:
            # A new designation while the old one still counts (overlap) or right after it ends.
            events.append(RungEvent(day, rung, "recertified", gap_days=0))
        ended = [d for d in counted if not in_force(d, day) and in_force(d, day - dt.timedelta(days=1))]
        revoked = [d for d in ended if d.revoked_on == day]
        if revoked:
            events.append(RungEvent(day, rung, "revoked", still_held=held))
        elif ended and not held:
            events.append(RungEvent(day, rung, "lapsed"))
        if held:
            held_before, lost_on = True, None
        elif held_before and lost_on is None:
            lost_on = day
    for d in items:
        if never_counted(d) and d.revoked_on is not None:  # revoked before it ever counted: keep both facts
            events.append(RungEvent(counts_from(d), rung, "granted"))
            events.append(RungEvent(d.revoked_on, rung, "revoked"))
    return sorted(events, key=lambda e: (e.on, e.kind != "granted"))


def _stage_line(items: list[DesignationLike]) -> list[StageChange]:
    """Every change of the highest rung held, with the reason. A return to a rung held before is a
    re-certification, with the days the company went without that rung."""
    changes: list[StageChange] = []
    counted = [d for d in items if not never_counted(d)]
    previous = PROSPECT
    for day in _boundaries(counted):
        current = stage_as_of(counted, day)
        if current != previous:
            if STAGE_RANK[current] > STAGE_RANK[previous]:
                earlier = [e for d in counted if d.rung == current and (e := end_of(d)) is not None and e < day]
                if earlier:
                    gap = (day - max(earlier)).days - 1
                    changes.append(StageChange(day, previous, current, "recertification", gap_days=gap))
                else:
                    changes.append(StageChange(day, previous, current, "promotion"))
            else:
                ended = [d for d in counted if in_force(d, day - dt.timedelta(days=1)) and not in_force(d, day)]
                revoked = any(d.revoked_on == day for d in ended)
                reason = "revocation" if revoked else ("lapse" if ended else "demotion")
                changes.append(StageChange(day, previous, current, reason))
        previous = current
    return changes


def stage_timeline(designations: Iterable[DesignationLike]) -> Timeline:
    """A company's timeline: the events of every rung it held, and its stage line.

    Every change of any rung appears (a renewal that overlaps the old certificate, an HNTE lapse
    under a gazelle, a designation revoked on its grant day), not only the changes of the top rung.
    """
    items = list(designations)
    events: list[RungEvent] = []
    for rung in RUNG_CODES:
        events.extend(_rung_events(rung, [d for d in items if d.rung == rung]))
    events.sort(key=lambda e: (e.on, -RUNG_RANK[e.rung]))
    return Timeline(events=tuple(events), stages=tuple(_stage_line(items)))
