"""Which (event, person, channel) deliveries were claimed, sent, failed or skipped.

A delivery is claimed before its provider call and settled after it. A claim left by a
sender that died is taken over once its lease expires, so a crash never loses a message;
the provider's idempotency key (the event identifier) keeps that retry from showing twice.
Counters move in the same transaction as the settled state, so they count each once.
"""

import asyncio
import time
from collections.abc import AsyncIterator

from redis.asyncio import Redis, RedisCluster
from redis.typing import EncodableT

from schemas.alerts import Addressee
from schemas.crisis import Channel
from schemas.delivery import Outcome
from services.common import compact_json
from services.common.metrics import DELIVERIES
from services.state import keys
from services.state.addressbook import ENTRY_LUA, OWNERS, SEPARATOR
from services.state.crises import CANCELLED

# KEYS: the event's deliveries on the channel. ARGV: now, the lease, the people as a JSON
# list. A batch of fields is read, then the free ones (and those of a sender whose lease ran
# out) written, in one command each: a command per person costs Redis far more.
_CLAIM = """
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
local people = cjson.decode(ARGV[3])
local claimed = {}
local sending = 'sending:' .. ARGV[1]
for first = 1, #people, 500 do
  local last = math.min(first + 499, #people)
  local states = redis.call('HMGET', KEYS[1], unpack(people, first, last))
  local mine = {}
  for j = 1, last - first + 1 do
    local state = states[j]
    if (not state) or (string.sub(state, 1, 8) == 'sending:'
        and tonumber(string.sub(state, 9)) < now - lease) then
      mine[#mine + 1] = people[first + j - 1]
      mine[#mine + 1] = sending
      claimed[#claimed + 1] = 1
    else
      claimed[#claimed + 1] = 0
    end
  end
  if #mine > 0 then redis.call('HSET', KEYS[1], unpack(mine)) end
end
return claimed
"""


# KEYS: the event's deliveries on the channel, status, addressbook, crisis. ARGV: the
# counters' prefix, the channel, the deliveries as one flat JSON list, four strings each:
# outcome, post or "", address if it reached them or "", island or ""; and their people as
# a JSON list, which the script hands to Redis as it is. One argument, not four a delivery,
# each of which redis-py and Redis would handle apart; flat, as a list per delivery costs
# Redis as much again to decode.
# A delivery is settled and counted only if it had no outcome yet: a batch settled again (a
# sender whose claim was taken over after its lease, or redis-py sending the script again
# after a Redis restart cut off its reply) counts nothing twice.
_SETTLE = (
    """
local prefix, channel = ARGV[1], ARGV[2]
local OWNERS = '"""
    + OWNERS
    + """'
local SEPARATOR = '"""
    + SEPARATOR
    + """'
local rows = cjson.decode(ARGV[3])
local people = cjson.decode(ARGV[4])
local counts, book = {}, {}
for first = 1, #people, 500 do
  local last = math.min(first + 499, #people)
  local olds = redis.call('HMGET', KEYS[1], unpack(people, first, last))
  local settled = {}
  for i = first, last do
    local at, old = (i - 1) * 4, olds[i - first + 1]
    local outcome, post, address = rows[at + 1], rows[at + 2], rows[at + 3]
    if (not old) or string.sub(old, 1, 8) == 'sending:' then
      settled[#settled + 1] = people[i]
      settled[#settled + 1] = outcome
      local per_post = counts[outcome]
      if not per_post then
        per_post = {}
        counts[outcome] = per_post
      end
      per_post[post] = (per_post[post] or 0) + 1
    end
    if address ~= '' then
      local person, island = people[i], rows[at + 4]
      book[#book + 1] = channel .. ':' .. address
      book[#book + 1] = """
    + ENTRY_LUA
    + """
    end
  end
  if #settled > 0 then redis.call('HSET', KEYS[1], unpack(settled)) end
end
for outcome, per_post in pairs(counts) do
  local key, total = prefix .. outcome .. ':' .. channel, 0
  for post, count in pairs(per_post) do
    total = total + count
    if post ~= '' then redis.call('HINCRBY', KEYS[2], 'post:' .. post .. ':' .. key, count) end
  end
  redis.call('HINCRBY', KEYS[2], key, total)
end
-- An address several people share (a family's phone) keeps them all, and the status
-- counts the people who share one.
local shared = 0
for i = 1, #book, 2 do
  if redis.call('HSETNX', KEYS[3], book[i], book[i + 1]) == 0 then
    local owners = redis.call('HGET', KEYS[3], book[i])
    -- The same person reached again (another event, a trip) is no second owner.
    local person = string.sub(book[i + 1], 1, string.find(book[i + 1], SEPARATOR, 1, true))
    if not string.find(OWNERS .. owners, OWNERS .. person, 1, true) then
      redis.call('HSET', KEYS[3], book[i], owners .. OWNERS .. book[i + 1])
      shared = shared + (string.find(owners, OWNERS, 1, true) and 1 or 2)
    end
  end
end
if shared > 0 then redis.call('HINCRBY', KEYS[2], 'shared:' .. channel, shared) end
return redis.call('HGET', KEYS[4], 'state')
"""
)


