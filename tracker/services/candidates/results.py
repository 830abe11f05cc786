"""Stored eligibility results (候选预判结果): computed when their inputs change, read by the page.

The candidates page used to run the rules over the whole city on its first load after any change
(seconds at 100,000 companies). The rules' inputs are few and change through few services, so
the outcome is kept per company, target rung and evaluation year (tracker.models.candidate_result)
and the page only reads it; the filters on designations, scope, district, industry and officer
stay SQL at read time (tracker.services.candidates.ranking).

What keeps the rows in step, always in the transaction of the change (explicit calls, no hooks):
- yearly figures and the HNTE conditions recorded with them: `recompute_companies` from
  companies.figures (edit form) and the figures import;
- a changed founding date: `recompute_companies` from companies.records;
- "holds a valid HNTE" (a grant, a revocation, a certificate lapsing by date): nothing to do, since
  tech SME, the only check reading it, keeps a row for each value and the page picks in SQL;
- deletion and restoration: nothing to do, the page filters live companies in SQL;
- thresholds (tracker.rules.eligibility_thresholds, data released with the code): each set
  records a fingerprint of its year's thresholds; one that no longer matches is recomputed in the
  background (`compute_set`, Celery task workers.tasks.compute_candidate_results) and the page
  shows its progress meanwhile.

Which years are stored: a (rung, year) set exists once someone asked for it (the page, the CLI,
the gap plan) or `ensure_years` made it (the demo city, `flask candidates-refresh`: the current and
the next evaluation year). A missing set is computed in the background while the page shows
progress; below CANDIDATE_RESULTS_INLINE_LIMIT companies to evaluate (a new or test database) it
is computed on the spot, which takes well under a second.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

# Flask for the app config (the inline limit) and the Celery app it holds, as the outbox does.
from flask import current_app, has_app_context
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import CandidateResult, CandidateResultSet, Company, CompanyYearFigures
from tracker.rules import eligibility, ladder
from tracker.rules.eligibility_thresholds import thresholds_for
from tracker.services.candidates.facts import BATCH_SIZE, _figures_by_company, _first_year_needed, facts_from_rows
from tracker.services.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

COMPUTE_TASK = "workers.tasks.compute_candidate_results"
# Rows are kept for companies at most this many conditions away: the widest list the page offers.
KEPT_MISSING = 1
# The checks that read CompanyFacts.holds_valid_hnte (check_tech_sme: direct confirmation).
READS_HNTE_FLAG = frozenset({"tech_sme"})
# A set "computing" with no progress for this long lost its worker (or its task): start it again.
STALLED_AFTER = dt.timedelta(minutes=15)
READY, COMPUTING = "ready", "computing"


@dataclass(frozen=True)
class SetState:
    """Whether a (rung, year) set can be read, and how far its computation is."""

    ready: bool
    done: int = 0
    total: int = 0

    @property
    def progress_text(self) -> str:
        """正在重新计算：N / M, for the page and refusals."""
        return f"正在重新计算：{self.done:,} / {self.total:,}"


def thresholds_fingerprint(year: int) -> str:
    """A digest of the thresholds in force for `year`: changes exactly when those numbers change.

    The thresholds are frozen dataclasses of Decimals, strings and tuples, so their repr is stable.
    """
    return hashlib.sha256(repr(thresholds_for(year)).encode()).hexdigest()


def _flag_values(rung: str) -> tuple[bool, ...]:
    return (False, True) if rung in READS_HNTE_FLAG else (False,)


def _rows_for(company_ids: Sequence[int], rung: str, year: int, at: dt.datetime) -> list[dict]:
    """The rows to keep for these companies (any state: the page filters live ones), one chunk.

    A company without figures for Y − 1 is at least two conditions from every rung (see
    ranking._necessary_clauses), so it keeps no row.
    """
    figures = _figures_by_company(company_ids, _first_year_needed(rung, year), year - 1)
    heads = db.session.execute(select(Company.id, Company.founded_on).where(Company.id.in_(company_ids))).all()
    rows = []
    for company_id, founded_on in heads:
        years = figures.get(company_id)
        if not years or all(f.year != year - 1 for f in years):
            continue
        for flag in _flag_values(rung):
            result = eligibility.check(rung, facts_from_rows(founded_on, years, flag), year)
            if result.missing_count > KEPT_MISSING:
                continue
            rows.append({
                "company_id": company_id, "target_rung": rung, "year": year, "holds_valid_hnte": flag,
                "failed_count": len(result.failed), "unknown_count": len(result.unknown),
                "missing_count": result.missing_count,
                "score": result.score if result.score is not None else Decimal(0),
                "eligible": result.eligible is True, "computed_at": at,
            })
    return rows


def _replace(company_ids: Sequence[int], sets: Iterable[tuple[str, int]]) -> None:
    """Delete and write again the rows of these companies in these (rung, year) sets."""
    at = now()
    for start in range(0, len(company_ids), BATCH_SIZE):
        chunk = list(company_ids[start:start + BATCH_SIZE])
        for rung, year in sets:
            db.session.execute(delete(CandidateResult).where(
                CandidateResult.company_id.in_(chunk), CandidateResult.target_rung == rung,
                CandidateResult.year == year,
            ))
            rows = _rows_for(chunk, rung, year, at)
            if rows:
                db.session.execute(insert(CandidateResult), rows)


def recompute_companies(company_ids: Iterable[int]) -> None:
    """Bring the stored results of these companies up to date in every stored set.

    Called by the services that change a rung's inputs, inside their unit of work, after their
    writes (the queries here flush them first).
    """
    ids = sorted({int(i) for i in company_ids})
    if not ids:
        return
    sets = db.session.execute(select(CandidateResultSet.target_rung, CandidateResultSet.year)).all()
    _replace(ids, [(rung, year) for rung, year in sets])


def _evaluated_ids_query(year: int):
    """Companies a set of `year` evaluates: those with figures for Y − 1 (see `_rows_for`)."""
    return select(CompanyYearFigures.company_id).where(CompanyYearFigures.year == year - 1)


def _to_evaluate(year: int) -> int:
    return db.session.scalar(select(func.count()).select_from(_evaluated_ids_query(year).subquery())) or 0


def _claim(rung: str, year: int, total: int) -> None:
    """Mark the set "computing" from zero under today's thresholds (created if missing)."""
    values = dict(thresholds=thresholds_fingerprint(year), status=COMPUTING, done=0, total=total,
                  started_at=now(), finished_at=None)
    with unit_of_work():
        found = db.session.scalar(select(CandidateResultSet).where(
            CandidateResultSet.target_rung == rung, CandidateResultSet.year == year))
        if found is None:
            db.session.add(CandidateResultSet(target_rung=rung, year=year, **values))
        else:
            for name, value in values.items():
                setattr(found, name, value)


