"""A 10,000-recipient crisis on three Apache Kafka brokers (replication 3, min.insync.replicas
2, idempotent producers) while brokers fail: at the end everyone has exactly one message per
channel, the status equals what the providers received, and nothing was lost on the bus."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from schemas.crisis import Channel
from schemas.topics import ALERT_JOBS_PRIORITY, CRISIS_ACCEPTED
from services.common.bus_reader import read_raw
from services.common.config import Settings
from services.deploy.bus_access import user_of
from services.deploy.kafka_acls import grant
from services.embedded.kafka import KafkaCluster
from services.embedded.stack import EmbeddedStack
from tests.delivery_helpers import suppressed
from tests.events import london_event_json
from tests.fault_helpers import (
    SETTLE_TIMEOUT_S,
    Services,
    fault_tolerant,
    sent,
    settled_once_each,
    until,
)
from tests.helpers import import_directory, publish
from tests.secure_parts import signed_in

# Past pytest's 300 s: a crisis that does not settle on the cluster fails first saying why.
pytestmark = [pytest.mark.kafka, pytest.mark.timeout(SETTLE_TIMEOUT_S + 180)]
# Past the session (6 s) and request (8 s) timeouts of the services.
FREEZE_S = 14.0


@pytest.fixture
def cluster(kafka_stack: EmbeddedStack) -> Iterator[KafkaCluster]:
    assert kafka_stack.kafka is not None
    yield kafka_stack.kafka
    # Whatever a test did to the brokers, the next one starts with all three in sync.
    for node in kafka_stack.kafka.nodes:
        if node.running:
            kafka_stack.kafka.resume(node)
    kafka_stack.kafka.start()


@pytest.fixture
def fault_settings(settings: Settings) -> Settings:
    return fault_tolerant(settings)


def _broker_logs(cluster: KafkaCluster) -> list[Path]:
    return [node.directory / "server.log" for node in cluster.nodes]


@pytest.fixture
def services(fault_settings: Settings, tmp_path: Path, cluster: KafkaCluster) -> Iterator[Services]:
    """Each consumer as its own process; the brokers' logs quoted if a crisis does not settle."""
    running = Services(fault_settings, tmp_path, also=_broker_logs(cluster))
    yield running
    running.stop()


@pytest.fixture
def parts(kafka_stack: EmbeddedStack) -> EmbeddedStack:
    """The shared fixtures (settings, redis_client, outbox_client) on the Kafka stack."""
    return kafka_stack


async def _crisis_under_way(
    settings: Settings, redis_client: redis.Redis, directory: Path, crisis: str, sms: int = 1_000
) -> None:
    await import_directory(settings, directory)
    await publish(settings, london_event_json(crisis))
    await until(lambda: sent(redis_client, crisis, "sms") > sms, f"{sms:,} SMS")


def _jobs_topics(settings: Settings) -> list[str]:
    return [settings.bus.topic(topic) for topic in ALERT_JOBS_PRIORITY.values()]


async def _nothing_lost_on_the_bus(settings: Settings, crisis: str) -> None:
    accepted = [raw for raw in await read_raw(settings, CRISIS_ACCEPTED) if crisis.encode() in raw]
    assert len(accepted) == 1, f"crisis.accepted holds the event {len(accepted)} times"


async def test_the_jobs_leader_killed_and_started_again(
    outbox_client: redis.Redis,
    cluster: KafkaCluster,
    fault_settings: Settings,
    services: Services,
    redis_client: redis.Redis,
    london_directory: Path,
) -> None:
    crisis = "LONDON-K9"
    await _crisis_under_way(fault_settings, redis_client, london_directory, crisis)
    leader = await cluster.busiest_leader(_jobs_topics(fault_settings))
    cluster.kill(leader)
    at_kill = sent(redis_client, crisis, "sms")
    await until(lambda: sent(redis_client, crisis, "sms") > at_kill + 2_000, "2,000 SMS without it")
    await asyncio.to_thread(cluster.restart_node, leader)
    final = await settled_once_each(redis_client, outbox_client, crisis, services)
    assert at_kill < int(final["targeted:sms"]), "the kill was not mid-fan-out"
    await _nothing_lost_on_the_bus(fault_settings, crisis)
    print(
        f"node {leader.node_id} killed; repeats the providers absorbed: {suppressed(outbox_client)}"
    )


