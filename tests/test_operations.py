"""What operations rely on: metrics scraped from a running process, health, a graceful
SIGTERM, and replicas that split the partitions and still send once."""

import asyncio
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError

from schemas.crisis import Channel
from services.common.config import Settings
from services.common.metrics import watch_consumer_lag
from services.providers import outbox
from tests.answer_helpers import eventually
from tests.delivery_helpers import settled, settled_adding_up, status, suppressed
from tests.events import event_json, london_event_json
from tests.helpers import import_directory, import_marrakech, publish, service_process
from tests.ops_helpers import Samples, assigned, scrape, value, wait_healthy, with_ops_port


class Processes:
    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, settings: Settings, name: str) -> subprocess.Popen[bytes]:
        log = self.logs / f"{name}-{len(self.running)}.log"
        process = service_process(settings, name, log)
        self.running.append(process)
        return process

    def stop(self) -> None:
        for process in self.running:
            process.kill()
            process.wait()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    yield started
    started.stop()


async def test_metrics_and_health_of_a_running_pipeline(
    settings: Settings, tmp_path: Path, redis_client: redis.Redis, processes: Processes
) -> None:
    await import_marrakech(settings, tmp_path)
    ops = with_ops_port(settings)
    processes.start(ops, "all")
    health = wait_healthy(ops)
    assert health["broker"] is True and health["redis"] is True
    await publish(ops, event_json("QUAKE-M"))
    await publish(ops, b"<not-an-event/>")
    await settled(redis_client, "QUAKE-M")
    events_topic = ops.bus.topic_prefix + "crisis.events"

    def caught_up() -> Samples | None:
        """The metrics once ingest has taken both events and the lag gauge, which
        refreshes every 2 s, has seen its partitions read to the end."""
        samples = scrape(ops)
        done = value(samples, "vigie_events_total", outcome="rejected") >= 1 and (
            value(samples, "vigie_consumer_lag", topic=events_topic) == 0
        )
        return samples if done else None

    samples = await eventually(caught_up, "ingest's metrics after both events", timeout_s=60)
    assert value(samples, "vigie_events_total", outcome="accepted") == 1
    assert value(samples, "vigie_events_total", outcome="rejected") == 1
    assert value(samples, "vigie_fanout_jobs_total", lane="priority") >= 1  # Immediate
    assert value(samples, "vigie_deliveries_total", channel="sms", outcome="sent") >= 5
    assert value(samples, "vigie_provider_call_seconds_count", channel="sms") >= 1
    lag = [labels for labels, _ in samples["vigie_consumer_lag"]]
    assert {labels["topic"] for labels in lag} >= {events_topic}


async def test_sigterm_finishes_the_batch_in_hand_and_commits(
    outbox_client: redis.Redis,
    settings: Settings,
    london_directory: Path,
    redis_client: redis.Redis,
    processes: Processes,
) -> None:
    slow = settings.changed(rate_limits=dict.fromkeys(Channel, 2_000))
    await import_directory(slow, london_directory)
    processes.start(slow, "ingest")
    processes.start(slow, "resolver")
    dispatcher = processes.start(slow, "dispatcher-priority")
    await publish(slow, london_event_json("LONDON-T", channels=["sms", "push"]))
    deadline = time.monotonic() + 90
    while int(status(redis_client, "LONDON-T").get("sent:sms", 0)) < 2_000:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    dispatcher.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(dispatcher.wait, 60) == 0, "SIGTERM must end it cleanly"
    at_stop = status(redis_client, "LONDON-T")
    processes.start(slow, "dispatcher-priority")
    final = await settled(redis_client, "LONDON-T", timeout_s=240)
    assert int(at_stop["sent:sms"]) < int(final["targeted:sms"]), "stopped mid-fan-out"
    counts = Counter((r.channel, r.to) for r in outbox.all_received(outbox_client))
    assert set(counts.values()) == {1}
    # Nothing was cut off mid-call: no provider call had to be repeated after the restart.
    assert suppressed(outbox_client) == 0


