"""The crisis area as geometry: what Redis can search and what shapely must test."""

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from schemas.crisis import Area

EARTH_RADIUS_KM = 6372.7976  # the radius Redis uses for GEO distances
CIRCLE_VERTICES = 64


@dataclass(frozen=True)
class SearchCircle:
    """A circle Redis GEOSEARCH can query; `exact` when nothing more needs testing."""

    lon: float
    lat: float
    radius_km: float
    polygon: BaseGeometry | None = None

    @property
    def exact(self) -> bool:
        return self.polygon is None


@dataclass
class TargetArea:
    searches: list[SearchCircle] = field(default_factory=list)
    countries: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    shape: BaseGeometry | None = None  # polygons and circles together, for islands and posts

    @property
    def centre(self) -> tuple[float, float] | None:
        """(lon, lat) of the area's shapes, for ranking reservists by distance."""
        if self.shape is None:
            return None
        point = self.shape.centroid
        return point.x, point.y


def target_area(areas: list[Area]) -> TargetArea:
    target = TargetArea()
    shapes: list[BaseGeometry] = []
    for area in areas:
        for polygon in area.polygons:
            ring = Polygon([(lon, lat) for lat, lon in polygon.points])
            if not ring.is_valid:
                ring = shapely.make_valid(ring)
            shapes.append(ring)
            target.searches.append(_covering_circle(ring))
        for circle in area.circles:
            lat, lon = circle.center
            shapes.append(circle_polygon(lon, lat, circle.radius_km))
            target.searches.append(SearchCircle(lon, lat, circle.radius_km))
        target.countries.update(area.countries)
        target.regions.update(area.regions)
    if shapes:
        target.shape = shapely.union_all(shapes)
    return target


def covers(
    polygon: BaseGeometry, lons: NDArray[np.float64], lats: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Which points lie inside or on the edge of the polygon."""
    points = shapely.points(lons, lats)
    mask: NDArray[np.bool_] = shapely.covers(polygon, points)
    return mask


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def circle_polygon(lon: float, lat: float, radius_km: float) -> Polygon:
    """A polygon tracing the circle on the sphere (for intersecting islands and districts)."""
    angular = radius_km / EARTH_RADIUS_KM
    phi1, lambda1 = math.radians(lat), math.radians(lon)
    points = []
    for i in range(CIRCLE_VERTICES):
        bearing = 2 * math.pi * i / CIRCLE_VERTICES
        phi2 = math.asin(
            math.sin(phi1) * math.cos(angular)
            + math.cos(phi1) * math.sin(angular) * math.cos(bearing)
        )
        lambda2 = lambda1 + math.atan2(
            math.sin(bearing) * math.sin(angular) * math.cos(phi1),
            math.cos(angular) - math.sin(phi1) * math.sin(phi2),
        )
        points.append((math.degrees(lambda2), math.degrees(phi2)))
    return Polygon(points)


def _covering_circle(polygon: BaseGeometry) -> SearchCircle:
    minx, miny, maxx, maxy = polygon.bounds
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    corners = [(minx, miny), (minx, maxy), (maxx, miny), (maxx, maxy)]
    radius = max(haversine_km(lon, lat, x, y) for x, y in corners)
    # The bounding box's corners bound the polygon; the margin absorbs the curvature of
    # its edges between corners.
    return SearchCircle(lon, lat, radius * 1.01 + 1.0, polygon)
