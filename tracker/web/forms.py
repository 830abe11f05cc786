"""Forms and choice lists more than one blueprint uses, and the base every form derives from.

`Form` (a FlaskForm) and `SubForm` (a plain WTForms form, for FieldList/FormField rows) bind
every field through `TextRulesMeta`, so the app-wide input rules hold server-side on every form
without each field repeating them (tests/security/test_text_rules.py checks that every form of
the app derives from one of the two):

- single-line text fields (StringField and its kinds, hidden fields) are trimmed and refuse
  control characters, line breaks, bidi controls and invisible-only text
  (`tracker.rules.text`); text areas the same, line breaks allowed; passwords are left as typed;
- integer fields refuse values outside the database's integer range before any other validator
  runs (WTForms' NumberRange would turn a 309-digit number into a float and raise);
- decimal and float fields refuse values beyond Numeric(16, 2) (what PostgreSQL can store);
- date fields refuse days before 1900 or after 2099 (Asia/Shanghai day arithmetic on
  0001-01-01 or 9999-12-31 overflows);
- WTForms' own coercion messages are in Chinese.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import Form as PlainForm
from wtforms import (
    DateField, DateTimeField, DecimalField, FloatField, IntegerField, PasswordField, StringField, SubmitField,
    TextAreaField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation

from tracker.rules import text as text_rules
from tracker.rules.districts import DISTRICTS

MAX_INT = 2**31 - 1  # PostgreSQL integer (ids, counts, years): anything larger is bad input
MAX_DECIMAL = Decimal("99999999999999.99")  # Numeric(16, 2), money in 万元
EARLIEST_DAY, LATEST_DAY = dt.date(1900, 1, 1), dt.date(2099, 12, 31)


def _text_rule(multiline: bool):
    def check(form, field):
        value = field.data
        if isinstance(value, str):
            reason = text_rules.problem(value, multiline=multiline)
            if reason is not None:
                raise StopValidation(reason)

    return check


def _integer_range(form, field):
    value = field.data
    if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
        raise StopValidation("数值超出允许范围")


def _decimal_range(form, field):
    value = field.data
    if isinstance(value, Decimal) and not value.is_finite():
        raise StopValidation("请输入有效的数字")
    if isinstance(value, float) and value != value:
        raise StopValidation("请输入有效的数字")
    if isinstance(value, (Decimal, float)) and not -MAX_DECIMAL <= value <= MAX_DECIMAL:
        raise StopValidation("数值超出允许范围")


def _date_range(form, field):
    value = field.data
    day = value.date() if isinstance(value, dt.datetime) else value
    if isinstance(day, dt.date) and not EARLIEST_DAY <= day <= LATEST_DAY:
        raise StopValidation(f"日期应在 {EARLIEST_DAY.isoformat()} 至 {LATEST_DAY.isoformat()} 之间")


def _strip(value):
    return text_rules.strip(value)


def _rules_for(field) -> tuple[tuple, list]:
    """(filters, validators) the app adds in front of a bound field's own."""
    if isinstance(field, (PasswordField, CSRFTokenField)):
        return (), []
    if isinstance(field, StringField):
        return (_strip,), [_text_rule(multiline=isinstance(field, TextAreaField))]
    if isinstance(field, IntegerField):
        return (), [_integer_range]
    if isinstance(field, (DecimalField, FloatField)):
        return (), [_decimal_range]
    if isinstance(field, (DateField, DateTimeField)):
        return (), [_date_range]
    return (), []


class TextRulesMeta:
    """Binds every field with the app's input rules in front of its own; Chinese WTForms messages."""

    locales = ("zh",)

    def get_translations(self, form):
        # Flask-WTF would translate through Flask-Babel, which the app does not use.
        return DefaultMeta.get_translations(self, form)

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        filters, validators = _rules_for(field)
        if filters:
            field.filters = (*filters, *field.filters)
        if validators:
            field.validators = [*validators, *field.validators]
        return field


class Form(FlaskForm):
    """The base of every form of the app (CSRF from Flask-WTF, the input rules of TextRulesMeta)."""

    class Meta(TextRulesMeta, FlaskForm.Meta):
        pass


class SubForm(PlainForm):
    """The base of rows inside a FieldList/FormField (no CSRF of their own), with the same rules."""

    class Meta(TextRulesMeta, DefaultMeta):
        pass


class ConfirmForm(Form):
    """A button that only carries the CSRF token (delete, retry, revoke ...)."""

    submit = SubmitField("确认")


def district_choices(user=None, blank: str | None = None) -> list[tuple[str, str]]:
    """District (code, 中文名) pairs for a select: every district, or those `user` may pick.

    With a user, an administrator may pick any district and a manager or officer only their own.
    `blank` adds an empty first choice with that label ("全部辖区", "请选择").
    """
    choices = [(d.code, d.name) for d in DISTRICTS if user is None or user.is_admin or d.code == user.district]
    return ([("", blank)] if blank is not None else []) + choices
