"""The local providers' record of what they received: a repeat of the same key is delivered
once, and a request that is partly a repeat delivers its new recipients, with their own
recipient variables."""

import redis

from services.common.config import Settings
from services.providers import outbox


def test_a_request_partly_repeated_delivers_only_its_new_recipients(
    settings: Settings, redis_client: redis.Redis
) -> None:
    client = redis.Redis.from_url(settings.redis_url or "", decode_responses=True)
    first = outbox.record(
        client,
        "email",
        ["a@x.org", "b@x.org"],
        "T",
        "%recipient.t%",
        "K1",
        {"a@x.org": {"t": "A"}, "b@x.org": {"t": "B"}},
    )
    again = outbox.record(
        client,
        "email",
        ["b@x.org", "c@x.org", "c@x.org"],
        "T",
        "%recipient.t%",
        "K1",
        {"b@x.org": {"t": "B"}, "c@x.org": {"t": "C"}},
    )
    other_key = outbox.record(
        client, "email", ["a@x.org"], "T", "%recipient.t%", "K2", {"a@x.org": {"t": "A2"}}
    )
    assert (first, again, other_key) == (0, 2, 0)
    received = [(r.to, r.key, r.body) for r in outbox.all_received(client)]
    assert sorted(received) == [
        ("a@x.org", "K1", "A"),
        ("a@x.org", "K2", "A2"),
        ("b@x.org", "K1", "B"),
        ("c@x.org", "K1", "C"),
    ]
    assert int(client.get(outbox.SUPPRESSED) or 0) == 2