def compute_set(rung: str, year: int) -> int:
    """Compute one (rung, year) set from scratch, committing per batch so progress is visible.

    The background job (and the inline path for a small database). Returns the companies
    evaluated. Safe to run again: each batch replaces its companies' rows.
    """
    total = _to_evaluate(year)
    try:
        _claim(rung, year, total)
    except IntegrityError:
        _claim(rung, year, total)  # created meanwhile by another caller: take it over
    with unit_of_work():
        db.session.execute(delete(CandidateResult).where(
            CandidateResult.target_rung == rung, CandidateResult.year == year))
    done, last_id = 0, 0
    ids_query = _evaluated_ids_query(year)
    while True:
        ids = list(db.session.scalars(
            ids_query.where(CompanyYearFigures.company_id > last_id)
            .order_by(CompanyYearFigures.company_id).limit(BATCH_SIZE)
        ))
        if not ids:
            break
        last_id = ids[-1]
        done += len(ids)
        for attempt in (1, 2):
            try:
                with unit_of_work():
                    _replace(ids, [(rung, year)])
                    _progress(rung, year, done)
                break
            except IntegrityError:
                # An edit wrote the same company's rows concurrently: redo the batch over it.
                if attempt == 2:
                    raise
    with unit_of_work():
        db.session.execute(update(CandidateResultSet).where(
            CandidateResultSet.target_rung == rung, CandidateResultSet.year == year,
        ).values(status=READY, done=done, total=max(total, done), finished_at=now(), updated_at=now()))
    return done


