"""Reading the directory in Redis: a chunk of a tile's people, nationals by their
identifiers, a post by its own."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pydantic_core import from_json
from redis.asyncio import Redis

from schemas.crisis import Channel
from services.state import keys
from services.state.records import CONTACT_FIELD, PostRow

CHUNK = 500

Person = dict[str, Any]  # a national's stored record; location may be a trip's


async def records(redis: Redis, key: str, ids: list[str]) -> list[Person]:
    """The records of these people found in a tile, each with its id (the field it is kept
    under: services/directory/store.py leaves it out of the record)."""
    if not ids:
        return []
    found = []
    for row_id, raw in zip(ids, await redis.hmget(key, ids), strict=True):
        if raw is not None:
            # pydantic-core's JSON reader, faster than json.loads on these small records. It
            # caches the keys alone: values are mostly a person's own, and caching them
            # costs time.
            person = from_json(raw, cache_strings="keys")
            person["id"] = row_id
            found.append(person)
    return found


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


async def post(redis: Redis, post_id: str) -> PostRow | None:
    raw = await redis.hget(keys.POSTS, post_id)
    return PostRow.model_validate_json(raw) if raw else None


def reachable(person: Person, channels: list[Channel]) -> list[tuple[Channel, str]]:
    """Each of these channels the person has an address on and did not opt out of: where
    an alert on `channels` goes to them."""
    preferred = person.get("channels")
    found = []
    for channel in channels:
        address = person.get(CONTACT_FIELD[channel])
        if address and (preferred is None or channel.value in preferred):
            found.append((channel, str(address)))
    return found
