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
from services.state import fallbacks, keys


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


async def test_a_fallback_taken_by_a_dispatcher_that_died_is_handed_on_by_the_next(
    settings: Settings, redis_client: redis.Redis
) -> None:
    """The alert failed N1 by SMS, the only channel it went to them on; they gave an email
    address. The dispatcher that took their fallback died before publishing its job: the
    one that takes up the failing delivery again gets it, counted once; once handed on,
    nobody takes it again."""
    client = make_redis(settings)
    redis_client.hset(keys.deliveries("C1", "E1", Channel.SMS), "N1", Outcome.FAILED.value)
    people = [("N1", "POST-1", [Channel.SMS], [Channel.EMAIL])]
    for _ in range(2):  # the first taker died; the second takes it up
        taken = await fallbacks.take(client, "C1", "E1", "", people, None)
        assert taken == {"N1": [Channel.EMAIL]}
    status = redis_client.hgetall(keys.status("C1"))
    assert status["targeted:email"] == "1" and status["fallback:email"] == "1"
    await fallbacks.handed_on(client, "C1", "E1", ["N1"])
    assert await fallbacks.take(client, "C1", "E1", "", people, None) == {}
    await client.aclose()
