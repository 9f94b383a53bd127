"""Apache Kafka with no plaintext listener: SASL_SSL with SCRAM-SHA-512 users (certificates
from a test CA) and ACLs from services/deploy/bus_access.py. Every service works signed in as
its own user (tests/test_kafka_faults.py runs a crisis so, through a frozen broker); a wrong
password, an unknown user, or a service reaching for a topic it does not own is refused, said
once in the log, and /healthz answers 503."""

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.common.config import Settings
from services.deploy.bus_access import user_of
from services.deploy.kafka_acls import grant
from services.embedded.kafka_security import ClusterSecurity
from services.embedded.stack import EmbeddedStack
from tests.events import london_event_json
from tests.helpers import service_process
from tests.ops_helpers import with_ops_port
from tests.secure_parts import signed_in

pytestmark = pytest.mark.kafka


@pytest.fixture
def security(kafka_stack: EmbeddedStack) -> ClusterSecurity:
    assert kafka_stack.kafka_security is not None
    return kafka_stack.kafka_security


@pytest.fixture
def admin_settings(kafka_settings: Settings) -> Settings:
    """This test's topics, and the ACLs that let each service's user use them."""
    asyncio.run(grant(kafka_settings))
    return kafka_settings


def vigie_publish(
    settings: Settings, event: bytes, folder: Path
) -> subprocess.CompletedProcess[str]:
    path = folder / "event.json"
    path.write_bytes(event)
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "publish", str(path), "--now"],
        env={**os.environ, "COLUMNS": "300", **settings.as_env()},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def refused(settings: Settings, log: Path, timeout_s: float = 60) -> dict[str, object]:
    """/healthz once it answers 503 with Kafka's refusal."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            response = httpx.get(f"http://{settings.operations.ops_listen}/healthz", timeout=2)
            if response.status_code == 503 and "problem" in response.json():
                health: dict[str, object] = response.json()
                return health
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"never refused; log: {log.read_text()[-2000:]}"
        time.sleep(0.2)


def said_once(log: Path, settle_s: float = 5.0) -> str:
    """The refusal line, after checking that nothing tried again for a while."""
    time.sleep(settle_s)
    lines = log.read_text().splitlines()
    refusals = [line for line in lines if "Kafka refused" in line]
    assert len(refusals) == 1, refusals
    attempts = sum("Unable connect" in line for line in lines)
    time.sleep(settle_s)
    again = log.read_text().splitlines()
    assert sum("Unable connect" in line for line in again) == attempts, "it kept retrying"
    assert sum("Kafka refused" in line for line in again) == 1
    return refusals[0]


@pytest.mark.parametrize(
    ("user", "password"), [("vigie-ingest", "not-its-password"), ("vigie-nobody", "anything")]
)
def test_a_wrong_password_or_an_unknown_user_is_refused_once(
    admin_settings: Settings, security: ClusterSecurity, tmp_path: Path, user: str, password: str
) -> None:
    settings = with_ops_port(signed_in(security, admin_settings, user, password=password))
    log = tmp_path / "ingest.log"
    process = service_process(settings, "ingest", log)
    try:
        health = refused(settings, log)
        assert "SaslAuthenticationFailed" in str(health["problem"])
        line = said_once(log)
        assert f"Kafka refused user '{user}'" in line and "invalid credentials" in line
        assert process.poll() is None, "it should wait, unhealthy, to be fixed or stopped"
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_a_service_cannot_read_or_write_a_topic_it_does_not_own(
    admin_settings: Settings, security: ClusterSecurity, tmp_path: Path
) -> None:
    dispatcher = signed_in(security, admin_settings, user_of("dispatcher-priority"))
    # The dispatcher's user publishing a crisis event, as a forger would.
    forged = vigie_publish(dispatcher, london_event_json("FORGED"), tmp_path)
    assert forged.returncode == 1
    assert "Not published" in forged.stdout
    assert "TopicAuthorizationFailedError" in forged.stdout
    assert admin_settings.bus.topic_prefix + "crisis.events" in forged.stdout

    # Ingest's work done with the dispatcher's user: it may not read crisis.events.
    settings = with_ops_port(dispatcher)
    log = tmp_path / "ingest.log"
    process = service_process(settings, "ingest", log)
    try:
        health = refused(settings, log)
        assert "AuthorizationFailed" in str(health["problem"])
        said_once(log)
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
