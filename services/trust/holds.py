"""What the trust checks decided, kept per crisis for `vigie status`: who signed each event,
which events wait for a second operator, who approved them, and what was refused and why."""

import json
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel
from redis.asyncio import Redis

from schemas.crisis import CrisisEvent
from services.state import keys
from services.trust.keys import TrustedKey

REJECTED_TTL_S = 30 * 86_400
MAX_REJECTIONS = 1_000  # per crisis id: hostile traffic cannot grow Redis without bound


class Signer(BaseModel):
    key_id: str
    operator: str

    @classmethod
    def of(cls, key: TrustedKey) -> "Signer":
        return cls(key_id=key.key_id, operator=key.operator)


class Hold(BaseModel):
    event: CrisisEvent
    reason: str
    signer: Signer | None
    held_at: AwareDatetime
    approved_by: Signer | None = None
    approved_at: AwareDatetime | None = None


async def record_signer(redis: Redis, event: CrisisEvent, key: TrustedKey) -> None:
    await redis.hset(
        keys.signers(event.crisis_id), event.identifier, Signer.of(key).model_dump_json()
    )


async def signer_of(redis: Redis, crisis_id: str, identifier: str) -> Signer | None:
    raw = await redis.hget(keys.signers(crisis_id), identifier)
    return Signer.model_validate_json(raw) if raw else None


async def hold(redis: Redis, event: CrisisEvent, reason: str) -> Hold:
    """Keep the event aside until approved."""
    held = Hold(
        event=event,
        reason=reason,
        signer=await signer_of(redis, event.crisis_id, event.identifier),
        held_at=datetime.now(UTC),
    )
    pipe = redis.pipeline(transaction=False)
    pipe.hset(keys.holds(event.crisis_id), event.identifier, held.model_dump_json())
    pipe.hset(keys.HELD_INDEX, event.identifier, event.crisis_id)
    await pipe.execute()
    return held


async def get_hold(redis: Redis, crisis_id: str, identifier: str) -> Hold | None:
    raw = await redis.hget(keys.holds(crisis_id), identifier)
    return Hold.model_validate_json(raw) if raw else None


async def holds(redis: Redis, crisis_id: str) -> list[Hold]:
    return [Hold.model_validate_json(raw) for raw in (await redis.hvals(keys.holds(crisis_id)))]


async def crisis_of_held(redis: Redis, identifier: str) -> str | None:
    found = await redis.hget(keys.HELD_INDEX, identifier)
    return str(found) if found else None


async def approve(redis: Redis, held: Hold, approver: TrustedKey, at: datetime) -> None:
    approved = held.model_copy(update={"approved_by": Signer.of(approver), "approved_at": at})
    pipe = redis.pipeline(transaction=False)
    pipe.hset(keys.holds(held.event.crisis_id), held.event.identifier, approved.model_dump_json())
    pipe.hdel(keys.HELD_INDEX, held.event.identifier)
    await pipe.execute()


async def reject(redis: Redis, crisis_id: str, identifier: str, reason: str) -> None:
    key = keys.rejected(crisis_id)
    if await redis.hlen(key) >= MAX_REJECTIONS:
        return
    entry = json.dumps({"reason": reason, "at": datetime.now(UTC).isoformat()})
    pipe = redis.pipeline(transaction=False)
    pipe.hset(key, identifier, entry)
    pipe.expire(key, REJECTED_TTL_S)
    await pipe.execute()


async def rejections(redis: Redis, crisis_id: str) -> dict[str, dict[str, str]]:
    return {
        str(k): json.loads(v) for k, v in (await redis.hgetall(keys.rejected(crisis_id))).items()
    }