# KEYS: the event's deliveries on the channel, the crisis's waiting batches. ARGV: now, the
# waiting batch's member, its expiry ("" once it no longer waits), the people as JSON. The
# claims still in flight are renewed (a sender waiting for its provider is alive), and the
# batch is counted as waiting, or no longer.
_HOLD = """
local now, member, expiry = ARGV[1], ARGV[2], ARGV[3]
local people = cjson.decode(ARGV[4])
local sending = 'sending:' .. now
for first = 1, #people, 500 do
  local last = math.min(first + 499, #people)
  local states = redis.call('HMGET', KEYS[1], unpack(people, first, last))
  local renewed = {}
  for j = 1, last - first + 1 do
    local state = states[j]
    if state and string.sub(state, 1, 8) == 'sending:' then
      renewed[#renewed + 1] = people[first + j - 1]
      renewed[#renewed + 1] = sending
    end
  end
  if #renewed > 0 then redis.call('HSET', KEYS[1], unpack(renewed)) end
end
if expiry == '' then
  redis.call('ZREM', KEYS[2], member)
else
  redis.call('ZADD', KEYS[2], expiry, member)
  redis.call('EXPIRE', KEYS[2], 86400 * 30)
end
return 0
"""


def _in_flight(state: str | bytes | None) -> bool:
    return state is not None and str(state).startswith("sending:")


# A delivery's outcome, to record: who, on this channel, and what became of it.
Settled = tuple[Addressee, Outcome]


REPLICA_WAIT_MS = 100


class Ledger:
    def __init__(self, redis: Redis, lease_s: float, replicas: int = 0) -> None:
        self.redis = redis
        self.lease_s = lease_s
        self.replicas = replicas
        self.poll_s = min(1.0, lease_s / 4)
        self.claim_script = redis.register_script(_CLAIM)
        self.settle_script = redis.register_script(_SETTLE)
        self.hold_script = redis.register_script(_HOLD)

    async def claim(
        self, crisis_id: str, event_id: str, channel: Channel, person_ids: list[str]
    ) -> list[bool]:
        if not person_ids:
            return []
        key = keys.deliveries(crisis_id, event_id, channel)
        result = await self.claim_script(
            keys=[key],
            args=[
                time.time(),
                self.lease_s,
                compact_json.dumps(person_ids),
            ],
        )
        if self.replicas:
            await self._replicated(key)
        return [bool(x) for x in result]

    async def _replicated(self, key: str) -> None:
        """Wait (a little) until the claims just made are on `replicas` replicas: a master
        lost now no longer takes them with it. Past the wait, the send goes on anyway."""
        if isinstance(self.redis, RedisCluster):  # WAIT goes to the master of the key
            node = self.redis.get_node_from_key(key)
            await self.redis.execute_command(
                "WAIT", self.replicas, REPLICA_WAIT_MS, target_nodes=node
            )
        else:
            await self.redis.wait(self.replicas, REPLICA_WAIT_MS)

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
            states = await self.redis.hmget(keys.deliveries(crisis_id, event_id, channel), others)
            pending = [p for p, state in zip(others, states, strict=True) if _in_flight(state)]
            if pending:
                await asyncio.sleep(self.poll_s)

    async def hold(
        self,
        crisis_id: str,
        event_id: str,
        channel: Channel,
        person_ids: list[str],
        waiting: bool,
    ) -> None:
        """Deliveries claimed by this sender wait for their provider (`waiting`), or no
        longer: their claims are renewed, so no other sender takes them over, and the
        crisis's status counts them as waiting while this sender says so."""
        if not person_ids:
            return
        now = time.time()
        member = f"{channel.value}|{event_id}|{person_ids[0]}|{len(person_ids)}"
        await self.hold_script(
            keys=[keys.deliveries(crisis_id, event_id, channel), keys.waiting(crisis_id)],
            args=[
                now,
                member,
                now + 2 * self.lease_s if waiting else "",
                compact_json.dumps(person_ids),
            ],
        )

    async def alerted(self, crisis_id: str, channel: Channel, person_ids: list[str]) -> list[bool]:
        """Whether an alert or update of the crisis reached each person on this channel:
        read from their deliveries of its events (a handful), at the rare Cancel, rather
        than written down again at each of the crisis's deliveries."""
        if not person_ids:
            return []
        events = [str(e) for e in await self.redis.hkeys(keys.events(crisis_id))]
        if not events:
            return [False] * len(person_ids)
        pipe = self.redis.pipeline(transaction=False)
        for event_id in events:
            pipe.hmget(keys.deliveries(crisis_id, event_id, channel), person_ids)
        per_event = await pipe.execute()
        return [
            any(states[i] == Outcome.SENT.value for states in per_event)
            for i in range(len(person_ids))
        ]

    async def settle(
        self,
        crisis_id: str,
        event_id: str,
        prefix: str,
        channel: Channel,
        settled: list[Settled],
    ) -> bool:
        """`prefix` sets which counters move. One script per batch, not commands per
        person. Returns whether the crisis stood cancelled when these outcomes were
        recorded."""
        if not settled:
            return False
        rows: list[str] = []
        people: list[str] = []
        tally = dict.fromkeys(Outcome, 0)
        for person, outcome in settled:
            people.append(person["person_id"])
            rows += (
                outcome,  # a str: the JSON holds its value
                person["post_id"] or "",
                person["address"] if outcome is Outcome.SENT else "",
                person["island_id"] or "",
            )
            tally[outcome] += 1
        args: list[EncodableT] = [
            prefix,
            channel.value,
            compact_json.dumps(rows),
            compact_json.dumps(people),
        ]
        touched = [
            keys.deliveries(crisis_id, event_id, channel),
            keys.status(crisis_id),
            keys.addressbook(crisis_id),
            keys.crisis(crisis_id),
        ]
        state = await self.settle_script(keys=touched, args=args)
        for outcome, count in tally.items():
            if count:
                DELIVERIES.labels(channel.value, outcome.value).inc(count)  # once recorded
        return bool(state == CANCELLED)