async def test_two_dispatchers_and_two_resolvers_split_the_partitions_and_send_once(
    settings: Settings,
    london_directory: Path,
    redis_client: redis.Redis,
    outbox_client: redis.Redis,
    processes: Processes,
) -> None:
    await import_directory(settings, london_directory)
    processes.start(settings, "ingest")
    replicas = {
        name: [with_ops_port(settings), with_ops_port(settings)]
        for name in ("resolver", "dispatcher-priority")
    }
    for name, copies in replicas.items():
        for copy in copies:
            processes.start(copy, name)
    for copies in replicas.values():
        for copy in copies:
            wait_healthy(copy)

    def split(name: str, suffix: str, partitions: int) -> bool:
        held = [assigned(copy, suffix) for copy in replicas[name]]
        return all(held) and not (held[0] & held[1]) and len(held[0] | held[1]) == partitions

    deadline = time.monotonic() + 90
    while not (
        split("resolver", "vigie-resolver", 4)
        and split("dispatcher-priority", "vigie-dispatcher-priority-sms", 8)
    ):
        assert time.monotonic() < deadline, "the replicas never split the partitions"
        await asyncio.sleep(0.5)
    crises = ["LONDON-S0", "LONDON-S1"]
    for crisis in crises:
        await publish(settings, london_event_json(crisis, channels=["sms", "push"]))
    # Status that adds up while two resolvers and two dispatchers share the work.
    await settled_adding_up(settings, crises)
    for crisis in crises:
        assert int(status(redis_client, crisis)["targeted:sms"]) > 2_000
    worked = [
        value(scrape(copy), "vigie_deliveries_total", channel="sms", outcome="sent")
        for copy in replicas["dispatcher-priority"]
    ]
    assert all(n > 0 for n in worked), f"one dispatcher did all the work: {worked}"
    resolved = [value(scrape(copy), "vigie_fanout_jobs_total") for copy in replicas["resolver"]]
    counts = Counter((r.key, r.channel, r.to) for r in outbox.all_received(outbox_client))
    assert set(counts.values()) == {1}, "someone got a message twice"
    for crisis in crises:
        final = status(redis_client, crisis)
        for channel in ("sms", "push"):
            got = sum(1 for key, c, _ in counts if key == crisis and c == channel)
            assert got == int(final[f"sent:{channel}"]) == int(final[f"targeted:{channel}"])
    print(f"SMS sent per dispatcher: {worked}; jobs per resolver: {resolved}")


class _RebalancedConsumer:
    """A consumer whose partition is taken away while its position is asked, as a
    rebalance does; aiokafka then asserts the partition is not assigned."""

    _group_id = "vigie-dispatcher"

    def __init__(self) -> None:
        self.partitions = {TopicPartition("alerts.jobs.sms", n) for n in (0, 1)}

    def assignment(self) -> set[TopicPartition]:
        return set(self.partitions)

    def highwater(self, partition: TopicPartition) -> int:
        assert partition in self.partitions, "Partition is not assigned"
        return 10

    async def position(self, partition: TopicPartition) -> int:
        self.partitions.clear()
        raise IllegalStateError("partition revoked")


async def test_a_rebalance_while_lag_is_measured_does_not_stop_the_service() -> None:
    """The lag gauge once raised on a partition revoked mid-round, and the dispatcher that
    ran it stopped in the middle of a crisis."""
    consumer = _RebalancedConsumer()
    broker = SimpleNamespace(subscribers=[SimpleNamespace(consumer=consumer)])
    watching = asyncio.create_task(watch_consumer_lag(broker, every_s=0.01))  # type: ignore[arg-type]
    await asyncio.sleep(0.1)
    assert not watching.done(), watching.exception()
    consumer.partitions.update(TopicPartition("alerts.jobs.sms", n) for n in (2, 3))
    await asyncio.sleep(0.1)
    assert not watching.done(), watching.exception()
    watching.cancel()
