"""One GeoJSON feature to one directory row, or a reason it is refused."""

from typing import Any

from pydantic import ValidationError

from services.common.validation import describe_validation_error
from services.state.records import ROW_TYPES, DirectoryRow, area_geometry

POINT_KINDS = {"national", "trip", "reservist"}


class InvalidRow(ValueError):
    pass


def feature_to_row(feature: Any) -> DirectoryRow:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidRow("not a GeoJSON Feature")
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise InvalidRow("feature has no properties object")
    kind = properties.get("kind")
    if kind not in ROW_TYPES:
        raise InvalidRow(f"properties.kind is {kind!r}; expected one of {', '.join(ROW_TYPES)}")
    fields = dict(properties)
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        raise InvalidRow("feature has no geometry")
    try:
        fields.update(_geometry_fields(str(kind), geometry))
        row: DirectoryRow = ROW_TYPES[kind].model_validate(fields)  # type: ignore[assignment]
    except ValidationError as exc:
        raise InvalidRow(describe_validation_error(exc)) from None
    except ValueError as exc:
        raise InvalidRow(str(exc)) from None
    return row


def _geometry_fields(kind: str, geometry: dict[str, Any]) -> dict[str, Any]:
    if geometry.get("type") == "Point":
        if kind == "island":
            raise ValueError("an island's geometry must be a Polygon or MultiPolygon")
        return {"location": _point(geometry.get("coordinates"))}
    if kind in POINT_KINDS:
        raise ValueError(f"a {kind}'s geometry must be a Point, not {geometry.get('type')}")
    area_geometry(geometry)
    return {"district_geojson" if kind == "post" else "geojson": geometry}


def _point(coordinates: Any) -> dict[str, Any]:
    if not isinstance(coordinates, list) or len(coordinates) not in (2, 3):
        raise ValueError("Point coordinates must be [lon, lat]")
    return {"lon": coordinates[0], "lat": coordinates[1]}
