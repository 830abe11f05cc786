"""Year-end projection (年末预计) of indicators 1–4 and the building blocks of the gap plan.

docs/DOMAIN.md §4. Everything is counted GROUP BY district in a handful of statements, so the
city figure and every district's come from the same rows:
- today: the indicator as of D;
- lapsing: counted on D, no longer counted on 31 Dec by the designations on record, split by
  whether a re-application track exists (tracker.services.certificates.reapplication for HNTE);
- the pipeline: open tracks of the indicator's rungs of companies not counted on 31 Dec, by
  status and by kind (re-application or first application), each company once at its most
  advanced status;
- the conversion rates, measured on last year's tracks, per district and city-wide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, extract, func, or_, select
from sqlalchemy.orm import aliased

from tracker.extensions import db
from tracker.models import Company, CultivationTrack, Designation, TrackTransition, User
from tracker.rules import indicators as rules
from tracker.rules.cultivation import KEY, OPEN_STATUSES, POOL, RECOGNIZED, REJECTED, SUBMITTED
from tracker.services.certificates.reapplication import reapplication_clause
from tracker.services.indicators.definitions import companies_counted, designation_clause
from tracker.services.indicators.rollup import roll_up
from tracker.services.indicators.scope import Scope, scope_for

RE, FIRST = "re", "first"  # a re-application (重新认定/再次入库) or a first application
KINDS: tuple[str, ...] = (RE, FIRST)
KIND_NAMES: dict[str, str] = {RE: "重新认定", FIRST: "首次申报"}
PIPELINE_STATUSES: tuple[str, ...] = (SUBMITTED, KEY, POOL)  # most advanced first
_RANK: dict[str, int] = {POOL: 1, KEY: 2, SUBMITTED: 3}
_STATUS_OF_RANK: dict[int, str] = {rank: status for status, rank in _RANK.items()}

ByDistrict = dict[str | None, int]


def _rungs_clause(column, code: str):
    rungs = rules.PROJECTION_TRACK_RUNGS[code]
    return column == rungs[0] if len(rungs) == 1 else column.in_(rungs)


def reapplying_clause(code: str, track=CultivationTrack):
    """WHERE clause on a track: its company re-applies for what it held, rather than applying first.

    HNTE: the company holds a certificate ending in the track's year (the re-application of
    tracker.services.certificates.reapplication, read from the track's side); tech SME: it was
    registered the year before; gazelle and unicorns: it was granted the rung in an earlier year.
    """
    held = aliased(Designation)
    if code == rules.HNTE:
        when = extract("year", held.valid_until) == track.year
    elif code == rules.TECH_SME_REGISTERED:
        when = extract("year", held.valid_from) == track.year - 1
    else:
        when = extract("year", held.granted_on) < track.year
    return exists().where(held.company_id == track.company_id, _rungs_clause(held.rung, code), when)


def _has_reapplication(code: str, as_of: dt.date, horizon: dt.date):
    """WHERE clause on Company: the certificate it loses by `horizon` has a re-application track."""
    if code == rules.HNTE:
        return Company.id.in_(select(Designation.company_id).where(
            designation_clause(code, as_of), Designation.valid_until <= horizon, reapplication_clause(Designation),
        ))
    return exists().where(
        CultivationTrack.company_id == Company.id, _rungs_clause(CultivationTrack.target_rung, code),
        CultivationTrack.year.between(as_of.year, horizon.year),
        CultivationTrack.status.in_(tuple(OPEN_STATUSES) + (RECOGNIZED,)),
    )


def _grouped(query) -> ByDistrict:
    return {district: int(n or 0) for district, n in db.session.execute(query).all()}


def today_by_district(scope: Scope, code: str, as_of: dt.date) -> ByDistrict:
    """district → the indicator's count on `as_of`."""
    return _grouped(
        select(Company.district, func.count(Company.id))
        .where(scope.company_clause(), companies_counted(code, as_of)).group_by(Company.district)
    )


def lapsing_by_district(scope: Scope, code: str, as_of: dt.date, horizon: dt.date) -> dict[bool, ByDistrict]:
    """{has re-application: district → companies counted on `as_of` and no longer on `horizon`}."""
    result: dict[bool, ByDistrict] = {True: {}, False: {}}
    if as_of >= horizon:
        return result
    per_company = (
        select(
            Company.district.label("district"),
            case((_has_reapplication(code, as_of, horizon), 1), else_=0).label("re"),
        )
        .where(scope.company_clause(), lapsing_clause(code, as_of, horizon))
        .subquery()
    )
    rows = db.session.execute(
        select(per_company.c.district, per_company.c.re, func.count())
        .group_by(per_company.c.district, per_company.c.re)
    ).all()
    for district, has, n in rows:
        result[bool(has)][district] = int(n or 0)
    return result


