"""The crisis area as geometry: what Redis can search and what shapely must test."""

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from schemas.crisis import Area
from services.state.keys import tile_of

EARTH_RADIUS_KM = 6372.7976  # the radius Redis uses for GEO distances
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
CIRCLE_VERTICES = 64
# Cell sides divide the directory's 5-degree tiles, so a cell never straddles two tiles.
CELL_SIZES = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
MAX_CELLS = 400


@dataclass(frozen=True)
class Cell:
    """A lon/lat box of an aligned grid: small enough that Redis answers it quickly."""

    west: float
    south: float
    east: float
    north: float

    @property
    def tile(self) -> str:
        return tile_of(self.south, self.west)

    def box_km(self) -> tuple[float, float, float, float]:
        """(centre lon, centre lat, width km, height km) of a GEOSEARCH box holding the cell."""
        widest = math.cos(math.radians(min(abs(self.south), abs(self.north))))
        if self.south < 0 < self.north:
            widest = 1.0
        width = (self.east - self.west) * KM_PER_DEGREE * widest * 1.02 + 0.5
        height = (self.north - self.south) * KM_PER_DEGREE * 1.02 + 0.5
        return (self.west + self.east) / 2, (self.south + self.north) / 2, width, height

    def holds(self, lons: NDArray[np.float64], lats: NDArray[np.float64]) -> NDArray[np.bool_]:
        mask: NDArray[np.bool_] = (
            (lons >= self.west) & (lons < self.east) & (lats >= self.south) & (lats < self.north)
        )
        return mask


@dataclass(frozen=True)
class SearchShape:
    """One polygon or circle of the area: the grid cells to search and the exact test."""

    shape: BaseGeometry
    circle: tuple[float, float, float] | None = None  # lon, lat, radius km

    def contains(self, lons: NDArray[np.float64], lats: NDArray[np.float64]) -> NDArray[np.bool_]:
        if self.circle is not None:
            lon, lat, radius = self.circle
            inside: NDArray[np.bool_] = haversine_km_array(lon, lat, lons, lats) <= radius
            return inside
        return covers(self.shape, lons, lats)

    def cells(self) -> list[Cell]:
        west, south, east, north = self.shape.bounds
        size = next(
            (s for s in CELL_SIZES if (east - west) * (north - south) / (s * s) <= MAX_CELLS),
            CELL_SIZES[-1],
        )
        cells = []
        row = math.floor(south / size)
        while row * size <= north:
            col = math.floor(west / size)
            while col * size <= east:
                cell = Cell(col * size, row * size, (col + 1) * size, (row + 1) * size)
                if self.shape.intersects(shapely.box(cell.west, cell.south, cell.east, cell.north)):
                    cells.append(cell)
                col += 1
            row += 1
        return cells


@dataclass
class TargetArea:
    searches: list[SearchShape] = field(default_factory=list)
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
            # Prepared: a country's outline (tens of thousands of vertices) is tested against
            # each person and grid cell through an index rather than edge by edge.
            shapely.prepare(ring)
            shapes.append(ring)
            target.searches.append(SearchShape(ring))
        for circle in area.circles:
            lat, lon = circle.center
            if circle.radius_km == 0:  # a point (an epicentre): the islands and posts on it
                point = shapely.Point(lon, lat)
                shapes.append(point)
                target.searches.append(SearchShape(point.buffer(0.001), (lon, lat, 0.0)))
                continue
            traced = circle_polygon(lon, lat, circle.radius_km)
            shapes.append(traced)
            target.searches.append(SearchShape(traced.buffer(0.01), (lon, lat, circle.radius_km)))
        target.countries.update(area.countries)
        target.regions.update(area.regions)
    if shapes:
        # One shape (the usual case) needs no union, which is slow on a country's outline
        # (docs/benchmarks.md); the area is prepared for testing islands and posts.
        target.shape = shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)
        shapely.prepare(target.shape)
    return target


def covers(
    polygon: BaseGeometry, lons: NDArray[np.float64], lats: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Which points lie inside or on the edge of the polygon."""
    points = shapely.points(lons, lats)
    mask: NDArray[np.bool_] = shapely.covers(polygon, points)
    return mask


def haversine_km_array(
    lon: float, lat: float, lons: NDArray[np.float64], lats: NDArray[np.float64]
) -> NDArray[np.float64]:
    phi1, phi2 = math.radians(lat), np.radians(lats)
    dphi, dlambda = phi2 - phi1, np.radians(lons - lon)
    a = np.sin(dphi / 2) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    distance: NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return distance


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
