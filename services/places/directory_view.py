"""Posts, islands and reservists held in memory, reloaded when the directory changes."""

from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from redis.asyncio import Redis
from shapely.geometry.base import BaseGeometry

from services.state import keys
from services.state.records import IslandRow, PostRow, ReservistRow, area_geometry


@dataclass
class DirectoryView:
    version: str
    posts: dict[str, PostRow]
    islands: list[IslandRow]
    island_shapes: list[BaseGeometry]
    reservists: list[ReservistRow]
    district_posts: list[PostRow] = field(default_factory=list)
    district_shapes: list[BaseGeometry] = field(default_factory=list)
    posts_by_country: dict[str, list[PostRow]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.island_tree = shapely.STRtree(self.island_shapes)
        for post in self.posts.values():
            if post.district_geojson is not None:
                self.district_posts.append(post)
                self.district_shapes.append(area_geometry(post.district_geojson))
            for country in post.district_countries:
                self.posts_by_country.setdefault(country, []).append(post)
        for posts in self.posts_by_country.values():
            posts.sort(key=lambda p: p.post_type != "embassy")  # the embassy speaks for a country
        self.district_tree = shapely.STRtree(self.district_shapes)

    def islands_meeting(self, area: BaseGeometry) -> list[IslandRow]:
        """Islands whose polygon intersects the area, touching included."""
        hits = self.island_tree.query(area, predicate="intersects")
        return [self.islands[i] for i in sorted(hits)]

    def posts_meeting(self, area: BaseGeometry) -> list[PostRow]:
        hits = self.district_tree.query(area, predicate="intersects")
        return [self.district_posts[i] for i in sorted(hits)]

    def place(
        self, lons: NDArray[np.float64], lats: NDArray[np.float64], countries: list[str | None]
    ) -> tuple[list[str | None], list[str | None]]:
        """(island id, post id) for each point: its island's post, else the consulate
        whose district polygon holds it, else the embassy of its country."""
        points = shapely.points(lons, lats)
        islands: list[str | None] = [None] * len(points)
        posts: list[str | None] = [None] * len(points)
        # "intersects": a home on an island's edge belongs to it; the first island found wins.
        # The hits as Python ints (`tolist`): walking the array itself makes a numpy scalar
        # of each, slow at a million people.
        on_islands, island_indexes = self.island_tree.query(points, predicate="intersects").tolist()
        for point_index, island_index in zip(on_islands, island_indexes, strict=True):
            if islands[point_index] is None:
                island = self.islands[island_index]
                islands[point_index] = island.id
                posts[point_index] = island.post_id
        in_districts, district_indexes = self.district_tree.query(
            points, predicate="intersects"
        ).tolist()
        for point_index, district_index in zip(in_districts, district_indexes, strict=True):
            if posts[point_index] is None:
                posts[point_index] = self.district_posts[district_index].id
        for i, country in enumerate(countries):
            if posts[i] is None and country in self.posts_by_country:
                posts[i] = self.posts_by_country[country][0].id
        return islands, posts


class DirectoryCache:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.view: DirectoryView | None = None

    async def current(self) -> DirectoryView:
        version = str(await self.redis.get(keys.DIRECTORY_VERSION) or "0")
        if self.view is None or self.view.version != version:
            self.view = await _load(self.redis, version)
        return self.view


async def _load(redis: Redis, version: str) -> DirectoryView:
    posts = {
        str(pid): PostRow.model_validate_json(raw)
        for pid, raw in (await redis.hgetall(keys.POSTS)).items()
    }
    islands = [
        IslandRow.model_validate_json(raw) for raw in (await redis.hgetall(keys.ISLANDS)).values()
    ]
    islands.sort(key=lambda i: i.id)
    reservists = [
        ReservistRow.model_validate_json(raw)
        for raw in (await redis.hgetall(keys.RESERVISTS)).values()
    ]
    return DirectoryView(
        version, posts, islands, [area_geometry(i.geojson) for i in islands], reservists
    )