def lapsing_clause(code: str, as_of: dt.date, horizon: dt.date, with_reapplication: bool | None = None):
    """WHERE clause on Company: counted on `as_of`, not on `horizon` (optionally: with/without re-application)."""
    clause = and_(companies_counted(code, as_of), ~companies_counted(code, horizon))
    if with_reapplication is True:
        clause = and_(clause, _has_reapplication(code, as_of, horizon))
    elif with_reapplication is False:
        clause = and_(clause, ~_has_reapplication(code, as_of, horizon))
    return clause


def _pipeline_tracks(code: str, as_of: dt.date, horizon: dt.date):
    """Open tracks of the indicator's rungs for the years as_of..horizon whose company is not counted on `horizon`."""
    return and_(
        _rungs_clause(CultivationTrack.target_rung, code),
        CultivationTrack.year.between(as_of.year, horizon.year),
        CultivationTrack.status.in_(tuple(OPEN_STATUSES)),
        ~companies_counted(code, horizon),
    )


def _pipeline_per_company(code: str, as_of: dt.date, horizon: dt.date):
    """company_id, rank (1 pool … 3 submitted), re (0/1): each company once, at its most advanced track."""
    rank = case(*((CultivationTrack.status == s, r) for s, r in _RANK.items()), else_=0)
    re = case((reapplying_clause(code), 1), else_=0)
    return (
        select(CultivationTrack.company_id.label("company_id"), func.max(rank).label("rank"), func.max(re).label("re"))
        .join(Company, Company.id == CultivationTrack.company_id)
        .where(_pipeline_tracks(code, as_of, horizon))
        .group_by(CultivationTrack.company_id)
        .subquery()
    )


def pipeline_by_district(
    scope: Scope, code: str, as_of: dt.date, horizon: dt.date,
) -> dict[tuple[str, str], ByDistrict]:
    """(status, kind) → district → companies in the pipeline (each once, at its most advanced status)."""
    per_company = _pipeline_per_company(code, as_of, horizon)
    result: dict[tuple[str, str], ByDistrict] = {(s, k): {} for s in PIPELINE_STATUSES for k in KINDS}
    rows = db.session.execute(
        select(Company.district, per_company.c.rank, per_company.c.re, func.count())
        .join(per_company, per_company.c.company_id == Company.id)
        .where(scope.company_clause())
        .group_by(Company.district, per_company.c.rank, per_company.c.re)
    ).all()
    for district, rank, re, n in rows:
        key = (_STATUS_OF_RANK[int(rank)], RE if re else FIRST)
        result[key][district] = result[key].get(district, 0) + int(n or 0)
    return result


def pipeline_clause(code: str, as_of: dt.date, horizon: dt.date, status: str, kind: str):
    """WHERE clause on Company: in the pipeline at `status` (most advanced) and of `kind` (the drill-down)."""
    per_company = _pipeline_per_company(code, as_of, horizon)
    return Company.id.in_(
        select(per_company.c.company_id).where(
            per_company.c.rank == _RANK[status], per_company.c.re == (1 if kind == RE else 0),
        )
    )


def early_pipeline_clause(code: str, as_of: dt.date, horizon: dt.date):
    """WHERE clause on Company: in the pipeline at 储备 or 重点培育 (not yet submitted), either kind."""
    per_company = _pipeline_per_company(code, as_of, horizon)
    return Company.id.in_(select(per_company.c.company_id).where(per_company.c.rank < _RANK[SUBMITTED]))


@dataclass
class Rates:
    """Conversion rates of the pipeline, per (status, kind), for the city and each district."""

    # (status, kind) → district (None = city) → (recognised, base)
    counts: dict[tuple[str, str], dict[str | None, tuple[int, int]]]

    def rate(self, status: str, kind: str, district: str | None) -> rules.Rate:
        """The district's rate when it rests on enough tracks, else the city's (district None: the city's)."""
        by = self.counts.get((status, kind), {})
        return rules.choose_rate(by.get(district) if district else None, by.get(None, (0, 0)))


