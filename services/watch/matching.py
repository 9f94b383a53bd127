"""Who of ours is inside another issuer's alert: nationals at home or on an active trip,
per post, and the islands it meets. Counted, never told."""

from collections import Counter
from datetime import UTC, datetime

import numpy as np
from redis.asyncio import Redis

from schemas.crisis import CrisisEvent
from services.places.directory_view import DirectoryCache
from services.places.geometry import target_area
from services.places.people import PeopleFinder
from services.places.posts import area_posts, islands_concerned
from services.state.watch import WatchedAlert


def expires_of(event: CrisisEvent) -> datetime | None:
    """When the alert stops being in force: the last of its info blocks' ends, if given."""
    expiries = [info.expires for info in event.info if info.expires is not None]
    return max(expiries) if expiries else None


async def matched(
    redis: Redis,
    directory: DirectoryCache,
    event: CrisisEvent,
    source: str,
    url: str | None,
    now: datetime | None = None,
) -> WatchedAlert:
    now = now or datetime.now(UTC)
    area = target_area(event.areas)
    view = await directory.current()
    per_post: Counter[str] = Counter({post.id: 0 for post in area_posts(area, view)})
    people = 0
    async for chunk in PeopleFinder(redis, area, now.date()).people():
        lons = np.fromiter((p["location"]["lon"] for p in chunk), float, len(chunk))
        lats = np.fromiter((p["location"]["lat"] for p in chunk), float, len(chunk))
        _, posts = view.place(lons, lats, [p.get("country") for p in chunk])
        per_post.update(post or "none" for post in posts)
        people += len(chunk)
    first = event.info[0]
    return WatchedAlert(
        sender=event.sender,
        identifier=event.identifier,
        sent=event.sent,
        source=source,
        url=url,
        issuer=first.sender_name or event.sender,
        msg_type=event.msg_type.value,
        event=event.event,
        headline=first.headline,
        language=first.language,
        severity=event.severity.value,
        urgency=event.urgency.value,
        certainty=event.certainty.value,
        expires=expires_of(event),
        area="; ".join(a.description for a in event.areas if a.description)[:500],
        people=people,
        by_code=area.shape is None,
        posts=dict(sorted(per_post.items(), key=lambda kv: (-kv[1], kv[0]))),
        islands=[island.id for island in islands_concerned(area, view)],
        seen_at=now,
    )
