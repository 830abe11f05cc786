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
    """Default end of validity: tech SME to 31 Dec of its year; HNTE issue + 3 years − 1 day."""
    years_by_rung = validity_years or DEFAULT_VALIDITY_YEARS
    if rung == "tech_sme":
        return dt.date(valid_from.year, 12, 31)
    years = years_by_rung.get(rung)
    if years is None:
        return None
    return add_years(valid_from, years) - dt.timedelta(days=1)


class DesignationLike(Protocol):
    """What the ladder reads of a designation (the model, or a plain record in tests)."""

    rung: str
    valid_from: dt.date
    valid_until: dt.date | None
    revoked_on: dt.date | None


def in_force(d: DesignationLike, on: dt.date) -> bool:
    """True when the designation counts on day `on`: started, not ended, not revoked by then."""
    if d.valid_from > on:
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


@dataclass(frozen=True)
class StageChange:
    """One step of a company's stage timeline."""

    on: dt.date
    from_stage: str
    to_stage: str
    reason: str  # promotion | lapse | revocation | recertification | demotion

    @property
    def label(self) -> str:
        """The change in Chinese (晋级, 资质到期 ...)."""
        return {
            "promotion": "晋级",
            "lapse": "资质到期",
            "revocation": "资质撤销",
            "recertification": "重新认定",
            "demotion": "降级",
        }[self.reason]


def stage_timeline(designations: Iterable[DesignationLike]) -> list[StageChange]:
    """Every change of stage, derived by evaluating the stage on each day something starts or ends.

    A designation that starts the day after another of the same rung ends (HNTE re-certification)
    keeps the stage unchanged; it is reported as `recertification` so the timeline shows it.
    """
    items = list(designations)
    days: set[dt.date] = set()
    for d in items:
        days.add(d.valid_from)
        end = end_of(d)
        if end is not None:
            days.add(end + dt.timedelta(days=1))
    changes: list[StageChange] = []
    previous = PROSPECT
    for day in sorted(days):
        current = stage_as_of(items, day)
        if current != previous:
            if STAGE_RANK[current] > STAGE_RANK[previous]:
                reason = "promotion"
            else:
                ended = [d for d in items if in_force(d, day - dt.timedelta(days=1)) and not in_force(d, day)]
                revoked = any(d.revoked_on == day for d in ended)
                reason = "revocation" if revoked else ("lapse" if ended else "demotion")
            changes.append(StageChange(day, previous, current, reason))
        else:
            renewed = [
                d for d in items
                if d.valid_from == day and d.rung == current
                and any(
                    o is not d and o.rung == d.rung and end_of(o) == day - dt.timedelta(days=1)
                    for o in items
                )
            ]
            if renewed and current != PROSPECT:
                changes.append(StageChange(day, previous, current, "recertification"))
        previous = current
    return changes
