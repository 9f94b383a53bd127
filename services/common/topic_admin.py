"""Create Vigie's topics on a broker (idempotent)."""

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from schemas.topics import ALL_TOPICS
from services.common.config import Settings
from services.common.transport import kafka_client_options


async def create_topics(settings: Settings, replication: int = 1) -> None:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, **kafka_client_options(settings)
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(settings.topic(t), t.partitions, replication, topic_configs=t.configs)
            for t in ALL_TOPICS
            if settings.topic(t) not in existing
        ]
        if wanted:
            # Another replica may create them at the same moment.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
    finally:
        await admin.close()
