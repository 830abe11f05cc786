"""政策直达 (/policies): the coverage view (entitled → notified → applied → paid, by district), the
companies behind every number, the claim page of one company, and the administrators' policy
editor with its condition builder. Scoping is the services' (officers: their companies; managers:
their district; administrators: the city).
"""

from __future__ import annotations

from markupsafe import Markup

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.clock import today
from tracker.main.template_helpers import add_company_section
from tracker.policies.forms import ClaimStepForm, PolicyForm, YearForm
from tracker.rules import policies as rules
from tracker.rules.districts import DISTRICT_CODES, DISTRICT_NAMES
from tracker.services.errors import Conflict, Forbidden, NotFound, ServiceError
from tracker.services.policies import claims, company_view, entitlements, registry
from tracker.services.scoping import visible_districts
from tracker.web.access import roles_required
from tracker.web.errors import attach_service_error
from tracker.web.forms import ConfirmForm
from tracker.web.once import create_once

bp = Blueprint("policies", __name__, url_prefix="/policies")

admin_required = roles_required("admin")


def _filters() -> YearForm:
    form = YearForm(request.args)
    form.validate()
    for name in ("year", "policy", "district", "measure", "page"):
        field = getattr(form, name)
        if field.errors:
            field.data = None
    if not form.year.data:
        form.year.data = today().year
    return form


def _conditions_text(policy, year: int | None = None) -> str:
    """A policy's conditions in Chinese, joined (for the year when given)."""
    return "；".join(rules.describe(c, year) for c in entitlements.conditions_of(policy))


def _districts_for(user, total) -> list[str]:
    """Columns of the coverage table: the districts the user may see (officers: where their companies are)."""
    if user.is_officer:
        return [code for code in DISTRICT_CODES if code in total.by_district]
    return list(visible_districts(user, DISTRICT_CODES))


@bp.route("/")
@login_required
def index():
    """快享直达: every policy of the year with entitled, notified, applied and paid by district."""
    form = _filters()
    year = form.year.data
    rows, total = entitlements.coverage(current_user, year)
    return render_template(
        "policies/index.html", form=form, year=year, rows=rows, total=total,
        districts=_districts_for(current_user, total), measures=rules.MEASURES, delete_form=ConfirmForm(),
        conditions_text=_conditions_text, benefit_names=rules.BENEFIT_KINDS, amount_text=rules.amount_text,
        all_policies=registry.list_policies(current_user) if current_user.is_admin else [],
    )


@bp.route("/companies")
@login_required
def companies():
    """The companies behind one number of the coverage view (as many rows as the number)."""
    form = _filters()
    year = form.year.data
    policy = None
    if form.policy.data:
        try:
            policy = registry.get_policy(current_user, form.policy.data)
        except NotFound:
            abort(404)
    district = form.district.data or None
    measure = form.measure.data or "entitled"
    page = entitlements.drill_down(
        current_user, year, policy=policy, district=district, measure=measure,
        page=form.page.data or 1, per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "policies/companies.html", form=form, year=year, policy=policy, district=district, measure=measure,
        page=page, measures=rules.MEASURES, statuses=rules.CLAIM_STATUSES, amount_text=rules.amount_text,
        district_names=DISTRICT_NAMES, conditions_text=_conditions_text,
    )


# --- the claim page ------------------------------------------------------------------------------

@bp.route("/<int:policy_id>/claims/<int:company_id>", methods=["GET", "POST"])
@login_required
def claim(policy_id: int, company_id: int):
    """One company under one policy in one year: why it is entitled, its claim's steps, the next step."""
    year = request.args.get("year", type=int)
    try:
        policy = registry.get_policy(current_user, policy_id)
        view = claims.claim_view(current_user, policy.id, company_id, year if year else policy.year)
    except NotFound:
        abort(404)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("policies.index"))
    form = ClaimStepForm()
    status = 200
    if request.method == "GET":
        form.expected.data = view.claim.status if view.claim else ""
        form.on.data = today()
        if view.next_status == "paid" and view.claim and view.claim.amount:
            form.amount.data = view.claim.amount
        elif policy.amount_rule == "fixed" and view.next_status in ("applied", "paid"):
            form.amount.data = policy.amount
    if form.validate_on_submit():
        data = {"expected": form.expected.data or "", "on": form.on.data, "amount": form.amount.data,
                "note": form.note.data}
        try:
            claim_url = url_for("policies.claim", policy_id=policy.id, company_id=company_id, year=view.year)
            create_once(current_user, form, lambda: claims.record_step(current_user, policy.id, company_id, view.year, data),
                        lambda _claim: claim_url)
        except NotFound:
            abort(404)
        except Conflict as exc:
            flash(exc.message, "danger")
            status = 409
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"已登记：{rules.CLAIM_STEPS[view.next_status]}", "success")
            return redirect(url_for("policies.claim", policy_id=policy.id, company_id=company_id, year=view.year))
    return render_template(
        "policies/claim.html", view=view, form=form, statuses=rules.CLAIM_STATUSES, steps=rules.CLAIM_STEPS,
        conditions_text=_conditions_text, benefit_names=rules.BENEFIT_KINDS, amount_text=rules.amount_text,
        order=rules.CLAIM_ORDER,
    ), status


