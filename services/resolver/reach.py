"""Who an event reaches in the directory: shared by the fan-out and the preview, so that a
preview counts exactly what publishing then reaches."""

from collections.abc import AsyncIterator

from redis.asyncio import Redis

from schemas.crisis import CrisisEvent
from services.places.geometry import TargetArea
from services.places.people import PeopleFinder
from services.resolver.audience import Audience
from services.state.directory import Person, nationals_by_id


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
