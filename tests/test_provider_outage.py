"""A provider that goes down mid-crisis is waited out: its deliveries wait (shown as such,
never failed) and go out once it is back, each person reached once."""

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr

from services.common.config import Settings
from services.embedded.processes import (
    ProvidersProcess,
    free_port,
    restart_provider,
    start_providers,
)
from services.embedded.stack import EmbeddedStack
from services.state import crises, keys
from tests.delivery_helpers import shown_by_vigie_status
from tests.events import london_event_json
from tests.fault_helpers import (
    Services,
    crisis_status,
    fault_tolerant,
    sent,
    settled_once_each,
    until,
)
from tests.helpers import import_directory, publish

OUTAGE_S = 30.0
DISPATCHER = "dispatcher-priority"


@pytest.fixture
def providers(parts: EmbeddedStack) -> Iterator[ProvidersProcess]:
    """Providers of this test's own, which it can kill and start again."""
    running = start_providers(parts.providers_redis_url)
    yield running
    running.stop()


@pytest.fixture
def fault_settings(settings: Settings, providers: ProvidersProcess) -> Settings:
    urls = {name: SecretStr(url) for name, url in providers.urls().items()}
    return fault_tolerant(settings).changed(**urls, retry_max_s=2.0)


def _waiting(client: redis.Redis, crisis_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for member in client.zrangebyscore(keys.waiting(crisis_id), time.time(), "+inf"):
        channel, *_, count = str(member).split("|")
        counts[channel] = counts.get(channel, 0) + int(count)
    return counts


def _started(port: int) -> bool:
    try:
        return _health(port)[0] == 200
    except OSError:  # not listening yet
        return False


def _health(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as unhealthy:
        return unhealthy.code, json.loads(unhealthy.read())


async def test_the_sms_and_push_gateway_down_30_s_mid_crisis_is_waited_out(
    fault_settings: Settings,
    providers: ProvidersProcess,
    redis_client: redis.Redis,
    outbox_client: redis.Redis,
    london_directory: Path,
    tmp_path: Path,
) -> None:
    ops_port = free_port()

    def own_ops(name: str, settings: Settings) -> Settings:
        if name != DISPATCHER:
            return settings
        return settings.changed(ops_listen=f"127.0.0.1:{ops_port}")

    services = Services(fault_settings, tmp_path, signed_in=own_ops)
    try:
        await import_directory(fault_settings, london_directory)
        crisis = "LONDON-OUTAGE"
        await publish(fault_settings, london_event_json(crisis))
        await until(lambda: sent(redis_client, crisis, "sms") > 1_000, "1,000 SMS")
        # Every consumer of the dispatcher started (its first ones send before the last join).
        await until(lambda: _started(ops_port), "the dispatcher healthy")
        providers.process.kill()
        providers.process.wait()
        down_at = time.monotonic()
        at_kill = crisis_status(redis_client, crisis)
        cut = {  # channels not done at the kill (no target yet: still being resolved)
            c
            for c in ("sms", "push")
            if f"targeted:{c}" not in at_kill
            or int(at_kill.get(f"sent:{c}", 0)) < int(at_kill[f"targeted:{c}"])
        }
        assert "sms" in cut, at_kill  # the gateway is down mid-way through the SMS

        await until(
            lambda: cut <= set(_waiting(redis_client, crisis)),
            f"{' and '.join(sorted(cut))} shown as waiting for their provider",
            timeout_s=20,
        )
        shown = await shown_by_vigie_status(fault_settings, crisis)
        assert "Waiting for a provider that cannot take messages now" in shown, shown
        status_code, health = _health(ops_port)
        assert status_code == 200, health  # the dispatcher is healthy; its provider is not
        failing = health.get("providers_failing")
        assert isinstance(failing, dict) and cut <= set(failing), health
        sms_during = sent(redis_client, crisis, "sms")
        while time.monotonic() < down_at + OUTAGE_S:
            status = crisis_status(redis_client, crisis)
            assert int(status.get("failed:sms", 0)) == int(status.get("failed:push", 0)) == 0
            await asyncio.sleep(1.0)
        assert sent(redis_client, crisis, "sms") == sms_during, "sent while the gateway was down"

        providers.process = restart_provider(providers, providers.redis_url).process
        final = await settled_once_each(redis_client, outbox_client, crisis, services)
        assert int(final["sent:sms"]) > sms_during
        assert _waiting(redis_client, crisis) == {}
        status_code, health = _health(ops_port)
        assert status_code == 200 and "providers_failing" not in health, health
    finally:
        services.stop()


@pytest.fixture
def second_providers(parts: EmbeddedStack) -> Iterator[ProvidersProcess]:
    running = start_providers(parts.providers_redis_url)
    yield running
    running.stop()


async def test_with_two_gateways_one_killed_mid_crisis_the_other_takes_its_traffic(
    fault_settings: Settings,
    providers: ProvidersProcess,
    second_providers: ProvidersProcess,
    redis_client: redis.Redis,
    outbox_client: redis.Redis,
    london_directory: Path,
    tmp_path: Path,
) -> None:
    urls = second_providers.urls()
    two = fault_settings.changed(
        sms_urls=[SecretStr(urls["sms_url"])], push_urls=[SecretStr(urls["push_url"])]
    )
    services = Services(two, tmp_path)
    try:
        await import_directory(two, london_directory)
        crisis = "LONDON-FAILOVER"
        await publish(two, london_event_json(crisis))
        await until(lambda: sent(redis_client, crisis, "sms") > 1_000, "1,000 SMS")
        providers.process.kill()
        providers.process.wait()
        waited: list[dict[str, int]] = []

        def settled_without_waiting() -> bool:
            waited.append(_waiting(redis_client, crisis))
            return crises.is_settled(crisis_status(redis_client, crisis))

        await until(settled_without_waiting, "the crisis settled on the other gateway")
        assert not any(waited), "deliveries waited though another gateway took messages"
        await settled_once_each(redis_client, outbox_client, crisis, services)
    finally:
        services.stop()
