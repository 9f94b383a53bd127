"""The crisis centre's counters count each delivery once, however often it is settled: a
sender whose claim was taken over after its lease settles the batch the new owner settled
too, and redis-py sends a command again when a Redis restart cuts off its reply."""

import redis

from schemas.alerts import addressee
from schemas.crisis import Channel
from schemas.delivery import Outcome
from services.common.config import Settings
from services.common.runtime import make_redis
from services.dispatcher.ledger import Ledger
from services.state import keys


async def test_a_batch_settled_twice_is_counted_once(
    settings: Settings, redis_client: redis.Redis
) -> None:
    client = make_redis(settings)
    redis_client.hset(keys.events("C1"), "E1", "{}")  # the alert, as the resolver keeps it
    ledger = Ledger(client, lease_s=2.0)
    people = [f"N{i}" for i in range(5)]
    assert await ledger.claim("C1", "E1", Channel.SMS, people) == [True] * 5
    batch = [
        (
            addressee(p, f"+3360000000{i}", post_id="POST-1"),
            Outcome.SENT if i else Outcome.FAILED,
        )
        for i, p in enumerate(people)
    ]
    for _ in range(2):
        await ledger.settle("C1", "E1", "", Channel.SMS, batch)
    n9 = addressee("N9", "+1")
    await ledger.settle("C1", "E1", "", Channel.SMS, [(n9, Outcome.SENT)])
    status = redis_client.hgetall(keys.status("C1"))
    assert status["sent:sms"] == "5" and status["failed:sms"] == "1"
    assert status["post:POST-1:sent:sms"] == "4" and status["post:POST-1:failed:sms"] == "1"
    assert await ledger.alerted("C1", Channel.SMS, ["N1", "N0", "N9"]) == [True, False, True]
    await client.aclose()
