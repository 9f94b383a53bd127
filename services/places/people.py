"""Nationals in the crisis area, at home or on an active trip, each once, in chunks."""

from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import cast

import numpy as np
from redis.asyncio import Redis

from services.places.geometry import Cell, SearchShape, TargetArea
from services.state import keys
from services.state.directory import Person, by_tile, chunks, records


class PeopleFinder:
    def __init__(self, redis: Redis, area: TargetArea, on: date) -> None:
        self.redis = redis
        self.area = area
        self.on = on
        self.seen: set[str] = set()

    async def people(self) -> AsyncIterator[list[Person]]:
        async for chunk in self._homes():
            yield chunk
        async for chunk in self._travellers():
            yield chunk

    async def estimate(self, limit: int) -> int:
        """How many people the area holds, counted from the indexes alone (every trip counts,
        whatever its dates: an upper bound); counting stops once past the limit."""
        # First the cheap bound: everyone in the tiles the area touches. Most crises stay
        # under the limit here, and the count costs a few ZCARDs instead of a search.
        tiles = sorted({cell.tile for search in self.area.searches for cell in search.cells()})
        pipe = self.redis.pipeline(transaction=False)
        for tile in tiles:
            pipe.zcard(keys.national_geo(tile))
            pipe.zcard(keys.trip_geo(tile))
        for kind in ("national", "trip"):
            for country in sorted(self.area.countries):
                pipe.scard(keys.country_members(kind, country))
            for region in sorted(self.area.regions):
                pipe.scard(keys.region_members(kind, region))
        bound = sum(int(n) for n in await pipe.execute())
        if bound <= limit:
            return bound
        found: set[str] = set()
        for geo_key in (keys.national_geo, keys.trip_geo):
            for search in self.area.searches:
                for cell in search.cells():
                    found.update(await _search(self.redis, geo_key(cell.tile), cell, search))
                    if len(found) > limit:
                        return len(found)
        for kind in ("national", "trip"):
            found.update(await _coded_members(self.redis, kind, self.area))
        return len(found)

    async def _homes(self) -> AsyncIterator[list[Person]]:
        for search in self.area.searches:
            for cell in search.cells():
                ids = await _search(self.redis, keys.national_geo(cell.tile), cell, search)
                for chunk in chunks(self._unseen(ids)):
                    yield await records(self.redis, keys.national_data(cell.tile), chunk)
        coded = await _coded_members(self.redis, "national", self.area)
        grouped = await by_tile(self.redis, keys.NATIONAL_WHERE, self._unseen(coded))
        for tile, ids in grouped.items():
            for chunk in chunks(ids):
                yield await records(self.redis, keys.national_data(tile), chunk)

    async def _travellers(self) -> AsyncIterator[list[Person]]:
        trips: list[Person] = []
        for search in self.area.searches:
            for cell in search.cells():
                ids = await _search(self.redis, keys.trip_geo(cell.tile), cell, search)
                for chunk in chunks(ids):
                    trips.extend(await records(self.redis, keys.trip_data(cell.tile), chunk))
        coded = await _coded_members(self.redis, "trip", self.area)
        for tile, ids in (await by_tile(self.redis, keys.TRIP_WHERE, coded)).items():
            for chunk in chunks(ids):
                trips.extend(await records(self.redis, keys.trip_data(tile), chunk))
        active: dict[str, Person] = {}
        for trip in trips:
            if date.fromisoformat(trip["start"]) <= self.on <= date.fromisoformat(trip["end"]):
                active.setdefault(trip["national_id"], trip)
        travellers = await by_tile(self.redis, keys.NATIONAL_WHERE, self._unseen(active))
        for tile, ids in travellers.items():
            for chunk in chunks(ids):
                people = await records(self.redis, keys.national_data(tile), chunk)
                for person in people:  # where they are now is where the trip is
                    trip = active[person["id"]]
                    person.update(
                        location=trip["location"],
                        country=trip.get("country"),
                        region=trip.get("region"),
                        trip_id=trip["id"],
                    )
                yield people

    def _unseen(self, ids: Iterable[str]) -> list[str]:
        fresh = [i for i in dict.fromkeys(ids) if i not in self.seen]
        self.seen.update(fresh)
        return fresh


async def _search(redis: Redis, key: str, cell: Cell, search: SearchShape) -> list[str]:
    lon, lat, width, height = cell.box_km()
    # The raw reply ([member, [lon, lat]] as text): redis-py's own parsing of a GEOSEARCH
    # reply, member by member in Python, cost more than the search.
    found = cast(
        list[tuple[str, tuple[str, str]]],
        await redis.execute_command(  # type: ignore[no-untyped-call]
            "GEOSEARCH", key, "FROMLONLAT", lon, lat, "BYBOX", width, height, "km", "WITHCOORD"
        ),
    )
    if not found:
        return []
    coords = np.array([coord for _, coord in found], dtype=np.float64)
    lons, lats = coords[:, 0], coords[:, 1]
    keep = cell.holds(lons, lats) & search.contains(lons, lats)
    return [member for (member, _), inside in zip(found, keep, strict=True) if inside]


async def _coded_members(redis: Redis, kind: str, area: TargetArea) -> list[str]:
    members: list[str] = []
    for country in sorted(area.countries):
        members.extend(cast(set[str], await redis.smembers(keys.country_members(kind, country))))
    for region in sorted(area.regions):
        members.extend(cast(set[str], await redis.smembers(keys.region_members(kind, region))))
    return members
