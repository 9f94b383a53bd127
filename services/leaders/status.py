"""What the crisis centre sees of the islands: acknowledged, escalated, unreached."""

from collections import Counter

from redis.asyncio import Redis

from services.leaders.escalation import Island, State, acks_key, escalation_key


async def leader_status(redis: Redis, crisis_id: str) -> dict[str, object]:
    islands = [
        Island.model_validate_json(raw)
        for raw in (await redis.hgetall(escalation_key(crisis_id))).values()
    ]
    acks = await redis.hgetall(acks_key(crisis_id))
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
