"""Everything known of one crisis, from Redis, as plain data."""

import re
from typing import Any

from redis.asyncio import Redis

from services.state import calllist, crises, keys
from services.state.answers import needing_help, unread_replies
from services.state.islands import leader_status
from services.state.needs import need_status
from services.trust import holds


async def crisis_view(redis: Redis, crisis_id: str) -> dict[str, Any]:
    """Counters, state, answers and trust decisions of a crisis; empty when unknown."""
    status, resolving = _consistent(await crises.status(redis, crisis_id))
    state = {str(k): str(v) for k, v in (await redis.hgetall(keys.crisis(crisis_id))).items()}
    safe, help_ = int(status.get("safety:safe", 0)), int(status.get("safety:help", 0))
    posts = [p for p in str(status.get("posts", "")).split(",") if p]
    return {
        "crisis": crisis_id,
        "state": state,
        "counters": status,
        # Event kinds whose recipients are still being counted: their deliveries wait.
        "resolving": resolving,
        # Deliveries held while their provider cannot take them, per channel.
        "waiting": await crises.waiting(redis, crisis_id),
        "posts": posts,
        # Per post, how many people its crisis cell may have to phone (`vigie calllist`).
        "to_call": calllist.to_call_per_post(status, posts),
        "call_list_reads": await calllist.reads(redis, crisis_id),
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


_DELIVERY = re.compile(r"(post:[^:]+:)?(sent|failed|skipped|not_needed):(sms|email|push)")


def _consistent(counters: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The counters as they add up: deliveries of an event kind the resolver is still
    counting (no `resolved_at` yet, so no targets) are held back, and the kind is named as
    resolving, rather than show more sent than targeted."""
    shown = dict(counters)
    resolving = []
    for msg_type, prefix in crises.COUNTER_PREFIX.items():
        if f"{prefix}resolved_at" in counters:
            continue
        early = [
            key
            for key in counters
            if key.startswith(prefix) and _DELIVERY.fullmatch(key.removeprefix(prefix))
        ]
        if early:
            resolving.append(msg_type.value)
            for key in early:
                del shown[key]
    return shown, resolving


def is_known(view: dict[str, Any]) -> bool:
    return bool(
        view["counters"] or view["state"] or view["holds"] or view["rejected"] or view["unsent"]
    )
