"""Shared fixtures: one real broker and Redis per session, a fresh namespace per test."""

import asyncio
import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
import redis

from services.common.config import Settings
from services.common.topic_admin import create_topics
from services.directory.generate import generate_directory
from services.embedded.redis_cluster import RedisCluster
from services.embedded.stack import EmbeddedStack, RedisKind
from tests.fault_helpers import Services
from tests.helpers import state_client
from tests.secure_parts import kafka_security


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM (a CI runner's timeout, `kill`) ends the run as Ctrl-C does: the fixtures'
    teardown stops the brokers, Redis and the providers they started."""

    def interrupted(signum: int, _: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)


def _state_redis() -> RedisKind:
    """Where the suite keeps Vigie's state: one Redis, or with VIGIE_TEST_REDIS=cluster a
    Redis Cluster of three masters with a replica each (the stand-in providers keep their
    outbox in a Redis of their own either way)."""
    kind = os.environ.get("VIGIE_TEST_REDIS", "single")
    if kind not in ("single", "cluster"):
        raise pytest.UsageError(f"VIGIE_TEST_REDIS={kind!r}: expected single or cluster")
    return cast(RedisKind, kind)


@pytest.fixture(scope="session")
def stack() -> Iterator[EmbeddedStack]:
    with EmbeddedStack(redis_kind=_state_redis()) as running:
        yield running


@pytest.fixture
def parts(stack: EmbeddedStack) -> EmbeddedStack:
    """The running parts a test works on: the embedded stack, unless a module says which."""
    return stack


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
    with EmbeddedStack(
        broker_kind="kafka", redis_kind=_state_redis(), kafka_security=security
    ) as running:
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
    if stack.cluster is not None:
        stack.cluster.flush()
    with redis.Redis.from_url(stack.providers_redis_url) as client:
        client.flushdb()
    return test_settings


@pytest.fixture
def settings(parts: EmbeddedStack) -> Settings:
    return fresh_settings(parts)


@pytest.fixture
def kafka_settings(kafka_stack: EmbeddedStack) -> Settings:
    return fresh_settings(kafka_stack)


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[redis.Redis]:
    """Vigie's state, on one Redis or on the cluster."""
    client = state_client(settings)
    yield client
    client.close()


@pytest.fixture
def outbox_client(parts: EmbeddedStack) -> Iterator[redis.Redis]:
    """What the stand-in providers received."""
    client = redis.Redis.from_url(parts.providers_redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def services(fault_settings: Settings, tmp_path: Path) -> Iterator[Services]:
    """Each consumer as its own process, on the test module's `fault_settings`."""
    running = Services(fault_settings, tmp_path)
    yield running
    running.stop()
