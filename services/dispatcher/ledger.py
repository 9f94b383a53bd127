"""Which (event, person, channel) deliveries were claimed, sent, failed or skipped.

A delivery is claimed before its provider call and settled after it. A claim left by a
sender that died is taken over once its lease expires, so a crash never loses a message;
the provider's idempotency key (the event identifier) keeps that retry from showing twice.
Counters move in the same transaction as the settled state, so they count each once.
"""

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.typing import EncodableT

from schemas.alerts import Addressee
from schemas.crisis import Channel
from schemas.delivery import Outcome
from services.common import compact_json
from services.common.crises import CANCELLED, crisis_key, status_key
from services.common.metrics import DELIVERIES

# KEYS: deliveries. ARGV: now, the lease, the event, the channel, the people as a JSON list.
_CLAIM = """
local now, lease, event, channel = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]
local claimed = {}
local sending = 'sending:' .. ARGV[1]
for _, person in ipairs(cjson.decode(ARGV[5])) do
  local field = event .. '|' .. person .. '|' .. channel
  if redis.call('HSETNX', KEYS[1], field, sending) == 1 then
    claimed[#claimed + 1] = 1
  else
    local state = redis.call('HGET', KEYS[1], field)
    if string.sub(state, 1, 8) == 'sending:' and tonumber(string.sub(state, 9)) < now - lease then
      redis.call('HSET', KEYS[1], field, sending)
      claimed[#claimed + 1] = 1
    else
      claimed[#claimed + 1] = 0
    end
  end
end
return claimed
"""


# KEYS: deliveries, status, addressbook, alerted, crisis. ARGV: the counters' prefix, the
# channel, the event, "1" to remember who an alert reached, then the deliveries as one JSON
# list of [person, outcome, post or "", address if it reached them or "", island or ""]:
# one argument, not five a delivery, each of which redis-py and Redis would handle apart.
# A delivery is settled and counted only if it had no outcome yet: a batch settled again (a
# sender whose claim was taken over after its lease, or redis-py sending the script again
# after a Redis restart cut off its reply) counts nothing twice.
_SETTLE = """
local prefix, channel, event, alerting = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
local rows = cjson.decode(ARGV[5])
local counts, book, alerted = {}, {}, {}
for first = 1, #rows, 500 do
  local last = math.min(first + 499, #rows)
  local fields = {}
  for i = first, last do fields[#fields + 1] = event .. '|' .. rows[i][1] .. '|' .. channel end
  local olds = redis.call('HMGET', KEYS[1], unpack(fields))
  local settled = {}
  for j = 1, #fields do
    local old, row = olds[j], rows[first + j - 1]
    if (not old) or string.sub(old, 1, 8) == 'sending:' then
      settled[#settled + 1] = fields[j]
      settled[#settled + 1] = row[2]
      local key = prefix .. row[2] .. ':' .. channel
      counts[key] = (counts[key] or 0) + 1
      if row[3] ~= '' then
        local per_post = 'post:' .. row[3] .. ':' .. key
        counts[per_post] = (counts[per_post] or 0) + 1
      end
    end
    if row[4] ~= '' then
      book[#book + 1] = channel .. ':' .. row[4]
      book[#book + 1] = row[1] .. '|' .. row[3] .. '|' .. row[5]
      if alerting then
        alerted[#alerted + 1] = row[1] .. '|' .. channel
        alerted[#alerted + 1] = event
      end
    end
  end
  if #settled > 0 then redis.call('HSET', KEYS[1], unpack(settled)) end
end
for key, count in pairs(counts) do redis.call('HINCRBY', KEYS[2], key, count) end
for _, entries in ipairs({{KEYS[3], book}, {KEYS[4], alerted}}) do
  for first = 1, #entries[2], 1000 do
    local last = math.min(first + 999, #entries[2])
    redis.call('HSET', entries[1], unpack(entries[2], first, last))
  end
end
return redis.call('HGET', KEYS[5], 'state')
"""


def _in_flight(state: str | bytes | None) -> bool:
    return state is not None and str(state).startswith("sending:")


def deliveries_key(crisis_id: str) -> str:
    return f"deliveries:{{{crisis_id}}}"


