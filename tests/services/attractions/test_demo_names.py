"""Demo attraction project names stay unique per district (uq_attraction_project_district_name_live).

Settled projects are named after their company with 有限公司/股份 dropped, so 常州X有限公司 and
常州X股份有限公司 in one district once gave the same project name and the whole demo build
(flask demo-data --companies 100000) failed on the unique index.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AttractionProject
from tracker.rules.districts import DISTRICT_NAMES, INDUSTRIES
from tracker.services.attractions import demo
from tracker.services.ops import demo_city


def test_companies_differing_only_by_gufen_get_distinct_projects(app, factory):
    # Attracted this year, so each gets its settled project; the third is in another district
    # and may keep the plain name.
    on = today() - dt.timedelta(days=1)
    for name, district in (("常州恒瑞华创新材料有限公司", "wujin"), ("常州恒瑞华创新材料股份有限公司", "wujin"),
                           ("常州恒瑞华创新材料股份有限公司", "liyang")):
        factory.company(district=district, name=name, founded_on=dt.date(2020, 1, 1), attracted_on=on,
                        attraction_channel="carrier")

    demo.seed_demo(random.Random(3), today())
    db.session.flush()

    settled = db.session.execute(select(AttractionProject.district, AttractionProject.name)
                                 .where(AttractionProject.company_id.is_not(None))
                                 .order_by(AttractionProject.company_id)).all()
    assert settled == [("wujin", "常州恒瑞华创新材料落户项目"), ("wujin", "常州恒瑞华创新材料落户项目（二期）"),
                       ("liyang", "常州恒瑞华创新材料落户项目")]


def test_settled_names_at_city_scale_are_unique_per_district():
    # 100,000 company names the way the demo city makes them (place, two brand characters, an
    # industry word, 有限公司 or 股份有限公司; unique city-wide), spread over the districts.
    rng = random.Random(2027)
    districts = list(DISTRICT_NAMES)
    seen: set[str] = set()
    taken: set[tuple[str, str]] = set()
    suffixed = 0
    while len(seen) < 100_000:
        district = rng.choice(districts)
        place = rng.choice(("常州", "常州", "常州市", "江苏", DISTRICT_NAMES[district][:2]))
        form = rng.choice(("有限公司", "有限公司", "有限公司", "股份有限公司"))
        name = (f"{place}{rng.choice(demo_city._BRANDS)}{rng.choice(demo_city._BRANDS)}"
                f"{rng.choice(demo_city._SUFFIX[rng.choice(INDUSTRIES)])}{form}")
        if name in seen:
            continue
        seen.add(name)
        title = demo.settled_project_name(name, district, taken)
        assert (district, title) not in taken and len(title) <= 200
        taken.add((district, title))
        suffixed += title.endswith("期）")
    assert len(taken) == 100_000
    assert suffixed  # the collision did occur at this scale, and was resolved


def test_settled_name_suffixes_count_up_in_chinese_and_fit_the_column():
    taken: set[tuple[str, str]] = set()
    names = []
    for _ in range(12):
        names.append(demo.settled_project_name("江苏博远药业有限公司", "wujin", taken))
        taken.add(("wujin", names[-1]))
    assert names[:3] == ["江苏博远药业落户项目", "江苏博远药业落户项目（二期）", "江苏博远药业落户项目（三期）"]
    assert names[9:] == ["江苏博远药业落户项目（十期）", "江苏博远药业落户项目（十一期）", "江苏博远药业落户项目（十二期）"]
    assert len(set(names)) == 12
    long = "常" * 300 + "有限公司"
    first = demo.settled_project_name(long, "wujin", taken)
    taken.add(("wujin", first))
    second = demo.settled_project_name(long, "wujin", taken)
    assert len(first) == len(second) == 200 and first != second and second.endswith("（二期）")
