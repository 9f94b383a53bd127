"""Vigie on Redis Cluster (three masters with a replica each): a crisis of 10,000 people on
every channel reaches each once while every node is restarted in turn, and when the
master that serves the crisis is killed mid-way and its replica takes over."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.common.config import Settings
from services.embedded.redis_cluster import RedisCluster
from services.state import keys
from tests.delivery_helpers import suppressed
from tests.events import london_event_json
from tests.fault_helpers import Services, fault_tolerant, sent, settled_once_each, until
from tests.helpers import import_directory, publish, state_client


@pytest.fixture
def fault_settings(settings: Settings, redis_cluster: RedisCluster) -> Settings:
    """The test's own topics; Vigie's state in the cluster, emptied; the stand-in
    providers' outbox stays in the stack's own Redis."""
    redis_cluster.flush()
    return fault_tolerant(settings).changed(
        redis_url=redis_cluster.url, redis_mode="cluster", redis_claim_replicas=1
    )


@pytest.fixture
def state(fault_settings: Settings) -> Iterator[redis.Redis]:
    client = state_client(fault_settings)
    yield client
    client.close()


async def _crisis_under_way(
    settings: Settings, state: redis.Redis, directory: Path, crisis: str, sms: int
) -> int:
    """The crisis published over the London directory; once `sms` are sent, how many."""
    await import_directory(settings, directory)
    await publish(settings, london_event_json(crisis))
    await until(lambda: sent(state, crisis, "sms") > sms, f"{sms:,} SMS")
    return sent(state, crisis, "sms")


async def test_every_node_restarted_one_by_one_during_a_crisis(
    fault_settings: Settings,
    redis_cluster: RedisCluster,
    state: redis.Redis,
    outbox_client: redis.Redis,
    services: Services,
    london_directory: Path,
) -> None:
    crisis = "LONDON-RR"
    sent_at_first = await _crisis_under_way(fault_settings, state, london_directory, crisis, 1_000)
    holding = [n.client().dbsize() for n in redis_cluster.masters_now()]
    assert all(holding), f"the directory should spread over every master: {holding}"
    for node in redis_cluster.nodes:
        redis_cluster.stop_node(node)
        await asyncio.sleep(1)
        redis_cluster.restart(node)
        await asyncio.to_thread(redis_cluster.wait_healthy)
    final = await settled_once_each(state, outbox_client, crisis, services)
    assert sent_at_first < int(final["targeted:sms"]), "the restarts were not mid-fan-out"
    print(f"repeats absorbed by the provider: {suppressed(outbox_client)}")


async def test_the_crisis_master_killed_mid_way_loses_nobody(
    fault_settings: Settings,
    redis_cluster: RedisCluster,
    state: redis.Redis,
    outbox_client: redis.Redis,
    services: Services,
    london_directory: Path,
) -> None:
    crisis = "LONDON-RK"
    await _crisis_under_way(fault_settings, state, london_directory, crisis, 2_000)
    master = redis_cluster.master_of(keys.status(crisis))
    redis_cluster.kill(master)
    killed_at, sent_at_kill = time.monotonic(), sent(state, crisis, "sms")
    await until(
        lambda: redis_cluster.master_of(keys.status(crisis)).port != master.port,
        "its replica promoted",
        timeout_s=60,
    )
    print(f"replica serving the crisis {time.monotonic() - killed_at:.1f} s after the kill")
    await asyncio.sleep(3)
    redis_cluster.restart(master)
    final = await settled_once_each(state, outbox_client, crisis, services)
    assert sent_at_kill < int(final["targeted:sms"]), "the kill was not mid-fan-out"
    redis_cluster.wait_healthy()
    # Sends in flight at the kill are retried; the provider's idempotency key absorbs them.
    print(f"repeats absorbed by the provider: {suppressed(outbox_client)}")
