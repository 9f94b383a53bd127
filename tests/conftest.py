"""Shared fixtures: one real broker and Redis per session, a fresh namespace per test."""

import asyncio
import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.common.config import Settings
from services.common.topic_admin import create_topics
from services.directory.generate import generate_directory
from services.embedded.redis_cluster import RedisCluster
from services.embedded.stack import EmbeddedStack
from tests.fault_helpers import Services
from tests.secure_parts import kafka_security


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM (a CI runner's timeout, `kill`) ends the run as Ctrl-C does: the fixtures'
    teardown stops the brokers, Redis and the providers they started."""

    def interrupted(signum: int, _: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)


@pytest.fixture(scope="session")
def stack() -> Iterator[EmbeddedStack]:
    with EmbeddedStack() as running:
        yield running


@pytest.fixture(scope="session")
def london_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100,000 generated nationals, a tenth of them in London: ~10,000 recipients for the
    London crises of tests.events."""
    path = tmp_path_factory.mktemp("directory") / "generated.geojson"
    generate_directory(path, 100_000, seed=3)
    return path


def needs_java() -> None:
    """Skip the Kafka tests on a machine without Java, except where they must run (.ci/run
    sets VIGIE_REQUIRE_KAFKA=1): there, a missing Java fails instead of passing unseen."""
    if shutil.which("java") is None:
        reason = "the Apache Kafka tests need Java 17: no `java` on PATH"
        if os.environ.get("VIGIE_REQUIRE_KAFKA") == "1":
            pytest.fail(f"{reason} (VIGIE_REQUIRE_KAFKA=1)")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def kafka_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """Three Apache Kafka brokers in KRaft mode, as production runs them: no plaintext
    listener (SASL_SSL, SCRAM users, a test CA), ACLs enforced; clients of the tests sign in
    as the admin unless a test signs in as a service (with its own Redis and providers)."""
    needs_java()
    security = kafka_security(tmp_path_factory.mktemp("kafka-tls"))
    with EmbeddedStack(broker_kind="kafka", kafka_security=security) as running:
        yield running


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    """Redis Cluster as production would run it when one Redis is outgrown: three masters
    with a replica each, append-only files on."""
    with RedisCluster() as running:
        yield running


def fresh_settings(stack: EmbeddedStack) -> Settings:
    """Own topics and consumer groups for this test; Redis emptied."""
    test_settings = stack.settings(
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.", session_timeout_ms=6_000
    )
    asyncio.run(create_topics(test_settings, stack.replication))
    client = redis.Redis.from_url(stack.redis_url)
    client.flushdb()
    client.close()
    return test_settings


@pytest.fixture
def settings(stack: EmbeddedStack) -> Settings:
    return fresh_settings(stack)


@pytest.fixture
def kafka_settings(kafka_stack: EmbeddedStack) -> Settings:
    return fresh_settings(kafka_stack)


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.redis.url or "", decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def services(fault_settings: Settings, tmp_path: Path) -> Iterator[Services]:
    """Each consumer as its own process, on the test module's `fault_settings`."""
    running = Services(fault_settings, tmp_path)
    yield running
    running.stop()
