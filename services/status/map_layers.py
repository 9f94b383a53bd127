"""The crisis on a map, as GeoJSON (lon, lat): its area, the posts concerned, the islands
touched with the state of their leader's acknowledgement."""

from typing import Any

from redis.asyncio import Redis

from schemas.crisis import Area
from services.state import crises, keys
from services.state.records import IslandRow, PostRow

Feature = dict[str, Any]


async def map_layers(
    redis: Redis, crisis_id: str, post_ids: list[str], island_states: dict[str, str]
) -> dict[str, Any]:
    """`island_states`: island id -> its leader's state, as the leaders' status gives it."""
    return {
        "area": await _area(redis, crisis_id),
        "posts": await _posts(redis, post_ids),
        "islands": await _islands(redis, island_states),
    }


def _collection(features: list[Feature]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


async def _area(redis: Redis, crisis_id: str) -> dict[str, Any]:
    event = await crises.latest_alert(redis, crisis_id)
    return area_layer(event.areas if event else [])


def area_layer(areas: list[Area]) -> dict[str, Any]:
    """Polygons as they are; circles as their centre with the radius for the page to draw."""
    features: list[Feature] = []
    for area in areas:
        for polygon in area.polygons:
            ring = [[lon, lat] for lat, lon in polygon.points]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {"description": area.description},
                }
            )
        for circle in area.circles:
            lat, lon = circle.center
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {"description": area.description, "radius_km": circle.radius_km},
                }
            )
    return _collection(features)


async def _posts(redis: Redis, post_ids: list[str]) -> dict[str, Any]:
    if not post_ids:
        return _collection([])
    features = []
    for raw in await redis.hmget(keys.POSTS, post_ids):
        if raw is None:
            continue
        post = PostRow.model_validate_json(raw)
        # The post itself where its address is known, else the outline of its district.
        if post.location is not None:
            geometry = {"type": "Point", "coordinates": [post.location.lon, post.location.lat]}
        elif post.district_geojson is not None:
            geometry = post.district_geojson
        else:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"id": post.id, "name": post.name, "type": post.post_type},
            }
        )
    return _collection(features)


async def _islands(redis: Redis, states: dict[str, str]) -> dict[str, Any]:
    if not states:
        return _collection([])
    features = []
    for raw in await redis.hmget(keys.ISLANDS, list(states)):
        if raw is None:
            continue
        row = IslandRow.model_validate_json(raw)
        features.append(
            {
                "type": "Feature",
                "geometry": row.geojson,
                "properties": {"id": row.id, "name": row.name, "leader": states[row.id]},
            }
        )
    return _collection(features)
