"""A 10,000-recipient crisis through every kind of fault at once: each consumer SIGKILLed
mid-work and restarted, the broker frozen past the client timeouts, Redis restarted. At the
end everyone has exactly one message per channel and the status agrees with the outbox."""

import asyncio
import os
import signal
from pathlib import Path

import pytest
import redis

from services.common.config import Settings
from services.embedded.processes import restart_redis
from services.embedded.stack import EmbeddedStack
from tests.delivery_helpers import suppressed
from tests.events import london_event_json
from tests.fault_helpers import Services, fault_tolerant, sent, settled_once_each, until
from tests.helpers import import_directory, publish

FREEZE_S = 14.0  # past the session (6 s) and request (8 s) timeouts below


@pytest.fixture
def fault_settings(settings: Settings) -> Settings:
    return fault_tolerant(settings)


async def test_every_fault_at_once_still_one_message_per_person_per_channel(
    stack: EmbeddedStack,
    fault_settings: Settings,
    services: Services,
    redis_client: redis.Redis,
    outbox_client: redis.Redis,
    london_directory: Path,
) -> None:
    await import_directory(fault_settings, london_directory)
    crisis = "LONDON-F"

    def sms() -> int:
        return sent(redis_client, crisis, "sms")

    await publish(fault_settings, london_event_json(crisis))
    services.kill_and_restart("ingest")  # maybe before, maybe after it took the event
    await until(lambda: sms() > 0, "the first SMS")
    services.kill_and_restart("resolver")
    for name in ("leaders", "reservists", "responses"):
        services.kill_and_restart(name)
    await until(lambda: sms() > 2_000, "2,000 SMS")
    services.kill_and_restart("dispatcher-priority")
    sent_at_kill = sms()

    assert stack.broker is not None and stack.redis is not None
    await until(lambda: sent(redis_client, crisis, "push") > 4_000, "4,000 push")
    os.kill(stack.broker.process.pid, signal.SIGSTOP)
    await asyncio.sleep(FREEZE_S)
    os.kill(stack.broker.process.pid, signal.SIGCONT)

    await until(lambda: sms() > 6_000, "6,000 SMS after the freeze")
    stack.redis = restart_redis(stack.redis)

    final = await settled_once_each(redis_client, outbox_client, crisis, services)
    assert sent_at_kill < int(final["targeted:sms"]), "the dispatcher kill was not mid-fan-out"
    # Sends in flight at a kill are retried; the provider's idempotency key absorbs them.
    print(f"in-flight repeats absorbed by the provider: {suppressed(outbox_client)}")
