"""A crisis's call list: the nationals its posts' crisis cells should phone, because they
need help, could not be reached on any channel, or have not answered the safety check.

Built from what the crisis recorded: each person's deliveries of its alerts and updates,
the address book (the post and island of those reached), the people a delivery failed
to, and the answers. Reading it shows phone numbers in clear: every read is recorded.
"""

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import cast

from redis.asyncio import Redis
from redis.typing import EncodableT

from schemas.crisis import Channel, MsgType
from schemas.delivery import Outcome
from services.state import crises, keys
from services.state.addressbook import read_entry
from services.state.directory import nationals_by_id

Place = tuple[str, str]  # a person's post and island ("" when none)


class Situation(IntEnum):
    """Why a person is on the list; the most urgent first."""

    NEEDS_HELP = 1
    UNREACHED = 2  # every delivery to them failed
    UNANSWERED = 3  # reached, no answer to the safety check yet

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


@dataclass(frozen=True)
class ToCall:
    post_id: str
    island_id: str
    person_id: str
    situation: Situation
    sms: str | None
    email: str | None


async def remember_failed(redis: Redis, crisis_id: str, failed: dict[str, str]) -> None:
    """`failed`: national -> "post|island", whose alert failed for good on a channel, or
    who has no contact point (notices to leaders and reservists are not written here)."""
    mapping = cast(Mapping[EncodableT, EncodableT], failed)
    await redis.hset(keys.failed_people(crisis_id), mapping=mapping)


async def call_list(redis: Redis, crisis_id: str, post_id: str | None = None) -> list[ToCall]:
    """Ordered by post, then island, then situation (those who need help first)."""
    reached, outcomes = await _outcomes(redis, crisis_id)
    tried = set(outcomes)
    where = await _places(redis, crisis_id)
    for person, placed in (await redis.hgetall(keys.failed_people(crisis_id))).items():
        post, _, island = str(placed).partition("|")
        where.setdefault(str(person), (post, island))
        tried.add(str(person))  # a delivery failed, or the directory had no contact point
    answers = {
        str(person): str(value).split("|", 1)[0]
        for person, value in (await redis.hgetall(keys.answers(crisis_id))).items()
    }
    situations: dict[str, Situation] = {}
    for person in tried:
        answer = answers.get(person)
        if answer == "help":
            situations[person] = Situation.NEEDS_HELP
        elif answer == "safe":
            continue
        elif person not in reached:
            situations[person] = Situation.UNREACHED
        else:
            situations[person] = Situation.UNANSWERED
    for person, raw in (await redis.hgetall(keys.needing_help(crisis_id))).items():
        details = json.loads(raw)
        situations[str(person)] = Situation.NEEDS_HELP
        helped = (details.get("post_id") or "", details.get("island_id") or "")
        where.setdefault(str(person), helped)
    if await crises.is_cancelled(redis, crisis_id):  # the safety check no longer stands
        situations = {p: s for p, s in situations.items() if s is Situation.NEEDS_HELP}
    listed = {
        p: s for p, s in situations.items() if post_id is None or where.get(p, ("",))[0] == post_id
    }
    records = await nationals_by_id(redis, list(listed))
    rows = []
    for person, situation in listed.items():
        post, island = where.get(person, ("", ""))
        record = records.get(person, {})
        sms, email = record.get("sms"), record.get("email")
        rows.append(ToCall(post, island, person, situation, sms, email))
    return sorted(rows, key=lambda r: (r.post_id, r.island_id, r.situation, r.person_id))


async def silent(redis: Redis, crisis_id: str) -> dict[str, tuple[set[Channel], Place]]:
    """The people the crisis's alerts and updates reached who have not answered its safety
    check: the channels they were tried on (reached or failed), and their post and island."""
    reached, outcomes = await _outcomes(redis, crisis_id)
    answered = {str(person) for person in await redis.hkeys(keys.answers(crisis_id))}
    where = await _places(redis, crisis_id)
    return {
        person: (outcomes[person], where.get(person, ("", "")))
        for person in reached
        if person not in answered
    }


async def _places(redis: Redis, crisis_id: str) -> dict[str, Place]:
    """The post and island of each person the crisis reached, from its address book."""
    where: dict[str, Place] = {}
    for entry in (await redis.hgetall(keys.addressbook(crisis_id))).values():
        for owner in read_entry(str(entry)):
            where.setdefault(owner.person_id, (owner.post_id or "", owner.island_id or ""))
    return where


async def _outcomes(redis: Redis, crisis_id: str) -> tuple[set[str], dict[str, set[Channel]]]:
    """Who the crisis's alerts and updates reached; and who has an outcome of them at all,
    on which channels (reached or failed; those still in flight wait for theirs)."""
    events = await redis.hgetall(keys.events(crisis_id))
    alerting = [
        str(identifier)
        for identifier, raw in events.items()
        if json.loads(raw).get("msg_type") in (MsgType.ALERT.value, MsgType.UPDATE.value)
    ]
    reached: set[str] = set()
    settled: dict[str, set[Channel]] = defaultdict(set)
    for event_id in alerting:
        for channel in Channel:
            states = await redis.hgetall(keys.deliveries(crisis_id, event_id, channel))
            for person, state in states.items():
                if state == Outcome.SENT.value:
                    reached.add(str(person))
                if state in (Outcome.SENT.value, Outcome.FAILED.value):
                    settled[str(person)].add(channel)
    return reached, settled


async def record_read(
    redis: Redis, crisis_id: str, by: str, post_id: str | None, rows: int
) -> None:
    entry = {
        "by": by,
        "post_id": post_id,
        "rows": rows,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    await redis.lpush(keys.call_list_reads(crisis_id), json.dumps(entry))


async def reads(redis: Redis, crisis_id: str) -> list[dict[str, object]]:
    """Who read the call list, the newest first."""
    found = await redis.lrange(keys.call_list_reads(crisis_id), 0, -1)
    return [json.loads(raw) for raw in found]


def to_call_per_post(counters: dict[str, str], posts: list[str]) -> dict[str, int]:
    """The call list's size per post, from the crisis's counters: its people reached or
    tried, but for those who answered safe."""
    return {
        post: max(
            int(counters.get(f"post:{post}:people", 0))
            - int(counters.get(f"post:{post}:safety:safe", 0)),
            0,
        )
        for post in posts
    }
