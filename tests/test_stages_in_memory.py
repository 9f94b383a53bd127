"""Each stage's handler on FastStream's in-memory broker (TestKafkaBroker): what it publishes
for what it reads, in milliseconds, with Redis real and no Kafka. The same stages run on a
real broker in the other tests."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from redis.asyncio import Redis

from schemas.alerts import AlertJob, LeaderAlert
from schemas.crisis import Channel, CrisisEvent
from schemas.delivery import DeadLetter
from schemas.topics import (
    ALERT_JOBS,
    ALERT_JOBS_PRIORITY,
    CRISIS_ACCEPTED,
    CRISIS_EVENTS,
    DEAD_LETTERS,
    LEADER_ALERTS,
)
from services.common.config import Settings
from services.common.runtime import Runtime, make_redis
from services.embedded.stack import EmbeddedStack
from services.ingest.service import register as register_ingest
from services.publishing import headers_for
from services.resolver.service import register as register_resolver
from tests.events import event_json, london_event_json
from tests.helpers import import_marrakech


@pytest.fixture
def memory_settings(stack: EmbeddedStack) -> Settings:
    # No Kafka is reached: the broker is replaced in memory; Redis is the stack's.
    return stack.settings(topic_prefix=f"m{uuid.uuid4().hex[:8]}.")


@pytest.fixture
async def ingest(memory_settings: Settings) -> AsyncIterator[tuple[Runtime, list[object]]]:
    broker = KafkaBroker(memory_settings.bootstrap_servers)
    redis: Redis = make_redis(memory_settings)
    await redis.flushdb()
    rt = Runtime(memory_settings, broker, redis)
    register_ingest(rt)
    out: list[object] = []

    @broker.subscriber(rt.topic(CRISIS_ACCEPTED))
    async def accepted(event: CrisisEvent) -> None:
        out.append(event)

    @broker.subscriber(rt.topic(DEAD_LETTERS))
    async def refused(letter: DeadLetter) -> None:
        out.append(letter)

    async with TestKafkaBroker(broker) as memory:
        yield rt, out
        assert memory is not None
    await redis.aclose()


async def test_ingest_hands_on_a_signed_event_once_and_dead_letters_the_rest(
    ingest: tuple[Runtime, list[object]],
) -> None:
    rt, out = ingest
    raw = london_event_json("MEM-1")
    signed = headers_for(rt.settings, raw)
    for _ in range(2):  # the second is a duplicate
        await rt.broker.publish(raw, rt.topic(CRISIS_EVENTS), headers=signed)
    await rt.broker.publish(raw, rt.topic(CRISIS_EVENTS))  # unsigned
    await rt.broker.publish(b"{not json", rt.topic(CRISIS_EVENTS), headers=signed)
    # The in-memory broker hands each message to its subscribers before publish returns.
    accepted = [m for m in out if isinstance(m, CrisisEvent)]
    letters = [m for m in out if isinstance(m, DeadLetter)]
    assert [e.identifier for e in accepted] == ["MEM-1"]
    assert len(letters) == 2
    assert any("unsigned" in letter.reason or "signature" in letter.reason for letter in letters)


async def test_the_resolver_turns_an_accepted_event_into_jobs_per_channel_and_leader_alerts(
    memory_settings: Settings, tmp_path: Path
) -> None:
    await import_marrakech(memory_settings, tmp_path)
    broker = KafkaBroker(memory_settings.bootstrap_servers)
    redis: Redis = make_redis(memory_settings)
    rt = Runtime(memory_settings, broker, redis)
    register_resolver(rt)
    jobs: list[AlertJob] = []
    leaders: list[LeaderAlert] = []
    for channel in Channel:
        for lanes in (ALERT_JOBS, ALERT_JOBS_PRIORITY):

            @broker.subscriber(rt.topic(lanes[channel]))
            async def job(message: AlertJob) -> None:
                jobs.append(message)

    @broker.subscriber(rt.topic(LEADER_ALERTS))
    async def leader(message: LeaderAlert) -> None:
        leaders.append(message)

    event = CrisisEvent.model_validate_json(event_json("MEM-Q"))
    try:
        async with TestKafkaBroker(broker):
            for warm_up in rt.startup:
                await warm_up()
            await broker.publish(event, rt.topic(CRISIS_ACCEPTED))
    finally:
        await redis.aclose()
    assert {job.channel for job in jobs} == set(Channel)
    assert all(job.crisis_id == event.crisis_id for job in jobs)
    people = {r["person_id"] for job in jobs for r in job.recipients}
    assert people, "nobody in the area"
    assert leaders and all(alert.crisis_id == event.crisis_id for alert in leaders)
