"""What the local providers received, kept in Redis so any process can read it.

Like real gateways that take a client reference, they honour an idempotency key: the same
key and recipient twice is delivered once, and the repeat is counted as suppressed.
A request to many recipients is kept as one entry, the way a gateway logs a batch; an email
merged per recipient (recipient variables) is kept with its variables, and each recipient's
copy is rebuilt when read.
"""

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from redis import Redis

from services.common.recipient_variables import merged

LOG = "outbox:log"
SUPPRESSED = "outbox:suppressed"
RULES = "outbox:rules"  # address -> remaining failures ("-1": always)
KEY_TTL_S = 7 * 86_400

# KEYS: the addresses that already got this key, the log, the suppressed counter.
# ARGV[1]: the log entry for every address; ARGV[2]: the addresses, as a JSON list (one
# argument: redis-py packs each argument in Python, which cost more than the rest of a
# record). One script, so an address is never marked as received without its log entry
# (Redis stopping in between would lose it for good: the retry is a repeat). Returns how
# many were repeats.
_RECORD = f"""
local addresses = cjson.decode(ARGV[2])
local fresh, taken = {{}}, {{}}
for first = 1, #addresses, 500 do
  local last = math.min(first + 499, #addresses)
  local seen = redis.call('SMISMEMBER', KEYS[1], unpack(addresses, first, last))
  for i = first, last do
    if seen[i - first + 1] == 0 and not taken[addresses[i]] then
      taken[addresses[i]] = true
      fresh[#fresh + 1] = addresses[i]
    end
  end
end
for first = 1, #fresh, 500 do
  redis.call('SADD', KEYS[1], unpack(fresh, first, math.min(first + 499, #fresh)))
end
redis.call('EXPIRE', KEYS[1], {KEY_TTL_S})
local suppressed = #addresses - #fresh
if suppressed == 0 then
  redis.call('RPUSH', KEYS[2], ARGV[1])
elseif #fresh > 0 then
  local entry = cjson.decode(ARGV[1])
  entry['to'] = fresh
  if entry['variables'] then
    local kept = {{}}
    for _, address in ipairs(fresh) do kept[address] = entry['variables'][address] end
    entry['variables'] = kept
  end
  redis.call('RPUSH', KEYS[2], cjson.encode(entry))
end
if suppressed > 0 then redis.call('INCRBY', KEYS[3], suppressed) end
return suppressed
"""


@dataclass(frozen=True)
class Received:
    channel: str
    to: str
    title: str
    body: str
    key: str
    at: float


def record(
    redis: Redis,
    channel: str,
    addresses: list[str],
    title: str,
    body: str,
    key: str,
    variables: dict[str, dict[str, str]] | None = None,
    variables_json: str | None = None,
) -> int:
    """Record one message to each address; returns how many were repeats (suppressed).
    `variables_json`, when at hand, is `variables` as JSON, naming these addresses alone:
    kept as it is, rather than encoded again (~0.5 ms a batch of 500 in the SMTP server)."""
    if not addresses:
        return 0
    entry: dict[str, Any] = {
        "channel": channel,
        "to": addresses,
        "title": title,
        "body": body,
        "key": key,
        "at": time.time(),
    }
    encoded = json.dumps(entry)
    if variables:
        kept = variables_json or json.dumps({a: variables.get(a, {}) for a in addresses})
        encoded = f'{encoded[:-1]}, "variables": {kept}}}'  # the entry's last field
    if not key:
        redis.rpush(LOG, encoded)
        return 0
    seen = f"outbox:seen:{channel}:{key}"
    return int(redis.eval(_RECORD, 3, seen, LOG, SUPPRESSED, encoded, json.dumps(addresses)))


def read_log(entries: Iterable[str | bytes]) -> list[Received]:
    """Each recipient's message, from the raw log entries."""
    received = []
    for raw in entries:
        entry = json.loads(raw)
        variables: dict[str, dict[str, str]] | None = entry.get("variables")
        for address in entry["to"]:
            body = entry["body"]
            if variables is not None:
                body = merged(body, variables.get(address, {}))
            received.append(
                Received(entry["channel"], address, entry["title"], body, entry["key"], entry["at"])
            )
    return received


class Failure(NamedTuple):
    """A test rule's failure: the address, and whether the provider refuses it for good
    (a wrong number or mailbox: rule "-1") rather than failing this once (a count)."""

    address: str
    permanent: bool


def should_fail(redis: Redis, addresses: list[str]) -> Failure | None:
    """The first address a test rule says to fail now, consuming one failure of it."""
    return failing(redis, redis.hgetall(RULES), addresses)


def failing(redis: Redis, rules: dict[Any, Any], addresses: list[str]) -> Failure | None:
    """As `should_fail`, with rules already read (an SMTP transaction reads them once)."""
    if not rules:
        return None
    for address in addresses:
        remaining = rules.get(address)
        if remaining is None:
            continue
        if str(remaining) == "-1":
            return Failure(address, permanent=True)
        if int(remaining) > 0:
            redis.hincrby(RULES, address, -1)
            return Failure(address, permanent=False)
    return None


def received(redis: Redis, channel: str, address: str) -> list[Received]:
    return [r for r in all_received(redis) if r.channel == channel and r.to == address]


def all_received(redis: Redis) -> list[Received]:
    return read_log(redis.lrange(LOG, 0, -1))
