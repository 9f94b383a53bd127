"""Write directory rows to Redis in pipelined chunks; re-importing updates in place."""

from collections.abc import Sequence

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from services.state import keys
from services.state.records import (
    DirectoryRow,
    IslandRow,
    NationalRow,
    PostRow,
    ReservistRow,
    TripRow,
)

# Where a located row was indexed last time: "tile|country|region".
Placement = tuple[str, str, str]


async def write_rows(redis: Redis, rows: Sequence[DirectoryRow]) -> None:
    nationals = [r for r in rows if isinstance(r, NationalRow)]
    trips = [r for r in rows if isinstance(r, TripRow)]
    old_nationals = await _placements(redis, keys.NATIONAL_WHERE, [r.id for r in nationals])
    old_trips = await _placements(redis, keys.TRIP_WHERE, [r.id for r in trips])
    pipe = redis.pipeline(transaction=False)
    for row in rows:
        if isinstance(row, PostRow):
            pipe.hset(keys.POSTS, row.id, row.model_dump_json())
        elif isinstance(row, IslandRow):
            pipe.hset(keys.ISLANDS, row.id, row.model_dump_json())
        elif isinstance(row, ReservistRow):
            pipe.hset(keys.RESERVISTS, row.id, row.model_dump_json())
            pipe.geoadd(keys.RESERVISTS_GEO, (row.location.lon, row.location.lat, row.id))
        elif isinstance(row, NationalRow):
            _index_located(pipe, "national", row, old_nationals.get(row.id))
        else:
            _index_located(pipe, "trip", row, old_trips.get(row.id))
    pipe.incr(keys.DIRECTORY_VERSION)
    await pipe.execute()


async def _placements(redis: Redis, where_key: str, ids: list[str]) -> dict[str, Placement]:
    if not ids:
        return {}
    values = await redis.hmget(where_key, ids)
    found: dict[str, Placement] = {}
    for row_id, value in zip(ids, values, strict=True):
        if value:
            tile, country, region = str(value).split("|")
            found[row_id] = (tile, country, region)
    return found


def _index_located(
    pipe: Pipeline, kind: str, row: NationalRow | TripRow, old: Placement | None
) -> None:
    geo, data = (
        (keys.national_geo, keys.national_data)
        if kind == "national"
        else (keys.trip_geo, keys.trip_data)
    )
    where = keys.NATIONAL_WHERE if kind == "national" else keys.TRIP_WHERE
    tile = keys.tile_of(row.location.lat, row.location.lon)
    placement = (tile, row.country or "", row.region or "")
    if old is not None and old != placement:
        old_tile, old_country, old_region = old
        if old_tile != tile:
            pipe.zrem(geo(old_tile), row.id)
            pipe.hdel(data(old_tile), row.id)
        if old_country:
            pipe.srem(keys.country_members(kind, old_country), row.id)
        if old_region:
            pipe.srem(keys.region_members(kind, old_region), row.id)
    pipe.geoadd(geo(tile), (row.location.lon, row.location.lat, row.id))
    pipe.hset(data(tile), row.id, row.model_dump_json(exclude={"kind", *_not_enrolled(row)}))
    pipe.hset(where, row.id, "|".join(placement))
    if row.country:
        pipe.sadd(keys.country_members(kind, row.country), row.id)
    if row.region:
        pipe.sadd(keys.region_members(kind, row.region), row.id)


def _not_enrolled(row: NationalRow | TripRow) -> set[str]:
    """The drill and test flags a record leaves out when false: most people are enrolled
    in neither, and each national's record is kept in Redis."""
    return {flag for flag in ("exercise", "test") if not getattr(row, flag, True)}
