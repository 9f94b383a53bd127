"""Reservist needs: who was asked for each, their answers, and what the crisis centre sees
of them (requested, accepted, declined, filled, the deadline warning)."""

from collections import Counter
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel
from redis.asyncio import Redis

from schemas.alerts import ReservistCandidates
from services.state import keys


class Standing(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NOT_NEEDED = "not_needed"  # answered or still silent once the quota was filled
    ENGAGED_ELSEWHERE = "engaged_elsewhere"


class Asked(BaseModel):
    standing: Standing = Standing.REQUESTED
    wave: int
    asked_at: float
    answered_at: AwareDatetime | None = None


class Need(BaseModel):
    request: ReservistCandidates
    people: dict[str, Asked] = {}
    cursor: int = 0  # candidates[:cursor] have been considered
    wave: int = 0
    warned: bool = False
    closed: bool = False

    @property
    def accepted(self) -> int:
        return sum(a.standing is Standing.ACCEPTED for a in self.people.values())

    @property
    def filled(self) -> bool:
        return self.accepted >= self.request.need.count

    @property
    def deadline(self) -> float:
        return self.request.need.deadline.timestamp()


async def need_status(redis: Redis, crisis_id: str) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for raw in (await redis.hgetall(keys.needs(crisis_id))).values():
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
