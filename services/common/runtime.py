"""What a running service holds: settings, the Kafka broker and the Redis client."""

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast, get_type_hints

import aiokafka
from aiokafka.errors import InvalidProducerEpoch, OutOfOrderSequenceNumber, UnknownProducerId
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka import Topic as KafkaTopic
from faststream.kafka.publisher.producer import AioKafkaFastProducerImpl
from faststream.message import StreamMessage
from pydantic import BaseModel
from redis.asyncio import Redis

from schemas.delivery import DeadLetter
from schemas.topics import DEAD_LETTERS, MAX_MESSAGE_BYTES, Topic
from services.common.bus_refusal import REFUSALS, refusal
from services.common.config import Settings
from services.common.transport import kafka_security, redis_cluster, redis_options

MAX_DEAD_LETTER_PAYLOAD = 64 * 1024
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[None]])


@dataclass
class Runtime:
    settings: Settings
    broker: KafkaBroker
    redis: Redis
    # Run once the broker is connected, before the first message (cache warm-up).
    startup: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    # Run alongside the consumers until the service stops (timer loops, the web server).
    background: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    # Why the service cannot work (Kafka refused it): /healthz answers 503 with it.
    problem: str | None = None
    # Providers that cannot take messages now, and why (channel -> reason): the service
    # is healthy, its deliveries wait; /healthz says which provider fails.
    failing_providers: dict[str, str] = field(default_factory=dict)

    def refuse(self, reason: str) -> None:
        """Kafka refused what this service must do: say so once and turn unhealthy."""
        if self.problem is None:
            self.problem = reason
            logging.getLogger("vigie.bus").error("%s; this service stops working", reason)

    async def refused(self, reason: str) -> None:
        """`refuse`, then hold the message in hand (uncommitted, so not lost) until the
        service is stopped: retrying would be refused again."""
        self.refuse(reason)
        await asyncio.Event().wait()

    def topic(self, topic: Topic) -> str:
        return self.settings.bus.topic(topic)

    def subscribe(self, topic: Topic, stage: str, **extra: Any) -> Callable[[Handler], Handler]:
        """Subscribe a stage's handler with what every stage shares: a consumer group,
        offsets committed only after the handler succeeds (an infrastructure error re-reads
        the message), and a short fetch wait so an idle consumer sees a new crisis at once."""

        def decorate(handler: Handler) -> Handler:
            options = dict(extra)
            model = _message_model(handler)
            if model is not None and "decoder" not in options:
                options["decoder"] = _json_decoder(model)
            decorator = self.broker.subscriber(
                # Topics are made by `vigie topics create` with their partitions and
                # replication; FastStream would otherwise make any it finds missing.
                KafkaTopic(self.topic(topic), declare=False),
                group_id=self.settings.bus.group(stage),
                auto_offset_reset="earliest",
                ack_policy=AckPolicy.NACK_ON_ERROR,
                session_timeout_ms=self.settings.bus.session_timeout_ms,
                fetch_max_wait_ms=self.settings.bus.fetch_max_wait_ms,
                # One AsyncAPI channel per consumer group, named after the group's stage.
                title=f"{topic.name}:{stage}",
                description=topic.description,
                **options,
            )
            return cast(Handler, decorator(self._halting_on_refusal(handler)))

        return decorate

    def _halting_on_refusal(self, handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def handle(*args: Any, **kwargs: Any) -> None:
            try:
                await handler(*args, **kwargs)
            except REFUSALS as exc:
                await self.refused(refusal(self.settings, exc))

        return cast(Handler, handle)

    async def dead_letter(
        self,
        stage: str,
        reason: str,
        payload: bytes,
        source: Topic,
        partition: int | None = None,
        offset: int | None = None,
    ) -> None:
        letter = DeadLetter(
            stage=stage,
            reason=reason,
            source_topic=self.topic(source),
            partition=partition,
            offset=offset,
            payload=payload[:MAX_DEAD_LETTER_PAYLOAD].decode("utf-8", errors="replace"),
            received_at=datetime.now(UTC),
        )
        await self.broker.publish(letter, self.topic(DEAD_LETTERS))


def _message_model(handler: Callable[..., Any]) -> type[BaseModel] | None:
    """The pydantic model a handler takes as its one message argument, if it does."""
    hints = get_type_hints(handler)
    hints.pop("return", None)
    if len(hints) != 1:
        return None
    [hint] = hints.values()
    return hint if isinstance(hint, type) and issubclass(hint, BaseModel) else None


def _json_decoder(model: type[BaseModel]) -> Callable[[StreamMessage[Any]], Any]:
    # pydantic reads the bytes itself, faster than json.loads and then validating the dict;
    # the handler then gets the model as it is, not validated again.
    def decode(message: StreamMessage[Any]) -> Any:
        return model.model_validate_json(message.body)

    return decode


async def start_broker(broker: KafkaBroker) -> None:
    """`broker.start()`, but subscribers join their groups side by side: each join waits out
    the broker's rebalance delay (seconds), which one after another adds up."""
    await broker.connect()
    await asyncio.gather(*(subscriber.start() for subscriber in broker.subscribers))
    for publisher in broker.publishers:
        await publisher.start()
    broker.running = True


# An idempotent producer that lost its sequence with the brokers (after they were all down,
# say) stays broken: aiokafka fails every later send of it (aio-libs/aiokafka#1017).
_PRODUCER_LOST = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch)


