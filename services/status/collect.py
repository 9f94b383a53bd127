"""Everything known of one crisis, from Redis, as plain data."""

from typing import Any

from redis.asyncio import Redis

from services.common import crises
from services.leaders.status import leader_status
from services.reservists.status import need_status
from services.responses.safety import needing_help
from services.responses.unread import unread_replies
from services.trust import holds


async def crisis_view(redis: Redis, crisis_id: str) -> dict[str, Any]:
    """Counters, state, answers and trust decisions of a crisis; empty when unknown."""
    status = await crises.status(redis, crisis_id)
    state = {str(k): str(v) for k, v in (await redis.hgetall(crises.crisis_key(crisis_id))).items()}
    safe, help_ = int(status.get("safety:safe", 0)), int(status.get("safety:help", 0))
    return {
        "crisis": crisis_id,
        "state": state,
        "counters": status,
        "posts": [p for p in str(status.get("posts", "")).split(",") if p],
        "leaders": await leader_status(redis, crisis_id),
        "safety": {
            "safe": safe,
            "help": help_,
            "no_answer": max(int(status.get("people", 0)) - safe - help_, 0),
        },
        "needing_help": await needing_help(redis, crisis_id),
        "unread_replies": await unread_replies(redis, crisis_id),
        "needs": await need_status(redis, crisis_id),
        "holds": [h.model_dump(mode="json") for h in await holds.holds(redis, crisis_id)],
        "rejected": await holds.rejections(redis, crisis_id),
        "unsent": await crises.unsent(redis, crisis_id),
    }


def is_known(view: dict[str, Any]) -> bool:
    return bool(
        view["counters"] or view["state"] or view["holds"] or view["rejected"] or view["unsent"]
    )
