"""Redis over TLS only (a test CA's certificate), with the default user off and ACL users
with passwords: every service works signed in as its own user through rediss://; a wrong
password is refused, said once in the log, and /healthz answers 503."""

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from services.common.config import Settings
from services.common.topic_admin import create_topics
from services.deploy.bus_access import user_of
from services.embedded.redis_security import RedisSecurity
from services.embedded.stack import EmbeddedStack
from tests.events import london_event_json
from tests.fault_helpers import Services, settled_once_each
from tests.helpers import import_directory, publish, service_process
from tests.ops_helpers import with_ops_port
from tests.secure_parts import redis_security


@pytest.fixture(scope="module")
def security(tmp_path_factory: pytest.TempPathFactory) -> RedisSecurity:
    return redis_security(tmp_path_factory.mktemp("redis-tls"))


@pytest.fixture(scope="module")
def secure_stack(security: RedisSecurity) -> Iterator[EmbeddedStack]:
    with EmbeddedStack(redis_security=security) as running:
        yield running


@pytest.fixture
def admin_settings(secure_stack: EmbeddedStack) -> Settings:
    settings = secure_stack.settings(
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.", session_timeout_ms=6_000
    )
    asyncio.run(create_topics(settings))
    return settings


@pytest.fixture
def client(secure_stack: EmbeddedStack) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(secure_stack.redis_url, decode_responses=True)
    connection.flushdb()
    yield connection
    connection.close()


def signed_in(
    stack: EmbeddedStack, settings: Settings, user: str, password: str | None = None
) -> Settings:
    assert stack.redis is not None and stack.redis_security is not None
    own = stack.redis_security.client_settings(stack.redis.port, user, password)
    return settings.changed(**own)


def test_plain_connections_and_the_default_user_are_turned_away(
    secure_stack: EmbeddedStack,
) -> None:
    assert secure_stack.redis is not None
    plain = redis.Redis(port=secure_stack.redis.port, socket_timeout=5)
    with pytest.raises(redis.exceptions.ConnectionError):
        plain.ping()
    plain.close()
    settings = signed_in(secure_stack, Settings(), user_of("dispatcher"))
    assert settings.redis.url and settings.redis.url.startswith("rediss://")
    no_user = redis.Redis.from_url(
        settings.redis.url.replace(f"{user_of('dispatcher')}@", ""),
        ssl_ca_certs=str(settings.redis.ca_file),
    )
    with pytest.raises(redis.exceptions.AuthenticationError):
        no_user.ping()
    no_user.close()


async def test_every_service_works_signed_in_as_its_own_redis_user(
    secure_stack: EmbeddedStack,
    admin_settings: Settings,
    client: redis.Redis,
    london_directory: Path,
    tmp_path: Path,
) -> None:
    services = Services(
        admin_settings,
        tmp_path,
        signed_in=lambda name, settings: signed_in(secure_stack, settings, user_of(name)),
    )
    try:
        await import_directory(admin_settings, london_directory)
        await publish(admin_settings, london_event_json("LONDON-TLS"))
        await settled_once_each(client, client, "LONDON-TLS", services)
    finally:
        services.stop()
    # A service's user may not wipe the data.
    assert admin_settings.redis.url is not None
    dispatcher = signed_in(secure_stack, admin_settings, user_of("dispatcher"))
    assert dispatcher.redis.url is not None and dispatcher.redis.password is not None
    as_service = redis.Redis.from_url(
        dispatcher.redis.url,
        password=dispatcher.redis.password.get_secret_value(),
        ssl_ca_certs=str(dispatcher.redis.ca_file),
    )
    with pytest.raises(redis.exceptions.NoPermissionError):
        as_service.flushdb()
    as_service.close()


def test_a_wrong_redis_password_is_refused_once_and_healthz_says_so(
    secure_stack: EmbeddedStack, admin_settings: Settings, tmp_path: Path
) -> None:
    settings = with_ops_port(
        signed_in(secure_stack, admin_settings, user_of("ingest"), password="not-its-password")
    )
    log = tmp_path / "ingest.log"
    process = service_process(settings, "ingest", log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://{settings.operations.ops_listen}/healthz", timeout=2)
                if response.status_code == 503 and "problem" in response.json():
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        assert "Redis refused user 'vigie-ingest'" in response.json()["problem"]
        time.sleep(3)
        lines = [line for line in log.read_text().splitlines() if "refused" in line]
        assert (len(lines) == 1 and "WRONGPASS" in lines[0]) or "invalid" in lines[0], lines
        assert process.poll() is None
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
