"""The crisis on a map, as GeoJSON (lon, lat): its area, the posts concerned, the islands
touched with the state of their leader's acknowledgement."""

from typing import Any

from redis.asyncio import Redis

from services.common import crises
from services.directory import keys
from services.directory.records import IslandRow, PostRow
from services.leaders.escalation import Island, acks_key, escalation_key

Feature = dict[str, Any]


async def map_layers(redis: Redis, crisis_id: str, post_ids: list[str]) -> dict[str, Any]:
    return {
        "area": await _area(redis, crisis_id),
        "posts": await _posts(redis, post_ids),
        "islands": await _islands(redis, crisis_id),
    }


def _collection(features: list[Feature]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


async def _area(redis: Redis, crisis_id: str) -> dict[str, Any]:
    event = await crises.latest_alert(redis, crisis_id)
    features: list[Feature] = []
    for area in event.areas if event else []:
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


async def _islands(redis: Redis, crisis_id: str) -> dict[str, Any]:
    islands = [
        Island.model_validate_json(raw)
        for raw in (await redis.hgetall(escalation_key(crisis_id))).values()
    ]
    if not islands:
        return _collection([])
    acked = await redis.hgetall(acks_key(crisis_id))
    ids = [i.alert.island_id for i in islands]
    rows = {
        row.id: row
        for raw in await redis.hmget(keys.ISLANDS, ids)
        if raw is not None
        for row in [IslandRow.model_validate_json(raw)]
    }
    features = []
    for island in islands:
        row = rows.get(island.alert.island_id)
        if row is None:
            continue
        state = "acknowledged" if row.id in acked else island.state.value
        features.append(
            {
                "type": "Feature",
                "geometry": row.geojson,
                "properties": {"id": row.id, "name": row.name, "leader": state},
            }
        )
    return _collection(features)