async def test_a_broker_frozen_past_the_timeouts_each_service_signed_in_as_its_own_user(
    outbox_client: redis.Redis,
    cluster: KafkaCluster,
    kafka_stack: EmbeddedStack,
    fault_settings: Settings,
    redis_client: redis.Redis,
    london_directory: Path,
    tmp_path: Path,
) -> None:
    """Each service with no more rights than services/deploy/bus_access.py gives its user,
    and the crisis centre's `vigie` as the operator's user."""
    security = kafka_stack.kafka_security
    assert security is not None
    await grant(fault_settings)
    services = Services(
        fault_settings,
        tmp_path,
        signed_in=lambda name, settings: signed_in(security, settings, user_of(name)),
        also=_broker_logs(cluster),
    )
    try:
        crisis = "LONDON-STOP"
        operator = signed_in(security, fault_settings, user_of("operator"))
        await _crisis_under_way(operator, redis_client, london_directory, crisis)
        frozen = await cluster.busiest_leader(_jobs_topics(fault_settings))
        cluster.pause(frozen)
        at_freeze = sent(redis_client, crisis, "sms")
        await asyncio.sleep(FREEZE_S)
        cluster.resume(frozen)
        final = await settled_once_each(redis_client, outbox_client, crisis, services)
        assert at_freeze < int(final["targeted:sms"]), "the freeze was not mid-fan-out"
        await _nothing_lost_on_the_bus(fault_settings, crisis)
        absorbed = suppressed(outbox_client)
        print(f"node {frozen.node_id} frozen; repeats the providers absorbed: {absorbed}")
    finally:
        services.stop()


async def test_a_rolling_restart_of_the_three_brokers(
    outbox_client: redis.Redis,
    cluster: KafkaCluster,
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
    london_directory: Path,
) -> None:
    # Slower deliveries, so that the crisis outlasts three restarts (13 to 20 s each).
    slow = fault_tolerant(settings).changed(rate_limits=dict.fromkeys(Channel, 150))
    services = Services(slow, tmp_path, also=_broker_logs(cluster))
    try:
        crisis = "LONDON-ROLL"
        await _crisis_under_way(slow, redis_client, london_directory, crisis, sms=200)
        stopped_at = []
        for node in cluster.nodes:
            stopped_at.append(sent(redis_client, crisis, "sms"))
            await asyncio.to_thread(cluster.stop_node, node)
            await asyncio.to_thread(cluster.restart_node, node)
            back = sent(redis_client, crisis, "sms")
            print(f"node {node.node_id} stopped at {stopped_at[-1]} SMS, back at {back}")
        final = await settled_once_each(redis_client, outbox_client, crisis, services)
        assert stopped_at[-1] < int(final["targeted:sms"]), "the restarts were not mid-fan-out"
        await _nothing_lost_on_the_bus(slow, crisis)
        print(f"repeats the providers absorbed: {suppressed(outbox_client)}")
    finally:
        services.stop()


async def test_all_three_brokers_stopped_and_started_again_from_their_disks(
    outbox_client: redis.Redis,
    cluster: KafkaCluster,
    fault_settings: Settings,
    services: Services,
    redis_client: redis.Redis,
    london_directory: Path,
) -> None:
    crisis = "LONDON-ALL"
    await _crisis_under_way(fault_settings, redis_client, london_directory, crisis)
    await asyncio.to_thread(cluster.stop)
    at_stop = sent(redis_client, crisis, "sms")
    await asyncio.sleep(3)
    await asyncio.to_thread(cluster.start)
    final = await settled_once_each(redis_client, outbox_client, crisis, services)
    assert at_stop < int(final["targeted:sms"]), "the stop was not mid-fan-out"
    await _nothing_lost_on_the_bus(fault_settings, crisis)
    print(f"repeats the providers absorbed: {suppressed(outbox_client)}")