def _progress(rung: str, year: int, done: int) -> None:
    db.session.execute(update(CandidateResultSet).where(
        CandidateResultSet.target_rung == rung, CandidateResultSet.year == year,
    ).values(done=done, updated_at=now()))


def _inline_limit() -> int:
    # Its default lives with the other settings (tracker/config.py).
    return int(current_app.config["CANDIDATE_RESULTS_INLINE_LIMIT"])


def _dispatch(rung: str, year: int) -> bool:
    """Queue the background computation; False (logged) when the broker cannot take it now.

    The set stays "computing" either way; a stalled one is queued again by a later page load.
    """
    celery = current_app.extensions.get("celery") if has_app_context() else None
    if celery is None:
        return False
    try:
        celery.send_task(COMPUTE_TASK, args=[rung, year], retry=False)
    except Exception as exc:  # noqa: BLE001  (any broker trouble: retried after STALLED_AFTER)
        log.warning("could not queue %s(%s, %s): %s", COMPUTE_TASK, rung, year, exc)
        return False
    return True


def set_state(rung: str, year: int) -> tuple[CandidateResultSet | None, bool]:
    """The stored set and whether it is ready under today's thresholds."""
    found = db.session.scalar(select(CandidateResultSet).where(
        CandidateResultSet.target_rung == rung, CandidateResultSet.year == year))
    fresh = found is not None and found.thresholds == thresholds_fingerprint(year)
    return found, fresh and found.status == READY


def ensure_ready(rung: str, year: int, *, allow_inline: bool = True) -> SetState:
    """Make sure the (rung, year) set is (or is being) computed; say whether it can be read.

    A missing set, or one computed under other thresholds, is computed on the spot when few
    companies are to be evaluated (`allow_inline` and CANDIDATE_RESULTS_INLINE_LIMIT), otherwise
    claimed and queued for a worker; the caller shows the progress meanwhile.
    """
    found, ready = set_state(rung, year)
    if ready:
        return SetState(True, found.done, found.total)
    fingerprint = thresholds_fingerprint(year)
    if found is not None and found.status == COMPUTING and found.thresholds == fingerprint:
        updated = found.updated_at if found.updated_at.tzinfo else found.updated_at.replace(tzinfo=dt.timezone.utc)
        if now() - updated < STALLED_AFTER:
            return SetState(False, found.done, found.total)
    total = _to_evaluate(year)
    if allow_inline and total <= _inline_limit():
        compute_set(rung, year)
        return SetState(True, total, total)
    try:
        _claim(rung, year, total)
    except IntegrityError:
        pass  # another request created and claimed it a moment ago
    _dispatch(rung, year)
    return SetState(False, 0, total)


def ensure_years(years: Iterable[int] | None = None, *, allow_inline: bool = True) -> dict[tuple[str, int], SetState]:
    """Every rung's set for `years` (default: the current and the next evaluation year)."""
    current = today().year
    chosen = tuple(years) if years is not None else (current, current + 1)
    return {
        (rung, year): ensure_ready(rung, year, allow_inline=allow_inline)
        for year in chosen for rung in ladder.RUNG_CODES
    }


def prepare_years(years: Iterable[int] | None = None) -> int:
    """`ensure_years`, for the nightly job: how many sets are still being computed (0 when every
    set was ready or was computed on the spot)."""
    return sum(1 for state in ensure_years(years).values() if not state.ready)


def recompute_all(years: Iterable[int] | None = None) -> int:
    """Compute every rung's set for `years` now (default: every stored set), for the CLI and the
    demo city; returns the sets computed."""
    if years is None:
        sets = db.session.execute(select(CandidateResultSet.target_rung, CandidateResultSet.year)).all()
    else:
        sets = [(rung, year) for year in years for rung in ladder.RUNG_CODES]
    for rung, year in sets:
        compute_set(rung, year)
    return len(sets)
