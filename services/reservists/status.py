"""Per reservist need: requested, accepted, declined, filled, and the deadline warning."""

from collections import Counter

from redis.asyncio import Redis

from services.reservists.activation import Need, needs_key


async def need_status(redis: Redis, crisis_id: str) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for raw in (await redis.hgetall(needs_key(crisis_id))).values():
        need = Need.model_validate_json(raw)
        standings = Counter(a.standing.value for a in need.people.values())
        spec = need.request.need
        found[spec.need_id] = {
            "skill": spec.skill,
            "count": spec.count,
            "requested": len(need.people),
            "accepted": standings["accepted"],
            "declined": standings["declined"],
            "filled": need.filled,
            "unfilled_past_deadline": need.warned,
            "deadline": spec.deadline.isoformat(),
        }
    return found
