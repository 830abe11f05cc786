"""我的工作 with priorities, one number per term, the unread badge, the mail viewer and the
worker heartbeat (issue 17 items 4, 7, 9 and the officer's single home entry)."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage

import pytest

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Assignment, Visit
from tracker.rules import reminders as rules
from tracker.services.indicators.rollup import roll_up
from tracker.services.notifications import mail_folder, notify, outbox
from tracker.services.ops import demo_city, heartbeat
from tracker.services.unit_of_work import unit_of_work
from tracker.services.visits.due import due_visits


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(outbox, "publish", lambda ids: True)


def _visit(company, officer, day):
    with unit_of_work():
        db.session.add(Visit(company_id=company.id, officer_id=officer.id, visited_on=day, kind="onsite", summary="走访"))


def test_my_work_groups_by_urgency_pages_through_all_and_filters_by_stage(client, auth, factory):
    officer = factory.user("officer", "wujin")
    never = [factory.company("wujin", officer=officer, name=f"久未走访{n:02d}") for n in range(33)]
    week = factory.company("wujin", officer=officer, name="本周企业")
    _visit(week, officer, today() - dt.timedelta(days=365 - 3))  # prospect: due in 3 days
    due = factory.company("wujin", officer=officer, name="今天企业")
    _visit(due, officer, today() - dt.timedelta(days=366))
    fresh = factory.company("wujin", name="新接手企业")
    with unit_of_work():
        db.session.add(Assignment(company_id=fresh.id, officer_id=officer.id, is_primary=True, assigned_from=today()))
    auth.login(officer)
    body = client.get("/work/").get_data(as_text=True)
    counts = {g: int(re.search(rf'data-testid="group-count-{g}">(\d+)<', body).group(1)) for g in ("overdue", "today", "week", "never")}
    assert counts == {"overdue": 33, "today": 1, "week": 1, "never": 1}
    assert "从未走访" in body and "2023-01-01 应走访" not in body  # no invented due date
    assert body.index('data-testid="group-overdue"') < body.index("久未走访")  # the most urgent first
    assert 'data-testid="visit-pager"' in body and "第 1 / 2 页" in body
    second = client.get("/work/?page=2").get_data(as_text=True)
    shown = set(re.findall(r"久未走访\d\d|本周企业|今天企业|新接手企业", body + second))
    assert len(shown) == 36  # every line, over the two pages
    assert second.index('data-testid="group-today"') < second.index('data-testid="group-week"') < second.index('data-testid="group-never"')
    only_week = client.get("/work/?group=week").get_data(as_text=True)
    assert "本周企业" in only_week and "久未走访" not in only_week and 'data-testid="count-visits">1<' in only_week
    assert "久未走访" not in client.get("/work/?stage=hnte").get_data(as_text=True)  # all are 培育对象
    assert client.get("/work/?stage=bogus&group=bogus&page=99").status_code == 200


def test_officers_have_one_home_entry_and_see_their_unread_count_with_floods_collapsed(client, auth, factory):
    officer = factory.user("officer", "wujin")
    for n in range(4):
        notify.notify([officer.id], rules.VISIT_DUE, f"company:{n}", "p1", f"应走访：企业{n}")
    notify.notify([officer.id], rules.TEST_EMAIL, "user:1", "p1", "单独的一条")
    auth.login(officer)
    page = client.get("/work/").get_data(as_text=True)
    nav = page[page.index("<nav"):page.index("</nav>")]
    assert ">首页<" not in nav and "我的工作" in nav  # 我的工作 is the officer's only home entry
    assert re.search(r'data-testid="unread-badge"[^>]*>5<', nav)
    inbox = client.get("/notifications/").get_data(as_text=True)
    assert "4 条同类提醒" in inbox and "单独的一条" in inbox
    assert inbox.count('data-testid="notification"') == 1  # the flood is one line, not four
    listed = client.get("/notifications/?kind=visit_due&unread=1".replace("visit_due", rules.VISIT_DUE)).get_data(as_text=True)
    assert listed.count('data-testid="notification"') == 4
    manager = factory.user("manager", "wujin")
    auth.logout()
    auth.login(manager)
    nav = client.get("/").get_data(as_text=True)
    assert ">首页<" in nav and 'data-testid="unread-badge"' not in nav


def test_the_mail_viewer_renders_sanitised_html_with_chinese_headers_and_local_dates(app, client, auth, factory, tmp_path):
    app.config["MAIL_FOLDER"] = str(tmp_path / "mail")
    message = EmailMessage()
    message["From"] = "科技企业培育系统 <tracker@localhost>"
    message["To"] = "officer@example.com"
    message["Subject"] = "应走访提醒"
    message["Date"] = "Tue, 01 Dec 2026 23:30:00 +0000"
    message.set_content("第一行\n第二行")
    message.add_alternative('<p onclick="x()">正文<strong>加粗</strong></p><script>alert(1)</script>'
                            '<a href="javascript:alert(2)">坏链接</a><a href="http://127.0.0.1:5000/work/">好链接</a>',
                            subtype="html")
    path = mail_folder.write_eml(message, 7)
    admin = factory.user("admin")
    auth.login(admin)
    listing = client.get("/notifications/mail").get_data(as_text=True)
    assert "应走访提醒" in listing and str(tmp_path) not in listing and "MAIL_SERVER" not in listing
    body = client.get(f"/notifications/mail?name={path.name}").get_data(as_text=True)
    for label in ("发件人", "收件人", "主题", "日期"):
        assert f">{label}<" in body
    assert "2026-12-02 07:30" in body  # Asia/Shanghai
    assert "<strong>加粗</strong>" in body and "<script>alert(1)" not in body and "onclick" not in body
    assert "javascript:" not in body and 'href="http://127.0.0.1:5000/work/"' in body
    assert "第一行\n第二行" in body and "Message-ID" not in body and path.name not in body.split("<main", 1)[1].split("</main>")[0].replace(f"name={path.name}", "")


def test_the_heartbeat_speaks_local_time_and_does_not_cry_wolf_before_the_first_beat(app, client, auth, factory):
    first = heartbeat.status()
    assert first.state == heartbeat.NONE and "尚未收到" in first.text and "未运行" not in first.text
    heartbeat.record_heartbeat("a@host-1", at=dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.timezone.utc))
    fresh = heartbeat.status(dt.datetime(2026, 12, 2, 1, 20, tzinfo=dt.timezone.utc))
    assert fresh.state == heartbeat.OK and "2026-12-02 09:00" in fresh.text
    late = heartbeat.status(dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.timezone.utc))
    assert late.state == heartbeat.LATE and "请确认" in late.text
    auth.login(factory.user("admin"))
    assert 'data-testid="heartbeat"' in client.get("/admin/users").get_data(as_text=True)


def test_one_number_per_term_on_the_demo_city(app, client, auth):
    """The home page's 高新技术企业 is indicator 1; 已逾期 is one count on 我的工作, 专员工作量 and the
    monthly report's rule."""
    demo_city.generate(companies=600, seed=11)
    auth.login(_Login("admin@example.com"), demo_city.DEMO_PASSWORD)
    home = client.get("/").get_data(as_text=True)
    holders = int(re.search(r'data-testid="hnte-holders">(\d+)<', home).group(1))
    indicator_1 = next(f for f in roll_up(today()).figures if f.indicator.code == "hnte_count").actual
    assert holders == indicator_1 > 0
    assert "与指标1" in home  # the tooltip says what it counts
    auth.logout()
    auth.login(_Login("manager.wujin@example.com"), demo_city.DEMO_PASSWORD)
    work = client.get("/work/").get_data(as_text=True)
    overdue_work = int(re.search(r'data-testid="group-count-overdue">(\d+)<', work).group(1))
    load = client.get("/cultivation/workload").get_data(as_text=True)
    overdue_load = int(re.search(r'data-testid="overdue-visits-total"[^>]*>(\d+)<', load).group(1))
    report_rule = sum(1 for v in due_visits(None, today(), min_state="overdue") if v.district == "wujin")
    assert overdue_work == overdue_load == report_rule > 0
    home = client.get("/").get_data(as_text=True)
    manager_holders = int(re.search(r'data-testid="hnte-holders">(\d+)<', home).group(1))
    district = next(f for f in roll_up(today()).figures if f.indicator.code == "hnte_count").by_district["wujin"].actual
    assert manager_holders == district


class _Login:
    """A demo account to sign in as (auth.login reads only the email)."""

    def __init__(self, email):
        self.email = email