# --- the policy editor (administrators) ----------------------------------------------------------

def _form_data(policy) -> dict:
    rows = []
    for c in policy.conditions:
        values = list(c.values or [])
        rows.append({
            "kind": c.kind, "rung": c.rung or "", "field": c.field or "", "threshold": c.threshold,
            "year_offset": str(c.year_offset or 0),
            "districts": values if c.kind == "district_in" else [],
            "industries": values if c.kind == "industry_in" else [],
        })
    return {
        "name": policy.name, "issuer": policy.issuer, "reference": policy.reference, "year": policy.year,
        "until_year": policy.until_year, "benefit_kind": policy.benefit_kind, "amount_rule": policy.amount_rule,
        "amount": policy.amount, "description": policy.description, "conditions": rows or [{}],
        "version": str(policy.version),
    }


def _editor(policy=None):
    if request.method == "GET":
        form = PolicyForm(data=_form_data(policy)) if policy is not None else PolicyForm(data={"year": today().year})
    else:
        form = PolicyForm()
    condition_errors: list[str] = []
    if request.method == "POST" and form.add_condition.data:
        # "添加条件": the same form again with one more row (rows marked for removal dropped).
        if len(form.conditions) < rules.MAX_CONDITIONS:
            form.conditions.append_entry()
        else:
            condition_errors.append(f"享受条件最多 {rules.MAX_CONDITIONS} 个")
    elif form.validate_on_submit():
        try:
            version = int(form.version.data) if policy is not None and (form.version.data or "").isdigit() else None
            if policy is None:
                saved = create_once(current_user, form, lambda: registry.create_policy(
                    current_user, form.data_for_service(), form.conditions_for_service(),
                ), lambda p: url_for("policies.companies", policy=p.id, year=p.year))
            else:
                saved = registry.update_policy(current_user, policy, form.data_for_service(),
                                               form.conditions_for_service(), version=version)
        except Forbidden:
            abort(403)
        except Conflict as exc:
            flash(exc.message, "danger")
        except ServiceError as exc:
            if exc.field == "conditions":
                condition_errors.append(exc.message)
            else:
                attach_service_error(form, exc)
        else:
            flash("政策已保存", "success")
            return redirect(url_for("policies.companies", policy=saved.id, year=saved.year))
    return render_template("policies/form.html", form=form, policy=policy, condition_errors=condition_errors,
                           kinds=rules.CONDITION_KINDS)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    """Create a policy with its conditions."""
    return _editor()


@bp.route("/<int:policy_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(policy_id: int):
    """Edit a policy and its conditions."""
    try:
        policy = registry.get_policy(current_user, policy_id)
    except NotFound:
        abort(404)
    return _editor(policy)


@bp.route("/<int:policy_id>/delete", methods=["POST"])
@admin_required
def delete(policy_id: int):
    """Remove a policy (soft delete; its claims stay recorded)."""
    try:
        policy = registry.get_policy(current_user, policy_id)
    except NotFound:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    registry.delete_policy(current_user, policy)
    flash("政策已删除", "info")
    return redirect(url_for("policies.index"))


# --- the company page's card ---------------------------------------------------------------------

def _company_section(user, company):
    """Card on the company page: the policies it can claim this year and last, and its claims.
    The page has scoped `company` to `user` already (companies.show): it is not looked up again."""
    items = company_view.policies_of_company(company, entitlements.digest_years(today()))
    if not items:
        return ""
    return Markup(render_template("policies/_company_section.html", items=items, company=company,
                                  statuses=rules.CLAIM_STATUSES, amount_text=rules.amount_text))


@bp.record_once
def _register_company_page_parts(state) -> None:
    add_company_section(state.app, _company_section)
