"""A 10,000-recipient crisis through every kind of fault at once: each consumer SIGKILLed
mid-work and restarted, the broker frozen past the client timeouts, Redis restarted. At the
end everyone has exactly one message per channel and the status agrees with the outbox."""

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from services.common import crises
from services.common.config import Settings
from services.embedded.processes import restart_redis
from services.embedded.stack import EmbeddedStack
from services.providers import outbox
from tests.delivery_helpers import suppressed
from tests.events import london_event_json
from tests.helpers import import_directory, publish, service_process

CONSUMERS = ["ingest", "resolver", "dispatcher-priority", "leaders", "reservists", "responses"]
FREEZE_S = 14.0  # past the session (6 s) and request (8 s) timeouts below


@pytest.fixture
def fault_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "rate_limits": {"sms": 1_000, "email": 1_000, "push": 1_000},
            "claim_lease_s": 2.0,
            "request_timeout_ms": 8_000,
        }
    )


class Services:
    """Each consumer as its own process, so that it can be SIGKILLed and restarted."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings, self.logs = settings, logs
        self.running = {name: self._start(name) for name in CONSUMERS}

    def _start(self, name: str) -> subprocess.Popen[bytes]:
        return service_process(self.settings, name, self.logs / f"{name}.log")

    def kill_and_restart(self, name: str) -> None:
        process = self.running[name]
        assert process.poll() is None, f"{name} died on its own: see {self.logs}/{name}.log"
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.running[name] = self._start(name)

    def all_alive(self) -> list[str]:
        return [name for name, p in self.running.items() if p.poll() is not None]

    def stop(self) -> None:
        for process in self.running.values():
            process.kill()
            process.wait()


@pytest.fixture
def services(fault_settings: Settings, tmp_path: Path) -> Iterator[Services]:
    running = Services(fault_settings, tmp_path)
    yield running
    running.stop()


def _status(client: redis.Redis, crisis_id: str) -> dict[str, str]:
    try:
        return {str(k): str(v) for k, v in client.hgetall(crises.status_key(crisis_id)).items()}
    except redis.exceptions.ConnectionError:
        return {}  # Redis restarting


async def _until(check: Callable[[], bool], what: str, timeout_s: float = 120) -> None:
    started = time.monotonic()
    while not check():
        assert time.monotonic() < started + timeout_s, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)
    print(f"{what}: {time.monotonic() - started:.1f} s")


async def test_every_fault_at_once_still_one_message_per_person_per_channel(
    stack: EmbeddedStack,
    fault_settings: Settings,
    services: Services,
    redis_client: redis.Redis,
    london_directory: Path,
) -> None:
    await import_directory(fault_settings, london_directory)
    crisis = "LONDON-F"

    def sent(channel: str) -> int:
        return int(_status(redis_client, crisis).get(f"sent:{channel}", 0))

    await publish(fault_settings, london_event_json(crisis))
    services.kill_and_restart("ingest")  # maybe before, maybe after it took the event
    await _until(lambda: sent("sms") > 0, "the first SMS")
    services.kill_and_restart("resolver")
    for name in ("leaders", "reservists", "responses"):
        services.kill_and_restart(name)
    await _until(lambda: sent("sms") > 2_000, "2,000 SMS")
    services.kill_and_restart("dispatcher-priority")
    sent_at_kill = sent("sms")

    assert stack.broker is not None and stack.redis is not None
    await _until(lambda: sent("push") > 4_000, "4,000 push")
    os.kill(stack.broker.process.pid, signal.SIGSTOP)
    await asyncio.sleep(FREEZE_S)
    os.kill(stack.broker.process.pid, signal.SIGCONT)

    await _until(lambda: sent("sms") > 6_000, "6,000 SMS after the freeze")
    stack.redis = restart_redis(stack.redis)

    def settled() -> bool:
        return crises.is_settled(_status(redis_client, crisis))

    await _until(settled, "every delivery settled", timeout_s=300)
    await asyncio.sleep(2)  # a duplicate in flight would land now
    final = _status(redis_client, crisis)
    assert services.all_alive() == [], "a consumer died on its own"

    assert sent_at_kill < int(final["targeted:sms"]), "the dispatcher kill was not mid-fan-out"
    received = [r for r in outbox.all_received(redis_client) if r.key == crisis]
    per_person = Counter((r.channel, r.to) for r in received)
    assert per_person and set(per_person.values()) == {1}, "someone got a message twice"
    for channel in ("sms", "email", "push"):
        in_outbox = sum(1 for c, _ in per_person if c == channel)
        assert int(final[f"targeted:{channel}"]) > 2_000
        assert int(final[f"sent:{channel}"]) == int(final[f"targeted:{channel}"]) == in_outbox
        assert int(final.get(f"failed:{channel}", 0)) == 0
    asks = Counter(
        (r.channel, r.to, r.key) for r in outbox.all_received(redis_client) if "/leader/" in r.key
    )
    assert asks and set(asks.values()) == {1}, "a leader was asked twice"
    # Sends in flight at a kill are retried; the provider's idempotency key absorbs them.
    print(f"in-flight repeats absorbed by the provider: {suppressed(redis_client)}")