def alerted_key(crisis_id: str) -> str:
    """(person, channel) -> the last alert or update that reached them."""
    return f"alerted:{{{crisis_id}}}"


def addressbook_key(crisis_id: str) -> str:
    """channel:address -> person, to show who received what (`vigie outbox`)."""
    return f"addressbook:{{{crisis_id}}}"


# A delivery's outcome, to record: who, on this channel, and what became of it.
Settled = tuple[Addressee, Outcome]


def read_addressbook(entry: str) -> tuple[str, str | None, str | None]:
    """(person, post, island) of an address that received a message of the crisis, from
    the "person|post|island" the settle script writes."""
    person_id, post_id, island_id = [*entry.split("|"), "", ""][:3]
    return person_id, post_id or None, island_id or None


class Ledger:
    def __init__(self, redis: Redis, lease_s: float) -> None:
        self.redis = redis
        self.lease_s = lease_s
        self.poll_s = min(1.0, lease_s / 4)
        self.claim_script = redis.register_script(_CLAIM)
        self.settle_script = redis.register_script(_SETTLE)

    async def claim(
        self, crisis_id: str, event_id: str, channel: Channel, person_ids: list[str]
    ) -> list[bool]:
        if not person_ids:
            return []
        result = await self.claim_script(
            keys=[deliveries_key(crisis_id)],
            args=[
                time.time(),
                self.lease_s,
                event_id,
                channel.value,
                compact_json.dumps(person_ids),
            ],
        )
        return [bool(x) for x in result]

    async def take(
        self, crisis_id: str, event_id: str, channel: Channel, person_ids: list[str]
    ) -> AsyncIterator[list[str]]:
        """Yield the deliveries this sender now owns, until each one is settled: a delivery
        another sender is on is waited for (it settles it), and taken over once that
        sender's lease runs out (it died). So a job is never done while one of its
        deliveries, claimed by a sender that crashed or failed mid-job, has no outcome."""
        pending = list(person_ids)
        while pending:
            claimed = await self.claim(crisis_id, event_id, channel, pending)
            mine = [p for p, ours in zip(pending, claimed, strict=True) if ours]
            if mine:
                yield mine
            others = [p for p, ours in zip(pending, claimed, strict=True) if not ours]
            if not others:
                return
            states = await self.redis.hmget(
                deliveries_key(crisis_id), [f"{event_id}|{p}|{channel.value}" for p in others]
            )
            pending = [p for p, state in zip(others, states, strict=True) if _in_flight(state)]
            if pending:
                await asyncio.sleep(self.poll_s)

    async def alerted(self, crisis_id: str, channel: Channel, person_ids: list[str]) -> list[bool]:
        if not person_ids:
            return []
        found = await self.redis.hmget(
            alerted_key(crisis_id), [f"{p}|{channel.value}" for p in person_ids]
        )
        return [value is not None for value in found]

    async def settle(
        self,
        crisis_id: str,
        event_id: str,
        prefix: str,
        channel: Channel,
        settled: list[Settled],
        alerting: bool = False,
    ) -> bool:
        """`prefix` sets which counters move; `alerting` remembers who an alert reached,
        for a later Cancel to correct. One script per batch, not commands per person.
        Returns whether the crisis stood cancelled when these outcomes were recorded."""
        if not settled:
            return False
        rows = [
            (
                person.person_id,
                outcome.value,
                person.post_id or "",
                person.address if outcome is Outcome.SENT else "",
                person.island_id or "",
            )
            for person, outcome in settled
        ]
        args: list[EncodableT] = [
            prefix,
            channel.value,
            event_id,
            "1" if alerting else "0",
            compact_json.dumps(rows),
        ]
        keys = [
            deliveries_key(crisis_id),
            status_key(crisis_id),
            addressbook_key(crisis_id),
            alerted_key(crisis_id),
            crisis_key(crisis_id),
        ]
        state = await self.settle_script(keys=keys, args=args)
        for outcome, count in Counter(outcome.value for _, outcome in settled).items():
            DELIVERIES.labels(channel.value, outcome).inc(count)  # counted once recorded
        return bool(state == CANCELLED)