def measured_rates(code: str, year: int) -> Rates:
    """Rates measured on the tracks of `year` (last year): submitted → recognised ÷ (recognised +
    rejected); 重点培育 and 储备 → the share recognised of the tracks that ever stood there.

    Measured on every live company (not the viewer's scope): a rate is an aggregate, and a
    district's own rate is used only where it rests on enough tracks.
    """
    def reached(status: str):
        return case((or_(CultivationTrack.status == status, exists().where(
            TrackTransition.track_id == CultivationTrack.id,
            or_(TrackTransition.to_status == status, TrackTransition.from_status == status),
        )), 1), else_=0)

    per_track = (
        select(
            Company.district.label("district"),
            case((reapplying_clause(code), 1), else_=0).label("re"),
            case((CultivationTrack.status == RECOGNIZED, 1), else_=0).label("ok"),
            case((CultivationTrack.status.in_((RECOGNIZED, REJECTED)), 1), else_=0).label("decided"),
            reached(KEY).label("key"), reached(POOL).label("pool"),
        )
        .join(Company, Company.id == CultivationTrack.company_id)
        .where(
            Company.deleted_at.is_(None), _rungs_clause(CultivationTrack.target_rung, code),
            CultivationTrack.year == year,
        )
        .subquery()
    )
    columns = (per_track.c.district, per_track.c.re, per_track.c.ok, per_track.c.decided, per_track.c.key, per_track.c.pool)
    rows = db.session.execute(select(*columns, func.count()).group_by(*columns)).all()
    counts: dict[tuple[str, str], dict[str | None, tuple[int, int]]] = {}

    def add(status: str, kind: str, district: str | None, ok: int, base: int) -> None:
        by = counts.setdefault((status, kind), {})
        for where in (district, None):
            old = by.get(where, (0, 0))
            by[where] = (old[0] + ok, old[1] + base)

    for district, is_re, ok, is_decided, was_key, was_pool, n in rows:
        kind, n = (RE if is_re else FIRST), int(n or 0)
        if is_decided:
            add(SUBMITTED, kind, district, n if ok else 0, n)
        if was_key:
            add(KEY, kind, district, n if ok else 0, n)
        if was_pool:
            add(POOL, kind, district, n if ok else 0, n)
    return Rates(counts)


@dataclass
class ProjectionSet:
    """The projection of one indicator for the scope and for each of its districts."""

    total: rules.Projection
    by_district: dict[str, rules.Projection]


def _projection(today: ByDistrict, lapsing: dict[bool, ByDistrict], pipeline, rates: Rates, district: str | None):
    def pick(by: ByDistrict) -> int:
        return sum(by.values()) if district is None else by.get(district, 0)

    return rules.Projection(
        today_value=pick(today),
        lapsing_without_reapplication=pick(lapsing[False]),
        lapsing_with_reapplication=pick(lapsing[True]),
        reapplications_submitted=pick(pipeline[(SUBMITTED, RE)]),
        recertification_rate=rates.rate(SUBMITTED, RE, district),
        first_applications_submitted=pick(pipeline[(SUBMITTED, FIRST)]),
        first_application_rate=rates.rate(SUBMITTED, FIRST, district),
    )


def projection_sets(scope: Scope, as_of: dt.date) -> dict[str, ProjectionSet]:
    """code → the year-end projection of indicators 1–4 for the scope and each shown district."""
    horizon = rules.year_end(as_of.year)
    result = {}
    for code in rules.PROJECTION_TRACK_RUNGS:
        today = today_by_district(scope, code, as_of)
        lapsing = lapsing_by_district(scope, code, as_of, horizon)
        pipeline = pipeline_by_district(scope, code, as_of, horizon)
        rates = measured_rates(code, as_of.year - 1)
        result[code] = ProjectionSet(
            total=_projection(today, lapsing, pipeline, rates, scope.district),
            by_district={d: _projection(today, lapsing, pipeline, rates, d) for d in scope.shown_districts},
        )
    return result


def projections(
    as_of: dt.date, user: User | None = None, district: str | None = None,
) -> dict[str, rules.Projection]:
    """Year-end estimate of indicators 1–4 for `user`'s scope (see rules.Projection for the formula)."""
    return {code: s.total for code, s in projection_sets(scope_for(user, district), as_of).items()}


def indicators_json(as_of: dt.date, user: User | None = None) -> dict:
    """The JSON of `flask indicators --json` and GET /api/v1/indicators: the roll-up of the 12
    indicators, and for 1–4 the year-end `projection` (the dashboard's figures), city-wide and
    per district. `user` None = the whole city."""
    scope = scope_for(user)
    return roll_up(as_of, user).to_dict(projection_sets(scope, as_of))
