"""Distances on the earth for the optional location check-in (记录位置); pure Python.

A visit whose check-in lies further than a configured distance (VISIT_FAR_METRES, 1 km by
default) from the company's recorded position is flagged for the manager: the haversine
great-circle distance on a sphere of the earth's mean radius is well within a metre of the
ellipsoidal one at these distances, and needs no map service.
"""

from __future__ import annotations

import math

EARTH_RADIUS_METRES = 6_371_008.8  # mean radius (IUGG)
MAX_ACCURACY_METRES = 100_000  # a phone reporting worse than this has no useful position
DEFAULT_FAR_METRES = 1000


def valid_position(latitude: float, longitude: float) -> bool:
    """A latitude in [-90, 90] and a longitude in [-180, 180] (finite numbers)."""
    return (math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180)


def haversine_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two WGS-84 positions, in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(a)))


def describe_distance(metres: float) -> str:
    """"约 1.3 公里" / "约 850 米", for the flag shown to managers."""
    return f"约 {metres / 1000:.1f} 公里" if metres >= 1000 else f"约 {round(metres):d} 米"
