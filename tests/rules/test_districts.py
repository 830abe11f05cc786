import pytest

from tracker.rules.districts import DISTRICTS, parse_district


@pytest.mark.parametrize("text, code", [
    ("常州市武进区", "wujin"),
    ("江苏省常州市武进区", "wujin"),
    ("江苏常州市钟楼区", "zhonglou"),
    ("常州市 天宁区", "tianning"),
    ("金坛市", "jintan"),
    ("常州市金坛区", "jintan"),
    ("常州高新区", "xinbei"),
    ("常州国家高新区", "xinbei"),
    ("江苏省常州市新北区", "xinbei"),
    ("常州经济开发区", "jingkai"),
    ("常州市经济开发区", "jingkai"),
    ("常经开", "jingkai"),
    ("溧阳市", "liyang"),
    ("江苏省溧阳市", "liyang"),
    (" Wujin ", "wujin"),
])
def test_official_spellings_are_recognised(text, code):
    assert parse_district(text) == code


@pytest.mark.parametrize("text", ["", "常州市", "江苏省", "高新区", "武进国家高新区", "上海市浦东新区", "武进县", "常州市溧水区", None])
def test_other_places_are_not_guessed(text):
    assert parse_district(text) is None


def test_every_district_name_round_trips():
    for district in DISTRICTS:
        assert parse_district(district.name) == district.code
        assert parse_district("常州市" + district.name) == district.code
