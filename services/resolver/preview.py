"""Who an event would reach, read from the directory without writing anything: the counts a
crisis would then show, the islands and leaders, the reservists, and why it would wait."""

import math
from collections import Counter
from dataclasses import dataclass, field

from redis.asyncio import Redis

from schemas.crisis import CrisisEvent, MsgType, Status
from services.places.directory_view import DirectoryCache
from services.places.geometry import TargetArea, target_area
from services.places.posts import area_posts, islands_concerned, posts_concerned
from services.resolver.audience import audience_of
from services.resolver.gate import Gate
from services.resolver.reach import people_reached
from services.resolver.recipients import addressees, post_cells
from services.resolver.reservists import candidates
from services.state import crises

# An area this large (a few large countries) is rarely meant: the preview says so.
LARGE_AREA_KM2 = 2_000_000
KM_PER_DEGREE = 111.2


@dataclass
class Reach:
    """What an event would reach; `counters` are those `vigie status` then shows."""

    counters: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)  # people per primary language
    posts: list[str] = field(default_factory=list)
    islands: list[dict[str, object]] = field(default_factory=list)
    reservists: dict[str, list[str]] = field(default_factory=dict)  # need -> candidates
    hold_reason: str | None = None
    area_km2: float = 0.0


async def reach(redis: Redis, event: CrisisEvent, approval_above_people: int) -> Reach:
    # A Draft or System event reaches nobody: its preview shows whom it would reach if
    # it were real, so the operator can check it before making it so.
    counted = (
        event.model_copy(update={"status": Status.ACTUAL})
        if event.status in (Status.DRAFT, Status.SYSTEM)
        else event
    )
    audience = audience_of(counted)
    found = Reach()
    source = counted
    if event.msg_type is MsgType.CANCEL:
        source = await crises.latest_alert(redis, event.crisis_id) or event
    view = await DirectoryCache(redis).current()
    area = target_area(source.areas)
    found.area_km2 = _area_km2(area)
    if audience.post_cells:  # counted as the fan-out counts them
        list(post_cells(area_posts(area, view), event.channels, found.counters))
    async for people in people_reached(redis, counted, area, audience):
        addressees(people, view, event.channels, found.counters)
        found.languages.update((p.get("language") or "fr").split("-")[0] for p in people)
    found.posts = posts_concerned(area, view, found.counters)
    if audience.leaders:
        for island in islands_concerned(area, view):
            found.islands.append(
                {
                    "island": island.id,
                    "name": island.name,
                    "post": island.post_id,
                    "leader": island.leader_id,
                    "deputies": island.deputy_ids,
                }
            )
    if audience.reservists and event.msg_type is not MsgType.CANCEL:
        admitted = [r for r in view.reservists if audience.admits(r.model_dump())]
        for need in event.reservist_needs:
            found.reservists[need.need_id] = [
                c.reservist_id for c in candidates(need, admitted, area.centre)
            ]
    if not event.is_record_only:
        found.hold_reason = await Gate(redis, approval_above_people).reason(event, area)
    return found


def _area_km2(area: TargetArea) -> float:
    if area.shape is None:
        return 0.0
    latitude = area.shape.centroid.y
    return float(area.shape.area * KM_PER_DEGREE**2 * math.cos(math.radians(latitude)))
