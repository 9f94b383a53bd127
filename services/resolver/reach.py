"""Who and what an event reaches in the directory: shared by the fan-out and the preview,
so that a preview counts exactly what publishing then reaches."""

from collections import Counter
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from schemas.crisis import CrisisEvent
from services.resolver.audience import Audience
from services.resolver.directory_view import DirectoryView
from services.resolver.geometry import TargetArea
from services.resolver.people import PeopleFinder
from services.state.directory import Person, nationals_by_id
from services.state.records import IslandRow, PostRow


async def people_reached(
    redis: Redis, event: CrisisEvent, area: TargetArea, audience: Audience
) -> AsyncIterator[list[Person]]:
    """The nationals the event may reach, in chunks: those in the area (at home or on an
    active trip) of its audience, or the people it names."""
    if not audience.nationals:
        return
    if audience.named is not None:
        named = await nationals_by_id(redis, sorted(audience.named))
        people = [p for p in named.values() if audience.admits(p)]
        if people:
            yield people
        return
    async for people in PeopleFinder(redis, area, event.sent.date()).people():
        yield [p for p in people if audience.admits(p)] if audience.enrolled else people


def islands_concerned(area: TargetArea, view: DirectoryView) -> list[IslandRow]:
    """The islands the area meets, and every island of a post whose country or region the
    area names."""
    found = {i.id: i for i in view.islands_meeting(area.shape)} if area.shape else {}
    coded_posts = {p.id for p in view.posts.values() if _coded(p, area)}
    for island in view.islands:
        if island.post_id in coded_posts:
            found.setdefault(island.id, island)
    return sorted(found.values(), key=lambda i: i.id)


def area_posts(area: TargetArea, view: DirectoryView) -> list[PostRow]:
    """The posts whose district the area meets."""
    found = {p.id: p for p in view.posts_meeting(area.shape)} if area.shape else {}
    for post in view.posts.values():
        if _coded(post, area):
            found.setdefault(post.id, post)
    return sorted(found.values(), key=lambda p: p.id)


def posts_concerned(area: TargetArea, view: DirectoryView, counts: Counter[str]) -> list[str]:
    """The posts whose district the area meets, and those of the people counted."""
    posts = {p.id for p in area_posts(area, view)}
    posts |= {k.split(":")[1] for k in counts if k.startswith("post:")} - {"None"}
    return sorted(posts)


def _coded(post: PostRow, area: TargetArea) -> bool:
    return bool(
        set(post.district_countries) & area.countries or set(post.district_regions) & area.regions
    )
