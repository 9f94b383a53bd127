"""Each island a crisis touches: where its leader's escalation stands, and what the crisis
centre sees of the islands (acknowledged, escalated, unreached)."""

from collections import Counter
from enum import StrEnum

from pydantic import BaseModel
from redis.asyncio import Redis

from schemas.alerts import LeaderAlert, Recipient
from services.state import keys


class State(StrEnum):
    WAITING = "waiting"
    ACKED = "acked"
    UNREACHED = "unreached"
    CLOSED = "closed"  # the crisis was cancelled before anyone acknowledged


class Island(BaseModel):
    alert: LeaderAlert
    step: int = 0  # index in contacts of the last person asked
    state: State = State.WAITING

    @property
    def contacts(self) -> list[Recipient]:
        leader = [self.alert.leader] if self.alert.leader else []
        return leader + self.alert.deputies

    @property
    def asked(self) -> list[Recipient]:
        return self.contacts[: self.step + 1]


async def leader_status(redis: Redis, crisis_id: str) -> dict[str, object]:
    islands = [
        Island.model_validate_json(raw)
        for raw in (await redis.hgetall(keys.escalations(crisis_id))).values()
    ]
    acks = await redis.hgetall(keys.acks(crisis_id))
    counts: Counter[str] = Counter()
    unreached = []
    states: dict[str, str] = {}
    for island in islands:
        acked = island.alert.island_id in acks
        states[island.alert.island_id] = "acknowledged" if acked else island.state.value
        counts["islands"] += 1
        counts["escalated"] += island.step > 0 or island.state is State.UNREACHED
        if acked:
            counts["reached"] += 1
        elif island.state is State.UNREACHED:
            counts["unreached"] += 1
            unreached.append(island.alert.island_id)
        elif island.state is State.WAITING:
            counts["waiting"] += 1
    return {**counts, "unreached_islands": sorted(unreached), "states": states}
