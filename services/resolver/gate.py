"""The two-person rule, applied before anyone is reached: an Extreme event, or one reaching
more people than configured, waits for a second operator's approval. A Cancel never waits."""

import logging

from redis.asyncio import Redis

from schemas.crisis import CrisisEvent, MsgType, Severity
from services.common.metrics import EVENTS
from services.places.geometry import TargetArea
from services.places.people import PeopleFinder
from services.trust import holds

log = logging.getLogger("vigie.resolver")


class Gate:
    def __init__(self, redis: Redis, approval_above_people: int) -> None:
        self.redis = redis
        self.limit = approval_above_people

    async def holds_back(self, event: CrisisEvent, area: TargetArea) -> bool:
        if event.msg_type is MsgType.CANCEL:
            return False
        held = await holds.get_hold(self.redis, event.crisis_id, event.identifier)
        if held is not None:  # read again (a redelivery, or released by an approval)
            return held.approved_by is None
        reason = await self.reason(event, area)
        if reason is None:
            return False
        await holds.hold(self.redis, event, reason)
        EVENTS.labels("held").inc()
        log.warning("held %s for a second operator: %s", event.identifier, reason)
        return True

    async def reason(self, event: CrisisEvent, area: TargetArea) -> str | None:
        """Why this event must wait for a second operator; None when it need not."""
        if event.severity is Severity.EXTREME:
            return "severity Extreme"
        if self.limit <= 0:
            return None
        finder = PeopleFinder(self.redis, area, event.sent.date())
        found = await finder.estimate(self.limit)
        if found > self.limit:
            return f"reaches over {self.limit:,} people"
        return None
