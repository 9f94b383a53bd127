"""A 10,000-recipient fan-out stopped by a Cancel (SIGKILLed consumers: tests/test_faults.py)."""

import asyncio
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from schemas.crisis import Channel
from services.common.config import Settings
from services.providers import outbox
from tests.delivery_helpers import settled, status
from tests.events import cancel_json, london_event_json
from tests.helpers import import_directory, publish, running, service_process


@pytest.fixture
def slow_settings(settings: Settings) -> Settings:
    """Providers throttled so a fan-out lasts a few seconds; short claim lease."""
    return settings.changed(rate_limits=dict.fromkeys(Channel, 1_500), claim_lease_s=2.0)


@pytest.fixture
def dispatcher(slow_settings: Settings) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = [service_process(slow_settings, "dispatcher-priority")]
    yield processes
    for process in processes:
        process.kill()
        process.wait()


def delivered(client: redis.Redis, key: str) -> Counter[tuple[str, str]]:
    return Counter((r.channel, r.to) for r in outbox.all_received(client) if r.key == key)


async def _wait_for_sent(client: redis.Redis, crisis_id: str, at_least: int) -> None:
    deadline = time.monotonic() + 60
    while int(status(client, crisis_id).get("sent:sms", 0)) < at_least:
        assert time.monotonic() < deadline, status(client, crisis_id)
        await asyncio.sleep(0.05)


async def test_cancel_stops_the_fan_out_and_corrects_those_alerted(
    outbox_client: redis.Redis,
    slow_settings: Settings,
    london_directory: Path,
    redis_client: redis.Redis,
    dispatcher: list[subprocess.Popen[bytes]],
) -> None:
    await import_directory(slow_settings, london_directory)
    async with running(slow_settings, ["ingest", "resolver"]):
        await publish(slow_settings, london_event_json("LONDON-C"))
        await _wait_for_sent(redis_client, "LONDON-C", 1_000)
        cancelled_at = time.time()
        await publish(slow_settings, cancel_json("LONDON-C-CANCEL", cancels="LONDON-C"))
        final = await settled(redis_client, "LONDON-C", timeout_s=120)
        final = await settled(redis_client, "LONDON-C", prefix="cancel:", timeout_s=120)
        await asyncio.sleep(1)
    final = status(redis_client, "LONDON-C")
    alerts = delivered(outbox_client, "LONDON-C")
    corrections = delivered(outbox_client, "LONDON-C-CANCEL")
    for channel in ("sms", "email", "push"):
        assert 0 < final[f"sent:{channel}"] < final[f"targeted:{channel}"], final
        assert final[f"skipped:{channel}"] > 0, final
    assert set(corrections) == set(alerts), "each one alerted, and only they, are corrected"
    assert set(alerts.values()) == {1} and set(corrections.values()) == {1}
    last_alert = max(r.at for r in outbox.all_received(outbox_client) if r.key == "LONDON-C")
    print(f"last alert handed to a provider {last_alert - cancelled_at:.2f} s after the Cancel")
