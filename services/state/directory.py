"""Reading people's records from the directory in Redis (services/directory/keys.py's
layout): a chunk of a tile's records, and nationals by their identifiers."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pydantic_core import from_json
from redis.asyncio import Redis

from services.directory import keys

CHUNK = 500

Person = dict[str, Any]  # a national's stored record; location may be a trip's


async def records(redis: Redis, key: str, ids: list[str]) -> list[Person]:
    if not ids:
        return []
    # pydantic-core's JSON reader, faster than json.loads on these small records. It caches
    # the keys alone: values are mostly a person's own, and caching them costs time.
    return [
        from_json(raw, cache_strings="keys")
        for raw in await redis.hmget(key, ids)
        if raw is not None
    ]


async def by_tile(redis: Redis, where_key: str, ids: list[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for chunk in chunks(ids, 5_000):
        for row_id, placement in zip(chunk, await redis.hmget(where_key, chunk), strict=True):
            if placement:
                grouped[str(placement).split("|", 1)[0]].append(row_id)
    return grouped


def chunks(items: list[str], size: int = CHUNK) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def nationals_by_id(redis: Redis, ids: list[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for tile, tile_ids in (await by_tile(redis, keys.NATIONAL_WHERE, ids)).items():
        for person in await records(redis, keys.national_data(tile), tile_ids):
            found[person["id"]] = person
    return found
