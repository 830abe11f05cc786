"""Company forms: shape only; the credit code's meaning is checked by the service."""

from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateField, DecimalField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.rules.districts import INDUSTRIES
from tracker.rules.ladder import STAGE_NAMES
from tracker.rules.support import FILTER_NAMES as SUPPORT_FILTER_NAMES
from tracker.services.attractions.channels import active_channels
from tracker.services.companies.queries import SORTS, CompanyFilters
from tracker.web.dates import NotAfterToday
from tracker.web.forms import Form, district_choices
from tracker.web.once import OnceForm

MAX_ID = 2**31 - 1  # the database's integer range: larger numbers are bad input, not a 500
MAX_PAGE = 100_000
# The company list's query arguments: passed on to export links and carried by bulk actions.
LIST_ARGS = ("q", "district", "industry", "stage", "officer_id", "idle_days", "expiring_days",
             "open_follow_ups", "support", "sort", "dir", "page")


class CompanyForm(OnceForm, Form):
    """A company's record (企业信息), for creating and editing (one-time token: tracker/web/once.py)."""

    uscc = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), Length(max=40, message="统一社会信用代码过长")])
    name = StringField("企业名称", validators=[DataRequired("请填写企业名称"), Length(max=200, message="企业名称不超过200字")])
    district = SelectField("所属辖区", choices=district_choices(blank="请选择"), validators=[DataRequired("请选择所属辖区")])
    industry = SelectField("产业领域", choices=[("", "请选择")] + [(i, i) for i in INDUSTRIES], validators=[Optional()])
    founded_on = DateField("成立日期", validators=[Optional(), NotAfterToday("成立日期不能晚于今天")], format="%Y-%m-%d")
    attracted_on = DateField("招引落户日期", validators=[Optional()], format="%Y-%m-%d")
    # Codes of tracker.services.attractions.channels, listed when the form is built; a retired
    # channel the company already holds is checked (and kept) by the service.
    attraction_channel = SelectField("招引渠道", choices=lambda: [("", "未注明")] + [
        (c.code, c.name) for c in active_channels()], validate_choice=False, validators=[Optional()])
    address = StringField("地址", validators=[Optional(), Length(max=255)])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=64)])
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=32)])
    # The company's position for the visit check-in (WGS-84, e.g. read off a map by hand); optional.
    latitude = DecimalField("纬度", places=6, validators=[Optional(), NumberRange(-90, 90, message="纬度应在 -90 至 90 之间")])
    longitude = DecimalField("经度", places=6, validators=[Optional(), NumberRange(-180, 180, message="经度应在 -180 至 180 之间")])
    accept_bad_check = BooleanField("确认录入校验位（第17位或末位）错误的早期代码（仅管理员）")
    version = HiddenField()
    submit = SubmitField("保存")

    def data_for_service(self) -> dict:
        """The typed values by field name, for tracker.services.companies.records."""
        return {
            "uscc": self.uscc.data, "name": self.name.data, "district": self.district.data,
            "industry": self.industry.data or None, "founded_on": self.founded_on.data,
            "attracted_on": self.attracted_on.data, "attraction_channel": self.attraction_channel.data or None,
            "address": self.address.data or None, "contact_name": self.contact_name.data or None,
            "contact_phone": self.contact_phone.data or None,
            "latitude": self.latitude.data, "longitude": self.longitude.data,
        }


class DeleteForm(Form):
    """Soft-delete a company, with an optional reason kept in the audit row."""

    reason = StringField("删除原因", validators=[Optional(), Length(max=200)])
    submit = SubmitField("删除")


class ListFilterForm(Form):
    """The company list's filters, read from the query string (no CSRF: a GET form)."""

    class Meta:
        csrf = False

    q = StringField("名称或信用代码", validators=[Optional(), Length(max=100)])
    district = SelectField("辖区", choices=district_choices(blank="全部辖区"), validators=[Optional()])
    industry = SelectField("产业领域", choices=[("", "全部领域")] + [(i, i) for i in INDUSTRIES], validators=[Optional()])
    stage = SelectField("阶段", choices=[("", "全部阶段")] + list(STAGE_NAMES.items()), validators=[Optional()])
    officer_id = IntegerField("服务专员", validators=[Optional(), NumberRange(min=1, max=MAX_ID, message="服务专员不正确")])
    idle_days = IntegerField("未走访天数", validators=[Optional(), NumberRange(min=1, max=3650, message="未走访天数须在1至3650之间")])
    expiring_days = IntegerField("高企证书到期天数", validators=[Optional(), NumberRange(min=1, max=1095, message="到期天数须在1至1095之间")])
    open_follow_ups = BooleanField("有未办结诉求")
    support = SelectField("扶持情况", choices=[("", "全部扶持情况")] + list(SUPPORT_FILTER_NAMES.items()), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])

    def _clean(self, field):
        return field.data if not field.errors and field.data not in ("", None) else None

    def to_filters(self, sort: str | None = None, direction: str | None = None) -> CompanyFilters:
        """The list's filters; a field with a shape error is ignored (its message is shown)."""
        return CompanyFilters(
            q=(self.q.data or "").strip() or None if not self.q.errors else None,
            district=self._clean(self.district),
            industry=self._clean(self.industry),
            stage=self._clean(self.stage),
            officer_id=self._clean(self.officer_id),
            idle_days=self._clean(self.idle_days),
            expiring_days=self._clean(self.expiring_days),
            open_follow_ups=bool(self.open_follow_ups.data),
            support=self._clean(self.support),
            sort=sort if sort in SORTS or sort == "stage" else "name",
            descending=direction == "desc",
        )


def list_filters(args: MultiDict) -> tuple[ListFilterForm, CompanyFilters]:
    """Read the company list's filters from query arguments (the list, its export and bulk actions)."""
    form = ListFilterForm(args)
    form.validate()
    return form, form.to_filters(args.get("sort"), args.get("dir"))


class BulkForm(Form):
    """The ticked companies (or all that match the list's filters) for a bulk action."""

    all_matching = BooleanField("对全部筛选结果操作")
    filters = HiddenField()  # the list's query string, so the action sees the same list

    def ids(self, raw: list[str]) -> list[int] | None:
        """The ticked company ids, or None when one is not a number."""
        try:
            ids = [int(v) for v in raw if v.strip()]
        except ValueError:
            return None
        return ids if all(1 <= i <= MAX_ID for i in ids) else None
