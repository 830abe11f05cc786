"""Haversine distances for the visit check-in (tracker/rules/geo.py)."""

import math

import pytest

from tracker.rules import geo


def test_one_thousandth_of_a_degree_of_latitude_is_about_111_metres():
    assert geo.haversine_metres(31.81, 119.97, 31.811, 119.97) == pytest.approx(111.2, abs=0.5)


def test_changzhou_to_nanjing_is_about_140_km():
    # 常州市政府 (31.8107, 119.9736) to 南京市政府 (32.0584, 118.7965)
    assert geo.haversine_metres(31.8107, 119.9736, 32.0584, 118.7965) / 1000 == pytest.approx(114, abs=3)


def test_same_point_is_zero_and_antipodes_half_the_circumference():
    assert geo.haversine_metres(31.8, 119.9, 31.8, 119.9) == 0
    assert geo.haversine_metres(0, 0, 0, 180) == pytest.approx(math.pi * geo.EARTH_RADIUS_METRES)


@pytest.mark.parametrize("lat, lon, ok", [(31.8, 119.9, True), (90, 180, True), (90.01, 0, False), (0, -180.5, False),
                                          (float("nan"), 0, False), (0, float("inf"), False)])
def test_valid_position(lat, lon, ok):
    assert geo.valid_position(lat, lon) is ok


def test_describe_distance():
    assert geo.describe_distance(850.4) == "约 850 米"
    assert geo.describe_distance(2134) == "约 2.1 公里"
