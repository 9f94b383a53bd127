"""Read a whole topic from the beginning to its current end (for operators and tests)."""

import asyncio
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import BaseModel

from schemas.topics import Topic
from services.common.config import Settings
from services.common.transport import kafka_client_options

M = TypeVar("M", bound=BaseModel)


async def read_raw(settings: Settings, topic: Topic, timeout_s: float = 120.0) -> list[bytes]:
    """Every message the topic holds now; TimeoutError when its end cannot be read within
    `timeout_s` (a partition without a leader, say)."""
    name = settings.bus.topic(topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bus.bootstrap_servers,
        enable_auto_commit=False,
        metadata_max_age_ms=settings.bus.kafka_metadata_max_age_ms,
        **kafka_client_options(settings),
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(name, p)
            for p in sorted(consumer.partitions_for_topic(name) or range(topic.partitions))
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        values: list[bytes] = []
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not await _reached(consumer, partitions, end):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"could not read {name} to its end within {timeout_s:.0f} s")
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                values.extend(r.value for r in records if r.value is not None)
        return values
    finally:
        await consumer.stop()


async def _reached(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], end: dict[TopicPartition, int]
) -> bool:
    for tp in partitions:
        if await consumer.position(tp) < end[tp]:
            return False
    return True


async def read_models(settings: Settings, topic: Topic, model: type[M]) -> list[M]:
    return [model.model_validate_json(raw) for raw in await read_raw(settings, topic)]


async def wait_for_models(
    settings: Settings,
    topic: Topic,
    model: type[M],
    count: int,
    timeout_s: float = 30.0,
) -> list[M]:
    """Poll a topic until it holds at least `count` messages; return what it holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        found = await read_models(settings, topic, model)
        if len(found) >= count or loop.time() > deadline:
            return found
        await asyncio.sleep(0.2)
