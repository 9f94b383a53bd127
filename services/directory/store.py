"""Write directory rows to Redis in chunks; re-importing updates in place and writes nothing
for a row that did not change.

A chunk's writes are grouped by key (one GEOADD, one HSET a tile, one SADD a country...):
redis-py reads each reply in Python, which cost more than the rest of the import when
every row took four or five commands (docs/benchmarks.md). Every command names one key, so
the same writes serve one Redis and Redis Cluster.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from redis.asyncio import Redis
from redis.typing import EncodableT

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
Located = NationalRow | TripRow
GeoMember = tuple[float, float, str]


@dataclass
class _Writes:
    """A chunk's changes, grouped by key: removals first, then additions."""

    hashes: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    geo: dict[str, list[GeoMember]] = field(default_factory=lambda: defaultdict(list))
    sets: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    gone_hash: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    gone_geo: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    gone_sets: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def __bool__(self) -> bool:
        groups = (self.hashes, self.geo, self.sets, self.gone_hash, self.gone_geo, self.gone_sets)
        return any(any(values for values in group.values()) for group in groups)

    def rewrites(self, key: str, row_id: str) -> bool:
        return row_id in self.hashes.get(key, {})


async def write_rows(redis: Redis, rows: Sequence[DirectoryRow]) -> int:
    """Returns how many of the rows changed (new, or different from what Redis holds)."""
    writes = _Writes()
    stored_rows: dict[str, dict[str, str]] = defaultdict(dict)  # key -> id -> JSON
    for row in rows:
        if isinstance(row, PostRow | IslandRow | ReservistRow):
            stored_rows[_hash_of(row)][row.id] = row.model_dump_json()
    located = [r for r in rows if isinstance(r, NationalRow | TripRow)]
    old = await _placements(redis, located)
    placements = {row.id: _placement(row) for row in located}
    for row in located:
        stored_rows[_data_key(row, placements[row.id][0])][row.id] = _stored(row)
    current = await _current(redis, stored_rows)
    changed = 0
    for key, values in stored_rows.items():
        for row_id, value in values.items():
            if current[key].get(row_id) != value:
                writes.hashes[key][row_id] = value
                changed += 1
    for row in rows:
        if isinstance(row, ReservistRow) and writes.rewrites(keys.RESERVISTS, row.id):
            writes.geo[keys.RESERVISTS_GEO].append((row.location.lon, row.location.lat, row.id))
    for row in located:
        placement = placements[row.id]
        if writes.rewrites(_data_key(row, placement[0]), row.id) or old.get(row.id) != placement:
            _index(writes, row, placement, old.get(row.id))
    if writes:
        await _apply(redis, writes)
    return changed


def _hash_of(row: PostRow | IslandRow | ReservistRow) -> str:
    if isinstance(row, PostRow):
        return keys.POSTS
    return keys.ISLANDS if isinstance(row, IslandRow) else keys.RESERVISTS


def _data_key(row: Located, tile: str) -> str:
    return keys.national_data(tile) if isinstance(row, NationalRow) else keys.trip_data(tile)


def _kind(row: Located) -> str:
    return "national" if isinstance(row, NationalRow) else "trip"


def _placement(row: Located) -> Placement:
    return keys.tile_of(row.location.lat, row.location.lon), row.country or "", row.region or ""


def _stored(row: Located) -> str:
    """A located row as Redis keeps it, a million times over: without its kind and id (its
    key and field say them), what it does not have, or the drill and test flags when
    false (most people are enrolled in neither). Readers get the id back from the field
    (services/state/directory.py)."""
    not_enrolled = {flag for flag in ("exercise", "test") if not getattr(row, flag, True)}
    return row.model_dump_json(exclude={"kind", "id", *not_enrolled}, exclude_none=True)


async def _placements(redis: Redis, located: list[Located]) -> dict[str, Placement]:
    by_where: dict[str, list[str]] = defaultdict(list)
    for row in located:
        by_where[_where(row)].append(row.id)
    found: dict[str, Placement] = {}
    for where_key, ids in by_where.items():
        for row_id, value in zip(ids, await redis.hmget(where_key, ids), strict=True):
            if value:
                tile, country, region = str(value).split("|")
                found[row_id] = (tile, country, region)
    return found


def _where(row: Located) -> str:
    return keys.NATIONAL_WHERE if isinstance(row, NationalRow) else keys.TRIP_WHERE


async def _current(redis: Redis, wanted: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """What Redis holds now for these fields, one HMGET a key."""
    pipe = redis.pipeline(transaction=False)
    for key, values in wanted.items():
        pipe.hmget(key, list(values))
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for (key, values), stored in zip(wanted.items(), await pipe.execute(), strict=True):
        found[key] = {i: str(v) for i, v in zip(values, stored, strict=True) if v is not None}
    return found


def _index(writes: _Writes, row: Located, placement: Placement, old: Placement | None) -> None:
    kind, (tile, country, region) = _kind(row), placement
    geo = keys.national_geo if kind == "national" else keys.trip_geo
    if old is not None and old != placement:
        old_tile, old_country, old_region = old
        if old_tile != tile:
            writes.gone_geo[geo(old_tile)].append(row.id)
            writes.gone_hash[_data_key(row, old_tile)].append(row.id)
        if old_country and old_country != country:
            writes.gone_sets[keys.country_members(kind, old_country)].append(row.id)
        if old_region and old_region != region:
            writes.gone_sets[keys.region_members(kind, old_region)].append(row.id)
    writes.geo[geo(tile)].append((row.location.lon, row.location.lat, row.id))
    writes.hashes[_where(row)][row.id] = "|".join(placement)
    if country:
        writes.sets[keys.country_members(kind, country)].append(row.id)
    if region:
        writes.sets[keys.region_members(kind, region)].append(row.id)


async def _apply(redis: Redis, writes: _Writes) -> None:
    pipe = redis.pipeline(transaction=False)
    for key, ids in writes.gone_geo.items():
        pipe.zrem(key, *ids)
    for key, ids in writes.gone_hash.items():
        pipe.hdel(key, *ids)
    for key, ids in writes.gone_sets.items():
        pipe.srem(key, *ids)
    for key, members in writes.geo.items():
        pipe.geoadd(key, [value for member in members for value in member])
    for key, mapping in writes.hashes.items():
        if mapping:
            pipe.hset(key, mapping=cast(Mapping[EncodableT, EncodableT], mapping))
    for key, ids in writes.sets.items():
        pipe.sadd(key, *ids)
    pipe.incr(keys.DIRECTORY_VERSION)
    await pipe.execute()
