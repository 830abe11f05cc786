"""The seven districts (辖市区) of Changzhou and the plan's key industry fields."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class District:
    code: str
    name: str
    aliases: tuple[str, ...]
    division_code: str | None


DISTRICTS: tuple[District, ...] = (
    District("liyang", "溧阳市", ("溧阳市", "溧阳"), "320481"),
    # 金坛市 until it became a district in 2015 (division code 320482 then).
    District("jintan", "金坛区", ("金坛区", "金坛", "金坛市"), "320413"),
    District("wujin", "武进区", ("武进区", "武进"), "320412"),
    # 常州(国家)高新区 is the same administration as 新北区.
    District("xinbei", "新北区", ("新北区", "新北", "常州高新区", "常州国家高新区",
                                 "常州国家高新技术产业开发区", "常州高新技术产业开发区"), "320411"),
    District("tianning", "天宁区", ("天宁区", "天宁"), "320402"),
    District("zhonglou", "钟楼区", ("钟楼区", "钟楼"), "320404"),
    # 常州经开区 is Wujin territory managed by the city: it has no division code of its own.
    District("jingkai", "常州经开区", ("常州经开区", "常经开", "经开区", "常州经济开发区", "经济开发区"), None),
)

DISTRICT_CODES: tuple[str, ...] = tuple(d.code for d in DISTRICTS)
DISTRICT_NAMES: dict[str, str] = {d.code: d.name for d in DISTRICTS}
# The plan's district table uses the short names; keep them for exports in its layout.
DISTRICT_SHORT_NAMES: dict[str, str] = {
    "liyang": "溧阳", "jintan": "金坛", "wujin": "武进", "xinbei": "新北",
    "tianning": "天宁", "zhonglou": "钟楼", "jingkai": "常经开",
}

_LOOKUP: dict[str, str] = {}
for _d in DISTRICTS:
    _LOOKUP[_d.code] = _d.code
    for _alias in _d.aliases:
        _LOOKUP[_alias] = _d.code


# Official lists prefix the district with the province and the city: 江苏省常州市武进区.
_PREFIXES = ("江苏省", "江苏", "常州市")


def parse_district(text: str | None) -> str | None:
    """Return the district code for a code or any spelling official lists use, or None.

    Accepted: the code (any case), the names and short names, historical names (金坛市), the
    development zones' names (常州高新区 = 新北区, 常州经济开发区), each optionally preceded by
    江苏省 and/or 常州市, with spaces anywhere.
    """
    if text is None:
        return None
    cleaned = "".join(text.split())
    if cleaned.isascii():
        return _LOOKUP.get(cleaned.lower())
    for prefix in _PREFIXES:
        if cleaned.startswith(prefix) and len(cleaned) > len(prefix):
            cleaned = cleaned[len(prefix):]
    return _LOOKUP.get(cleaned)


INDUSTRIES: tuple[str, ...] = (
    "新能源", "新材料", "高端装备", "智能制造", "生物技术与医药",
    "集成电路", "新型碳材料", "轨道交通", "机器人", "其他",
)
