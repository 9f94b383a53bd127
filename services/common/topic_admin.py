"""Create Vigie's topics on a broker (idempotent), and read how they are laid out."""

import contextlib
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from schemas.topics import ALL_TOPICS, Topic
from services.common.config import Settings
from services.common.transport import kafka_client_options


@asynccontextmanager
async def admin_client(settings: Settings) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bus.bootstrap_servers, **kafka_client_options(settings)
    )
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def create_topics(settings: Settings, replication: int = 1) -> None:
    async with admin_client(settings) as admin:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                settings.bus.topic(t),
                t.partitions,
                replication,
                topic_configs=t.configs(replication),
            )
            for t in ALL_TOPICS
            if settings.bus.topic(t) not in existing
        ]
        if wanted:
            # Another replica may create them at the same moment.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)


async def partition_counts(settings: Settings, topics: Iterable[Topic]) -> dict[Topic, int]:
    """How many partitions each of these topics has on the broker; a topic the broker does
    not hold (or will not describe) is left out."""
    names = {settings.bus.topic(t): t for t in topics}
    async with admin_client(settings) as admin:
        described = await admin.describe_topics(list(names))
    return {
        names[found["topic"]]: len(found["partitions"])
        for found in described
        if found["topic"] in names and not found["error_code"] and found["partitions"]
    }
