"""Registry forms: shape only; districts, dates, levels and credit codes are checked by the service."""

from __future__ import annotations

from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.models.registry import CARRIER_KINDS, LEVELS, TALENT_KINDS
from tracker.services.registries.records import PLATFORM_LEVELS
from tracker.web.forms import Form, district_choices
from tracker.web.once import OnceForm


class _RegistryForm(OnceForm, Form):
    def set_districts(self, user) -> None:
        """Limit the district choices to what `user` may edit; preselect a manager's own."""
        self.district.choices = district_choices(user, "请选择" if user.is_admin else None)
        if not self.district.data and user.is_manager:
            self.district.data = user.district

    def data_for_service(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "submit", "submission_token")}


class TalentForm(_RegistryForm):
    kind = SelectField("人才类别", choices=[("", "请选择")] + list(TALENT_KINDS.items()), validators=[DataRequired("请选择人才类别")])
    name = StringField("姓名或团队名称", validators=[DataRequired("请填写姓名或团队名称"), Length(max=128, message="不超过128个字符")])
    district = SelectField("所属辖区", validators=[DataRequired("请选择所属辖区")])
    recognized_on = DateField("认定日期", validators=[DataRequired("请填写认定日期（YYYY-MM-DD）")], format="%Y-%m-%d")
    company_uscc = StringField("所在企业统一社会信用代码（可选）", validators=[Optional(), Length(max=40, message="代码过长")])
    batch = StringField("批次", validators=[Optional(), Length(max=64, message="不超过64个字符")])
    source = StringField("来源（文件或名单）", validators=[Optional(), Length(max=128, message="不超过128个字符")])
    submit = SubmitField("保存")


class CarrierForm(_RegistryForm):
    name = StringField("载体名称", validators=[DataRequired("请填写载体名称"), Length(max=128, message="不超过128个字符")])
    kind = SelectField("载体类型", choices=[("", "请选择")] + list(CARRIER_KINDS.items()), validators=[DataRequired("请选择载体类型")])
    district = SelectField("所属辖区", validators=[DataRequired("请选择所属辖区")])
    operator = StringField("运营主体", validators=[Optional(), Length(max=128, message="不超过128个字符")])
    submit = SubmitField("保存")


class CarrierCreateForm(CarrierForm):
    """A carrier is registered with its first recognition level."""

    level = SelectField("首次认定级别", choices=[("", "请选择")] + list(LEVELS.items()), validators=[DataRequired("请选择认定级别")])
    recognized_on = DateField("认定日期", validators=[DataRequired("请填写认定日期（YYYY-MM-DD）")], format="%Y-%m-%d")
    level_source = StringField("认定文件或来源", validators=[Optional(), Length(max=128, message="不超过128个字符")])
    submit = SubmitField("保存")


class CarrierLevelForm(OnceForm, Form):
    level = SelectField("认定级别", choices=[("", "请选择")] + list(LEVELS.items()), validators=[DataRequired("请选择认定级别")])
    recognized_on = DateField("认定日期", validators=[DataRequired("请填写认定日期（YYYY-MM-DD）")], format="%Y-%m-%d")
    source = StringField("认定文件或来源", validators=[Optional(), Length(max=128, message="不超过128个字符")])
    submit = SubmitField("添加级别（升级）")

    def data_for_service(self) -> dict:
        return {"level": self.level.data, "recognized_on": self.recognized_on.data, "source": self.source.data}


class PlatformForm(_RegistryForm):
    name = StringField("平台名称", validators=[DataRequired("请填写平台名称"), Length(max=128, message="不超过128个字符")])
    kind = StringField("平台类型（如重点实验室、技术创新中心）", validators=[Optional(), Length(max=64, message="不超过64个字符")])
    level = SelectField("平台级别", choices=[("", "请选择")] + list(PLATFORM_LEVELS.items()), validators=[DataRequired("请选择平台级别")])
    district = SelectField("所属辖区", validators=[DataRequired("请选择所属辖区")])
    recognized_on = DateField("认定日期", validators=[DataRequired("请填写认定日期（YYYY-MM-DD）")], format="%Y-%m-%d")
    company_uscc = StringField("依托企业统一社会信用代码（可选）", validators=[Optional(), Length(max=40, message="代码过长")])
    source = StringField("来源（文件或名单）", validators=[Optional(), Length(max=128, message="不超过128个字符")])
    submit = SubmitField("保存")


class InstitutionForm(_RegistryForm):
    name = StringField("机构名称", validators=[DataRequired("请填写机构名称"), Length(max=200, message="不超过200个字符")])
    uscc = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), Length(max=40, message="代码过长")])
    district = SelectField("所属辖区", validators=[DataRequired("请选择所属辖区")])
    year = IntegerField("统计年度", validators=[DataRequired("请填写统计年度"), NumberRange(2000, 2100, "年度应在2000—2100之间")])
    business = StringField("服务领域（如研发设计、技术转移）", validators=[Optional(), Length(max=64, message="不超过64个字符")])
    source = StringField("来源", validators=[Optional(), Length(max=500, message="不超过500个字符")])
    submit = SubmitField("保存")


class RegistryFilterForm(Form):
    class Meta:
        csrf = False

    q = StringField("名称", validators=[Optional(), Length(max=100)])
    year = IntegerField("年度", validators=[Optional(), NumberRange(2000, 2100)])
    district = SelectField("辖区", validators=[Optional()])
    kind = SelectField("类别", validators=[Optional()])
