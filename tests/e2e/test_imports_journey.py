"""An administrator imports a cultivation list (培育名单) from an xlsx kept in Excel, in a browser."""

from __future__ import annotations

import pytest

from tests.conftest import Factory
from tests.e2e.conftest import login, screenshot
from tests.services.imports.import_helpers import xlsx_file
from tracker.rules.uscc import make_code

pytestmark = pytest.mark.e2e


def test_admin_imports_a_cultivation_list_and_reads_each_refusal_in_chinese(app, factory, new_page, tmp_path):
    admin = factory.user("admin")
    company = factory.company("wujin", name="常州示例科技有限公司")
    digits = make_code("9132041200015678")  # an all-digit code, which a spreadsheet turns into a number
    factory.company("xinbei", uscc=digits, name="常州数字科技有限公司")
    path = tmp_path / "2026高企培育名单.xlsx"
    path.write_bytes(xlsx_file(["统一社会信用代码", "企业名称", "目标资质", "年度", "状态", "备注"], [
        [company.uscc, company.name, "高新技术企业", 2026, "重点培育", "已完成研发费用归集"],
        [float(f"{int(digits):.15g}"), "常州数字科技有限公司", "高新技术企业", 2026, "储备", ""],
        [company.uscc, company.name, "瞪羚企业", 2026, "待定", ""],
    ]))

    page = new_page(phone=True)
    login(page, admin.email, Factory.PASSWORD)
    page.goto("/imports/")
    page.select_option("select[name=kind]", "tracks")
    page.set_input_files("input[name=file]", str(path))
    page.click("input[type=submit][value=上传并试导入]")
    page.wait_for_load_state("networkidle")
    summary = page.inner_text("[data-testid=import-summary]")
    assert "将新增 1" in summary and "错误 2 行" in summary
    errors = page.inner_text("[data-testid=import-errors]")
    assert "存成了数字" in errors and "未知的培育状态：待定" in errors
    assert "hnte" not in page.content() and "pool" not in page.inner_text("main")
    screenshot(page, "imports-tracks-dry-run-phone")

    page.check("input[name=mode][value=valid]")
    page.click("input[type=submit][value=确认导入]")
    page.wait_for_load_state("networkidle")
    assert "已导入" in page.inner_text("[data-testid=import-summary]")
    screenshot(page, "imports-tracks-committed-phone")