class Broker(KafkaBroker):
    """FastStream's KafkaBroker, whose producer is replaced by a new one (a new producer
    id, sequences from zero) when the brokers tell it it lost its sequence; the send is
    then made once more. It was refused, so it is not written twice."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._renewal = asyncio.Lock()
        self._generation = 0

    async def publish(self, *args: Any, **kwargs: Any) -> Any:
        generation = self._generation
        try:
            return await super().publish(*args, **kwargs)
        except _PRODUCER_LOST as exc:
            await self.renew_producer(generation, exc)
        return await super().publish(*args, **kwargs)

    async def renew_producer(self, generation: int, cause: BaseException) -> None:
        """A new producer, unless another send already made one since `generation`."""
        async with self._renewal:
            if generation != self._generation:
                return
            log = logging.getLogger("vigie.bus")
            log.warning("Kafka producer lost its sequence (%s): a new one takes over", cause)
            producer = cast(AioKafkaFastProducerImpl, self.config.producer)
            serializer, codec = producer.serializer, producer.codec
            await producer.disconnect()
            fresh = aiokafka.AIOKafkaProducer(**self._connection_kwargs)
            await producer.connect(fresh, serializer, codec)
            self._generation += 1


def make_broker(settings: Settings, **extra: Any) -> KafkaBroker:
    if settings.bus.kafka_bootstrap is None:
        raise RuntimeError("no Kafka bootstrap servers configured")
    options: dict[str, Any] = {
        # Per-message "Received/Processed" lines only at DEBUG; handler errors still show.
        "log_level": logging.DEBUG,
        # Through the root handler (JSON, masked) rather than FastStream's own.
        "logger": logging.getLogger("vigie.bus"),
        **extra,
    }
    return Broker(
        settings.bus.bootstrap_servers,
        acks="all",
        enable_idempotence=settings.bus.kafka_idempotent_producer,
        compression_type=None
        if settings.bus.kafka_compression == "none"
        else settings.bus.kafka_compression,
        request_timeout_ms=settings.bus.request_timeout_ms,
        metadata_max_age_ms=settings.bus.kafka_metadata_max_age_ms,
        max_request_size=MAX_MESSAGE_BYTES,
        # On SIGTERM, messages in hand are finished (and committed) before consumers stop.
        graceful_timeout=settings.operations.graceful_timeout_s,
        security=kafka_security(settings),
        **options,
    )


def make_redis(settings: Settings) -> Redis:
    if settings.redis.url is None:
        raise RuntimeError("no Redis URL configured")
    if settings.redis.mode == "cluster":
        return redis_cluster(settings.redis.url, redis_options(settings))
    return Redis.from_url(settings.redis.url, decode_responses=True, **redis_options(settings))
