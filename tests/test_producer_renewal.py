"""A producer the brokers say lost its sequence (aio-libs/aiokafka#1017) is replaced, and the
send goes through on the new one: nothing in hand is lost, nothing is written twice."""

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber

from schemas.topics import DEAD_LETTERS
from services.common.bus_reader import read_raw
from services.common.config import Settings
from services.common.runtime import Broker, make_broker


async def _renewal_keeps_publishing(settings: Settings) -> None:
    broker = make_broker(settings, logger=None)
    assert isinstance(broker, Broker)
    await broker.connect()
    try:
        await broker.publish(b"before", settings.bus.topic(DEAD_LETTERS))
        original = broker.config.producer._producer.producer  # type: ignore[attr-defined]

        failing = True

        async def refuse_once(*args: object, **kwargs: object) -> object:
            nonlocal failing
            if failing:
                failing = False
                raise OutOfOrderSequenceNumber()
            return await sent(*args, **kwargs)

        sent = original.send
        original.send = refuse_once  # the brokers refuse the old producer's next send
        await broker.publish(b"after", settings.bus.topic(DEAD_LETTERS))
        assert broker.config.producer._producer.producer is not original  # type: ignore[attr-defined]
        await broker.publish(b"later", settings.bus.topic(DEAD_LETTERS))
    finally:
        await broker.stop()
    assert sorted(await read_raw(settings, DEAD_LETTERS)) == [b"after", b"before", b"later"]


async def test_a_producer_that_lost_its_sequence_is_replaced_and_the_send_goes_through(
    settings: Settings,
) -> None:
    await _renewal_keeps_publishing(settings)


@pytest.mark.kafka
async def test_the_same_on_apache_kafka_with_idempotent_producers(
    kafka_settings: Settings,
) -> None:
    await _renewal_keeps_publishing(kafka_settings)
